import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { EventMap, EventName, FlowRow, RequestName, RequestParams, RequestResult, SessionStatus } from '../../src-capture-helper/protocol/messages';
import type { HelperState } from '../api/types/capture';
import type { ProbeStatus } from '../api/types/probes';
import { HelperRequestError } from '../core/helper-client';
import type { HelperPort, HelperStateSource } from '../core/helper-port';
import type { Logger } from '../core/log';
import type { BodyOf, DataKind, Envelope } from './wire';
import { decodeEnvelope, probeOfSubject, subjects } from './wire';
import { ProbeExports } from './probe-export';
import { ProbeFlowIds } from './probe-flow-ids';

/** A probe silent this long is lagging; this long, gone. A heartbeat comes every second. */
const LAGGING_AFTER_MS = 2500;
const GONE_AFTER_MS = 10_000;
/** A probe first heard this recently is joining. */
const JOINING_FOR_MS = 3000;
/** A rollup that arrives this long after the end of its second makes the probe lagging. */
const LATE_ROLLUP_MS = 3000;
/** Top hosts and flows per probe in a merged tick. */
const TOP_PER_PROBE = 20;
/** Probes one serve tracks; when full, a new probe takes the place of the longest gone one, else its messages are counted and dropped. */
export const MAX_PROBES = 1000;
/** Interfaces of one probe (the helper's own bound); counters of further names are counted and dropped. */
export const MAX_INTERFACES_PER_PROBE = 64;
/** Protocol names in one merged second (a helper counts a dozen); further names from a probe are not summed. */
const MAX_PROTOCOLS = 64;

type Listener = (payload: unknown, meta: { session: string | null; attachment?: Buffer }) => void;

interface ProbeRecord extends ProbeStatus {
  boot: string;
  nextSeq: number;
  /** Its top-K of the last rollup not yet in a tick. */
  latestTop: { hosts: EventMap['rollup']['topHosts']; flows: EventMap['rollup']['topFlows'] } | null;
  /** Active flows in its latest rollup. */
  activeFlows: number;
  /** Every interface name it has used, bounded: the core keeps counters per name. */
  knownInterfaces: Set<string>;
}

interface PendingSecond {
  packets: number;
  bytes: number;
  interfaces: Map<string, EventMap['rollup']['interfaces'][number]>;
  byProtocol: Record<string, { packets: number; bytes: number }>;
  newFlows: number;
}

function emptySecond(): PendingSecond {
  return { packets: 0, bytes: 0, interfaces: new Map(), byProtocol: Object.create(null) as PendingSecond['byProtocol'], newFlows: 0 };
}

export interface BusAggregatorOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Only these probes (empty: every probe on the bus). */
  probes?: readonly string[];
  now?: () => number;
}

/**
 * `serve --nats`: hears every probe on the bus and presents them to the core
 * as one capture helper. Each second it merges what arrived (interfaces named
 * `<probe>/<interface>`, protocols summed, top talkers tagged with their
 * probe) into one rollup; flow deltas pass through with ids made unique
 * across probes. It tracks each probe's heartbeat and message sequence:
 * joining, lagging and gone probes, gaps and silences are counted and shown,
 * never filled. Exports go to the probe that holds the packets
 * (`probe-export.ts`), found by the ids of `probe-flow-ids.ts`.
 *
 * One file of about 400 lines because the probe registry, the 1 s merge and
 * the session it answers for read and write the same probe records at every
 * message; apart they would pass those records back and forth.
 */
export class BusAggregator implements HelperPort, HelperStateSource {
  /** Probes publish every change and keep their own tables: there is none here to catch up from. */
  readonly listsFlows = false;
  private readonly probes = new Map<string, ProbeRecord>();
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private readonly statusListeners = new Set<(s: { state: HelperState; restarts: number; lastError: string | null }) => void>();
  private readonly subscriptions: Subscription[] = [];
  private readonly now: () => number;
  private readonly allowed: ReadonlySet<string> | null;
  private session: string | null = null;
  private sessionStatus: SessionStatus | null = null;
  private pending = emptySecond();
  private timer: NodeJS.Timeout | null = null;
  private readonly flowIds = new ProbeFlowIds();
  private readonly exports: ProbeExports;
  private reconnects = 0;
  private closed = false;
  /** Messages that were not ours to apply (undecodable, another version, wrong shape, unknown or excess probes), or not wholly (interfaces beyond a probe's bound). */
  badMessages = 0;
  get droppedFlowIds(): number {
    return this.flowIds.dropped;
  }

  constructor(private readonly options: BusAggregatorOptions) {
    this.now = options.now ?? Date.now;
    this.allowed = options.probes !== undefined && options.probes.length > 0 ? new Set(options.probes) : null;
    this.exports = new ProbeExports(options.nc, (chunk, data) => this.emit('exportChunk', chunk, data));
  }

  /** Subscribes to the probes' subjects and starts the 1 s merge. */
  start(): void {
    const { nc } = this.options;
    for (const kind of ['hb', 'rollup', 'flows', 'state'] as const) {
      const names = this.allowed === null ? [subjects.anyProbe(kind)] : [...this.allowed].map((p) => subjects.data(p, kind));
      for (const subject of names) {
        this.subscriptions.push(nc.subscribe(subject, { callback: (err, msg) => { if (err === null) this.receiveSafely(kind, msg); } }));
      }
    }
    void this.watchConnection();
    const scheduleTick = () => {
      if (this.closed) return;
      // Just after each wall-clock second: everything that arrived during the second before is one tick.
      this.timer = setTimeout(() => {
        this.tick();
        scheduleTick();
      }, 1000 - (this.now() % 1000) + 20);
      this.timer.unref();
    };
    scheduleTick();
    this.setState('connected');
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const sub of this.subscriptions) sub.unsubscribe();
  }

  probeStatuses(): ProbeStatus[] {
    const now = this.now();
    return [...this.probes.values()].map((p) => {
      const { boot: _boot, nextSeq: _next, latestTop: _top, activeFlows: _active, knownInterfaces: _known, ...status } = p;
      return { ...status, state: this.stateOf(p, now), interfaces: [...p.interfaces] };
    }).sort((a, b) => a.name.localeCompare(b.name));
  }

  private stateOf(p: ProbeRecord, now: number): ProbeStatus['state'] {
    const silent = now - p.lastSeenMs;
    if (silent >= GONE_AFTER_MS) return 'gone';
    if (silent >= LAGGING_AFTER_MS || p.lagMs >= LATE_ROLLUP_MS) return 'lagging';
    if (now - p.firstSeenMs < JOINING_FOR_MS) return 'joining';
    return 'live';
  }

  // --- HelperPort ---------------------------------------------------------------------------

  on<K extends EventName>(name: K, listener: (payload: EventMap[K], meta: { session: string | null; attachment?: Buffer }) => void): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  onStatus(listener: (s: { state: HelperState; restarts: number; lastError: string | null }) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async request<K extends RequestName>(method: K, params: RequestParams<K>): Promise<RequestResult<K>> {
    return (await this.answer(method, params)) as RequestResult<K>;
  }

  private async answer(method: RequestName, params: unknown): Promise<unknown> {
    switch (method) {
      case 'interfaces':
        return {
          interfaces: this.probeStatuses().flatMap((p) => p.interfaces.map((name) => ({
            name, description: `probe ${p.name}`, addresses: [], up: p.state !== 'gone', running: p.captureState === 'running', loopback: false,
            wireless: false, linkType: null, linkTypeName: null, canCapture: false, reason: 'captured by its probe',
          }))),
          capturePath: 'netmon-capture', rights: 'ready', rightsMessage: null, libpcap: null,
        } satisfies RequestResult<'interfaces'>;
      case 'start': {
        const p = params as RequestParams<'start'>;
        this.session = p.sessionId ?? null;
        this.pending = emptySecond();
        for (const probe of this.probes.values()) {
          probe.packets = 0;
          probe.bytes = 0;
        }
        this.sessionStatus = {
          sessionId: p.sessionId ?? 'bus', settings: p, state: 'running', capturePath: 'netmon-capture',
          startedAt: this.now() / 1000, endedAt: null, packets: 0, bytes: 0, drops: { kernel: 0, helper: 0 }, error: null,
        };
        return this.sessionStatus;
      }
      case 'stop': {
        const status: SessionStatus | null = this.sessionStatus === null ? null : { ...this.sessionStatus, state: 'stopped', endedAt: this.now() / 1000 };
        this.session = null;
        this.sessionStatus = null;
        if (status === null) throw new HelperRequestError('unavailable', 'NotRunning', 'no aggregation is running');
        return status;
      }
      case 'stats':
        return { helper: { clients: this.probes.size, eventsDroppedSlowClients: 0, clientsRejected: this.badMessages, logRecordsDropped: 0 }, session: null };
      case 'flows': {
        // Probes publish every change; there is no table here to page through.
        const p = params as RequestParams<'flows'>;
        return { total: 0, offset: p.offset, flows: [] };
      }
      case 'export':
        return this.exportFromProbe(params as RequestParams<'export'>);
      case 'exportCancel':
        return this.exports.cancel((params as RequestParams<'exportCancel'>).exportId);
      default:
        throw new HelperRequestError('invalid', 'Unsupported', `${method} is not available for probes on the bus`);
    }
  }

  // --- receiving -----------------------------------------------------------------------------

  /** Whatever anyone publishes on our subjects, nothing it holds escapes into the client library's read loop. */
  private receiveSafely(kind: DataKind, msg: Msg): void {
    try {
      this.receive(kind, msg);
    } catch (err) {
      this.badMessages++;
      this.options.logger.warn({ subject: msg.subject.slice(0, 200), err: (err as Error).message }, 'bus message could not be applied');
    }
  }

  private receive(kind: DataKind, msg: Msg): void {
    let env: Envelope;
    try {
      env = decodeEnvelope(msg.data);
    } catch (err) {
      this.badMessages++;
      this.options.logger.debug({ subject: msg.subject.slice(0, 200), err: (err as Error).message }, 'bus message dropped');
      return;
    }
    if (env.kind !== kind || probeOfSubject(msg.subject) !== env.probe || (this.allowed !== null && !this.allowed.has(env.probe))) {
      this.badMessages++;
      return;
    }
    const probe = this.track(env);
    if (probe === null) return;
    switch (env.kind) {
      case 'hb': {
        const hb = env.body as BodyOf['hb'];
        probe.captureState = hb.state;
        probe.interfaces = hb.interfaces.filter((i) => this.knowInterface(probe, i)).map((i) => `${probe.name}/${i}`);
        probe.probeDropped = hb.busDropped;
        probe.probeReconnects = hb.reconnects;
        return;
      }
      case 'rollup':
        this.addRollup(probe, env.body as BodyOf['rollup']);
        return;
      case 'flows':
        this.forwardFlows(probe, env.session, env.body as BodyOf['flows']);
        return;
      case 'state': {
        const s = env.body as BodyOf['state'];
        if (s.status !== null) {
          probe.captureState = s.status.state === 'running' ? 'running' : s.status.state === 'failed' ? 'failed' : 'stopped';
          if (s.status.error !== null) probe.lastError = s.status.error.message;
        }
        if (s.error !== null) probe.lastError = s.error.error.message;
        return;
      }
      default:
        return;
    }
  }

  /** Records a message of a probe: joins, restarts, gaps in its sequence, silences. */
  private track(env: Envelope): ProbeRecord | null {
    const now = this.now();
    let p = this.probes.get(env.probe);
    if (p === undefined) {
      if (this.probes.size >= MAX_PROBES && !this.forgetLongestGone(now)) {
        this.badMessages++;
        return null;
      }
      p = {
        name: env.probe, state: 'joining', firstSeenMs: now, lastSeenMs: now, lagMs: 0, session: env.session, captureState: 'starting',
        interfaces: [], packets: 0, bytes: 0, messages: 0, gaps: 0, missedMessages: 0, silences: 0, restarts: 0, probeDropped: 0,
        probeReconnects: 0, lastError: null, boot: env.boot, nextSeq: env.seq, latestTop: null, activeFlows: 0, knownInterfaces: new Set(),
      };
      this.probes.set(env.probe, p);
      this.options.logger.info({ probe: env.probe }, 'probe joined');
    }
    if (now - p.lastSeenMs >= LAGGING_AFTER_MS) {
      p.silences++;
      this.options.logger.warn({ probe: p.name, silentMs: now - p.lastSeenMs }, 'probe heard again after a silence');
    }
    if (env.boot !== p.boot) {
      p.restarts++;
      p.boot = env.boot;
      p.nextSeq = env.seq;
    }
    if (env.seq > p.nextSeq) {
      p.gaps++;
      p.missedMessages += env.seq - p.nextSeq;
    }
    p.nextSeq = Math.max(p.nextSeq, env.seq + 1);
    p.session = env.session;
    p.lastSeenMs = now;
    p.messages++;
    return p;
  }

  /** Makes room for a new probe by forgetting the one silent longest, if it is gone; false when every probe is still heard. */
  private forgetLongestGone(now: number): boolean {
    let oldest: ProbeRecord | null = null;
    for (const p of this.probes.values()) if (oldest === null || p.lastSeenMs < oldest.lastSeenMs) oldest = p;
    if (oldest === null || this.stateOf(oldest, now) !== 'gone') return false;
    this.probes.delete(oldest.name);
    this.options.logger.info({ probe: oldest.name }, 'gone probe forgotten to make room for a new one');
    return true;
  }

  /** Whether counters of this interface are kept: a probe has at most MAX_INTERFACES_PER_PROBE names. */
  private knowInterface(probe: ProbeRecord, iface: string): boolean {
    if (probe.knownInterfaces.has(iface)) return true;
    if (probe.knownInterfaces.size >= MAX_INTERFACES_PER_PROBE) return false;
    probe.knownInterfaces.add(iface);
    return true;
  }

  private addRollup(probe: ProbeRecord, r: BodyOf['rollup']): void {
    probe.lagMs = Math.max(0, this.now() - (r.second + 1) * 1000);
    if (this.session === null) return;
    probe.packets += r.packets;
    probe.bytes += r.bytes;
    const s = this.pending;
    s.packets += r.packets;
    s.bytes += r.bytes;
    s.newFlows += r.newFlows;
    let refused = false;
    for (const i of r.interfaces) {
      if (!this.knowInterface(probe, i.iface)) {
        refused = true;
        continue;
      }
      const iface = `${probe.name}/${i.iface}`;
      const sum = s.interfaces.get(iface) ?? { iface, packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, kernelDrops: 0, helperDrops: 0 };
      sum.packetsIn += i.packetsIn;
      sum.bytesIn += i.bytesIn;
      sum.packetsOut += i.packetsOut;
      sum.bytesOut += i.bytesOut;
      sum.kernelDrops += i.kernelDrops;
      sum.helperDrops += i.helperDrops;
      s.interfaces.set(iface, sum);
    }
    if (refused) this.badMessages++;
    for (const [proto, c] of Object.entries(r.byProtocol)) {
      if (s.byProtocol[proto] === undefined && Object.keys(s.byProtocol).length >= MAX_PROTOCOLS) continue;
      const sum = (s.byProtocol[proto] ??= { packets: 0, bytes: 0 });
      sum.packets += c.packets;
      sum.bytes += c.bytes;
    }
    probe.latestTop = {
      hosts: r.topHosts.slice(0, TOP_PER_PROBE).map((h) => ({ ...h, probe: probe.name })),
      flows: r.topFlows.slice(0, TOP_PER_PROBE).map((f) => ({ ...f, flowId: this.flowIds.global(probe.name, probe.session ?? '', f.flowId), probe: probe.name })),
    };
    probe.activeFlows = r.activeFlows;
  }

  /** The merged rollup of everything that arrived during the last second. */
  private tick(): void {
    if (this.session === null) return;
    const s = this.pending;
    this.pending = emptySecond();
    const heard = [...this.probes.values()].filter((p) => this.stateOf(p, this.now()) !== 'gone');
    const tops = heard.filter((p) => p.latestTop !== null);
    const rollup: EventMap['rollup'] = {
      second: Math.floor(this.now() / 1000) - 1,
      packets: s.packets,
      bytes: s.bytes,
      interfaces: [...s.interfaces.values()],
      byProtocol: s.byProtocol,
      topHosts: tops.flatMap((p) => p.latestTop?.hosts ?? []).sort((a, b) => b.bytes - a.bytes),
      topFlows: tops.flatMap((p) => p.latestTop?.flows ?? []).sort((a, b) => b.bytes - a.bytes),
      activeFlows: heard.reduce((n, p) => n + p.activeFlows, 0),
      newFlows: s.newFlows,
    };
    for (const p of tops) p.latestTop = null;
    this.emit('rollup', rollup);
  }

  private forwardFlows(probe: ProbeRecord, probeSession: string | null, d: BodyOf['flows']): void {
    if (this.session === null || probeSession === null) return;
    // The rows were decoded for this message alone: each takes its global id and probe in place, not copied.
    const map = (row: FlowRow): FlowRow => {
      row.id = this.flowIds.global(probe.name, probeSession, row.id);
      row.iface = `${probe.name}/${row.iface}`;
      row.probe = probe.name;
      return row;
    };
    // Omitted flows cannot be caught up from here (the probe keeps its table); they stay counted in the core.
    this.emit('flowDeltas', { second: d.second, updated: d.updated.map(map), ended: d.ended.map(map), omitted: d.omitted });
  }

  private emit<K extends EventName>(name: K, payload: EventMap[K], attachment?: Buffer): void {
    for (const listener of this.listeners.get(name) ?? []) listener(payload, { session: this.session, ...(attachment ? { attachment } : {}) });
  }

  // --- connection state -------------------------------------------------------------------------

  private lastState: HelperState = 'down';

  private setState(state: HelperState, lastError: string | null = null): void {
    this.lastState = state;
    for (const l of this.statusListeners) l({ state, restarts: this.reconnects, lastError });
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.options.nc.status()) {
      if (s.type === 'disconnect') {
        this.setState('restarting', 'lost the NATS server; reconnecting');
        this.options.logger.warn('lost the NATS server; reconnecting');
      } else if (s.type === 'reconnect') {
        this.reconnects++;
        this.setState('connected');
        this.options.logger.info('reconnected to the NATS server');
      }
    }
    if (this.lastState !== 'down') this.setState('down', 'the NATS connection closed');
  }

  // --- export --------------------------------------------------------------------------------------

  checkExport(flowIds: readonly number[]): string | null {
    return this.flowIds.exportOrigin(flowIds).error;
  }

  /** Asks the probe that holds the flows for their packets and streams its reply as the helper's export would. */
  private async exportFromProbe(params: RequestParams<'export'>): Promise<RequestResult<'export'>> {
    const origin = this.flowIds.exportOrigin(params.flowIds);
    if (origin.error !== null) throw new HelperRequestError('invalid', 'ProbeExportError', origin.error);
    return this.exports.run(origin, params);
  }
}

