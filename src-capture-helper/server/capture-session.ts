import path from 'node:path';
import type { AppAttributor } from '../apps/app-attributor';
import { startLiveAttribution } from '../apps/live-attribution';
import { LINKTYPE_NONE } from '../capture-file/capture-parser';
import { decodePacket } from '../decode/decode-packet';
import { DecodedPacket, DecodeStatus } from '../decode/decoded-packet';
import { FlowTable } from '../flows/flow-table';
import { queryFlows } from '../flows/flow-query';
import type { FinishReason, FlowSnapshot } from '../flows/flow-types';
import { FLOW_SLOT_SPACE } from '../flows/flow-types';
import { listInterfaces } from '../live/interfaces';
import { openLiveSource } from '../live/live-capture';
import type { LiveCaptureError, LiveSource } from '../live/live-types';
import type { TcpQualitySecond } from '../flows/tcp-quality';
import { TcpQuality } from '../flows/tcp-quality';
import { flowName } from '../names/flow-name';
import { NameExtractor } from '../names/name-extractor';
import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import { MAX_QUALITY_FLOWS, MAX_WEB_HOSTS, MAX_WEB_SECTIONS } from '../protocol/messages';
import type { CapturePath, FlowApp, FlowRow, RequestParams, RequestResult, SessionStats, SessionStatus, StartParams } from '../protocol/messages';
import { RollupEngine } from '../rollups/rollup-engine';
import type { SpoolExport } from '../spool/export-stream';
import type { ExportRequest } from '../spool/session-spool';
import { SessionSpool } from '../spool/session-spool';
import type { RollupSnapshot } from '../rollups/rollup-types';
import { rollupProtocols } from '../rollups/rollup-types';
import { FileReplay } from './file-replay';
import type { HelperLog } from './helper-log';
import type { EventSink } from './helper-server';

/** Flow table bound of one session; evictions beyond it are counted. */
const MAX_FLOWS = 1_000_000;
/**
 * Changed flows per second's delta; the rest are counted as omitted (and come
 * first in the next one, so a steady load larger than this is not the same
 * flows left out every second). Main catches up from the flow table when a
 * delta omits flows.
 */
const MAX_DELTA_FLOWS = 20_000;
/** Changed flows per part of a delta: one event frame (about 200 KB), which fits beside the quarter of a client's
 *  send queue a part waits for within the half that events may fill. */
const DELTA_PART_FLOWS = 1000;
/** How often a part waiting for room in the clients' send queues looks again. */
const DELTA_PART_POLL_MS = 10;
/** A part waits at most this long for a client that does not read (then that client drops it, counted): up to the
 *  next delta, so a client that is only slow for a while (a busy machine, a large write) loses none. */
const DELTA_PART_WAIT_MS = 1000;
/** Ended flows kept for the next delta; beyond it they are counted as omitted. */
const MAX_ENDED_PENDING = 2000;

export type SessionState = SessionStatus['state'];

/**
 * One capture session: a packet source (live interfaces or a file replay)
 * feeding the decoder, the rollups with their flow table, the name extractor
 * and the packet spool; once a second (packet time for files, wall clock
 * live) it pushes a rollup and a flow delta tagged with its id.
 *
 * It decodes with the engine's decoder directly rather than through
 * CaptureEngine: the engine also builds the tshark-style analyze report
 * (conversation tables), which a session never sends and which cost a quarter
 * of the per-packet time on the 2M-packet bench capture.
 *
 * Why one file of this length: it is the wiring of those parts for one
 * session (start, the per-second push, the finish, the rows it answers with);
 * each part already lives in its own module, and what is left here is the
 * order in which they are called, which reads best in one place.
 */
export class CaptureSession implements PacketSink {
  readonly startedAt = Date.now() / 1000;
  private endedAt: number | null = null;
  private state: SessionState = 'running';

  /** Whether the session still captures (cheaper than status(), which reads the kernel's drop counters). */
  get running(): boolean {
    return this.state === 'running';
  }
  /** Set once the source is open; a session that never opened emits no events. */
  private opened = false;
  private error: { name: string; message: string } | null = null;
  private path: CapturePath;

  private readonly decoded = new DecodedPacket();
  private readonly flowTable: FlowTable;
  private readonly rollups: RollupEngine;
  private readonly names = new NameExtractor();
  private readonly quality: TcpQuality;
  /** Recent packets of this session, for exports. */
  private readonly spool: SessionSpool;
  private readonly ifaceNames: string[];

  private packets = 0;
  private bytes = 0;
  private malformed = 0;
  private readonly protocolTotals = new Map<string, { packets: number; bytes: number }>(rollupProtocols.map((p) => [p, { packets: 0, bytes: 0 }]));
  private cursor = 0;
  /**
   * Flows sent in the last delta. One that did not change since has gone quiet:
   * the next delta sends it once more, unchanged, so its rate over that second
   * reads zero instead of the last second it moved.
   */
  private lastChanged = new Set<number>();
  /** Flows of the current delta not sent yet (their rows are read when their part goes, so they are current). */
  private deltaQueue: number[] = [];
  private deltaQueueSecond = 0;
  /** Sends the parts after the first, each once the clients' send queues have room; null when none wait. */
  private deltaPump: Promise<void> | null = null;
  private endedPending: FlowRow[] = [];
  private endedOmitted = 0;
  private lastDrops = { kernel: 0, helper: 0 };
  private lastSecond = 0;
  /** Second of the newest packet (NaN before one): a replay's "now". */
  private lastPacketSec = NaN;
  private createdAtLastSecond = 0;

  private live: LiveSource | null = null;
  private readonly failedInterfaces = new Set<string>();
  private replay: FileReplay | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastNameSweep = 0;
  /** Live captures only: the process of each flow, kept once found until the flow ends. */
  private attributor: AppAttributor | null = null;
  private readonly flowApps = new Map<number, FlowApp>();

  constructor(
    readonly id: string,
    readonly settings: StartParams,
    private readonly events: EventSink,
    private readonly log: HelperLog,
    private readonly onEnded: (session: CaptureSession) => void,
    /** The helper's private directory: the spool keeps its segment files below it. */
    runtimeDir: string,
  ) {
    const live = settings.source.kind === 'live';
    this.ifaceNames = settings.source.kind === 'live' ? settings.source.interfaces : [path.basename(settings.source.path)];
    this.path = live ? 'netmon-capture' : 'file';
    const clock = live ? 'external' : 'packet';
    this.flowTable = new FlowTable({
      maxFlows: MAX_FLOWS,
      clock,
      ...(settings.flowTimeouts ? { timeouts: settings.flowTimeouts } : {}),
      onFinish: (flow, reason) => this.onFlowFinish(flow, reason),
    });
    this.quality = new TcpQuality(this.flowTable, { maxFlowsPerSecond: MAX_QUALITY_FLOWS });
    // A replayed file may span years of packet time: its packets leave the spool by size only, not by age.
    this.spool = new SessionSpool({
      runtimeDir,
      settings: { ...(settings.snaplen ? { snaplen: settings.snaplen } : {}), ...(live ? {} : { maxAgeSeconds: 0 }) },
      interfaceName: (i) => this.ifaceNames[i],
    });
    this.rollups = new RollupEngine(this.flowTable, {
      clock,
      interfaceName: (i) => this.ifaceNames[i] ?? `if${i}`,
      // Live, "in" and "out" are seen from this host: its addresses on the captured interfaces.
      localAddresses: live ? localAddressesOf(this.ifaceNames) : undefined,
      onSnapshot: (s) => this.onSecond(s),
    });
  }

  /** Opens the source; throws (bad BPF, unknown interface, unreadable file) without leaving anything running. */
  async open(): Promise<void> {
    const { source } = this.settings;
    if (source.kind === 'live') {
      const live = await openLiveSource({
        interfaces: source.interfaces,
        bpf: this.settings.bpf,
        snaplen: this.settings.snaplen,
        promisc: this.settings.promisc,
        bufferSize: this.settings.bufferSize,
      });
      this.live = live;
      this.path = live.path;
      this.attributor = startLiveAttribution(this.log, this.id);
      try {
        live.start(this, (err) => this.onLiveError(err));
      } catch (err) {
        void live.stop();
        this.attributor?.stop();
        throw err;
      }
      for (const caveat of live.caveats) this.log.warn(caveat, { session: this.id });
      this.timer = setInterval(() => this.onWallSecond(), 1000);
      this.opened = true;
      return;
    }
    const replay = new FileReplay(source.path, this, { speed: source.speed });
    const run = await replay.open();
    this.replay = replay;
    this.opened = true;
    run().then(
      (result) => {
        if (this.state !== 'running') return;
        if (result.error) {
          this.events.emit('captureError', this.id, { error: { name: result.error.name, message: result.error.message }, fatal: false });
        }
        this.end('finished', result.error ? { name: result.error.name, message: result.error.message } : null);
      },
      (err: Error) => this.end('failed', { name: err.name, message: err.message }),
    );
  }

  packet(rec: PacketRecord): void {
    // A stopped live source still drains its last ring block; those packets belong to no running session.
    if (this.state !== 'running') return;
    this.packets++;
    this.bytes += rec.wireLength;
    if (rec.hasTimestamp) this.lastPacketSec = rec.tsSec;
    const pkt = this.decoded;
    if (rec.linkType === LINKTYPE_NONE) pkt.reset();
    else decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
    if (pkt.status === DecodeStatus.malformed) this.malformed++;
    const flowId = this.rollups.observe(pkt, rec);
    if (pkt.layerCount > 0) {
      this.quality.observe(pkt, rec, flowId);
      this.names.observe(pkt, rec, flowId);
    }
    this.spool.packet(rec, flowId);
  }

  stop(): void {
    if (this.state === 'running') this.end('stopped', null);
  }

  status(): SessionStatus {
    const drops = this.drops();
    return {
      sessionId: this.id,
      settings: this.settings,
      state: this.state,
      capturePath: this.path,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      packets: this.packets,
      bytes: this.bytes,
      drops,
      error: this.error,
    };
  }

  stats(): SessionStats {
    const flowStats = this.flowTable.getStats();
    return {
      sessionId: this.id,
      packets: this.packets,
      bytes: this.bytes,
      protocols: Object.fromEntries(this.protocolTotals),
      malformed: this.malformed,
      flowsActive: flowStats.active,
      flowsEvicted: flowStats.evictedCapacity,
      drops: this.drops(),
    };
  }

  flows(params: RequestParams<'flows'>): RequestResult<'flows'> {
    const page = queryFlows(this.flowTable, {
      filter: params.filter,
      sort: params.sort,
      dir: params.dir,
      offset: params.offset,
      limit: params.limit,
      afterId: params.afterId,
      ids: params.ids,
    });
    return { total: page.total, offset: page.offset, flows: page.flows.map((f) => this.row(f, true)) };
  }

  namesResult(): RequestResult<'names'> {
    return {
      dns: [...this.names.dnsNames()].map(([name, addresses]) => ({ name, addresses })),
      sni: this.names.sniValues(),
      httpHosts: this.names.httpHosts(),
    };
  }

  /** Top hosts and their sections of plaintext HTTP over the last 10 s or 60 s (ending now, or at a replay's newest packet), or the session. */
  webSectionsResult(window: RequestParams<'webSections'>['window']): RequestResult<'webSections'> {
    const now = this.settings.source.kind === 'live' ? Math.floor(Date.now() / 1000) : this.lastPacketSec;
    const top = this.names.webSections.top(window, now, MAX_WEB_HOSTS, MAX_WEB_SECTIONS);
    return { window, toSecond: Number.isNaN(now) ? null : now, ...top, encryptedHellos: this.names.counters().tlsClientHellos };
  }

  /** Plans an export of this session's spooled packets (throws ExportError for a bad request). */
  exportStream(request: ExportRequest, signal: AbortSignal): SpoolExport {
    return this.spool.export(request, signal);
  }

  /** Frees the spool (its memory and files) once the session is forgotten. */
  dispose(): void {
    if (this.opened) this.stop();
    this.spool.close();
  }

  private end(state: SessionState, error: { name: string; message: string } | null): void {
    if (this.state !== 'running') return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.live?.stop();
    if (this.attributor) {
      this.attributor.stop();
      this.log.info('process attribution', { session: this.id, ...this.attributor.stats() });
    }
    this.replay?.stop();
    if (state === 'finished' || state === 'stopped') {
      // Close the last second. Flows stay in the table, so the flows of a
      // finished replay or a stopped capture can still be queried.
      this.rollups.finish();
      this.pushDelta(this.lastSecond);
    }
    this.state = state;
    this.error = error;
    this.endedAt = Date.now() / 1000;
    const announce = (): void => {
      this.events.emit('captureState', this.id, this.status());
      this.log.info(`capture session ${state}`, { session: this.id, packets: this.packets });
      this.onEnded(this);
    };
    // Clients hear of the end after the last delta's parts: a client that ends its flows then has their last counts.
    if (this.deltaPump === null) announce();
    else void this.deltaPump.then(announce);
  }

  private onWallSecond(): void {
    const now = Math.floor(Date.now() / 1000);
    const live = this.live;
    if (live) {
      const stats = live.stats();
      stats.interfaces.forEach((s, i) => this.rollups.setDrops(i, s.kernelDrops ?? 0, s.helperDrops));
    }
    this.flowTable.advanceTime(now);
    this.spool.tick(now);
    this.rollups.tick(now);
  }

  /** Called by the rollups when a second closes: push its rollup and the flow delta. */
  private onSecond(s: RollupSnapshot): void {
    this.lastSecond = s.second;
    for (const [proto, c] of Object.entries(s.byProtocol)) {
      const acc = this.protocolTotals.get(proto) ?? { packets: 0, bytes: 0 };
      acc.packets += c.packets;
      acc.bytes += c.bytes;
      this.protocolTotals.set(proto, acc);
    }
    const flowStats = this.flowTable.getStats();
    this.events.emit('rollup', this.id, {
      second: s.second,
      packets: s.packets,
      bytes: s.bytes,
      interfaces: s.interfaces,
      byProtocol: s.byProtocol,
      topHosts: s.topHosts,
      topFlows: s.topFlows.map((f) => ({ ...f, label: this.flowLabel(f.flowId) })),
      activeFlows: flowStats.active,
      newFlows: flowStats.created - this.createdAtLastSecond,
      // Left out of quiet seconds (most of them): rollups stay small for slow clients.
      ...this.qualityOfSecond(),
    });
    this.createdAtLastSecond = flowStats.created;
    this.pushDelta(s.second);
    const drops = this.drops();
    if (drops.kernel !== this.lastDrops.kernel || drops.helper !== this.lastDrops.helper) {
      this.lastDrops = drops;
      this.events.emit('drops', this.id, drops);
    }
    if (s.second - this.lastNameSweep >= 1) {
      this.names.sweep(s.second);
      this.lastNameSweep = s.second;
    }
  }

  private qualityOfSecond(): { quality?: TcpQualitySecond } {
    const quality = this.quality.drainSecond();
    return quality.retransmissions > 0 || quality.handshakes > 0 || quality.flows.length > 0 ? { quality } : {};
  }

  /**
   * Sends the flows that changed since the last delta and the flows that ended, in parts of at most
   * DELTA_PART_FLOWS: the first now, with the ended flows and the count of what did not fit, each other one when the
   * clients' send queues have room for it, so a second of many changed flows is not dropped for filling them. Flows
   * still waiting from the previous second join this one's (once each).
   */
  private pushDelta(second: number): void {
    const changes = this.flowTable.changesSince(this.cursor, MAX_DELTA_FLOWS);
    this.cursor = changes.cursor;
    const changed = new Set(changes.changed);
    const queue = changes.changed;
    const queued = new Set(changed);
    let carried = 0;
    for (const previous of [this.lastChanged, this.deltaQueue]) {
      for (const id of previous) {
        if (queued.has(id)) continue;
        if (queue.length >= MAX_DELTA_FLOWS) carried++;
        else {
          queue.push(id);
          queued.add(id);
        }
      }
    }
    this.lastChanged = changed;
    this.deltaQueue = queue;
    this.deltaQueueSecond = second;
    const ended = this.endedPending;
    this.endedPending = [];
    const omitted = changes.omitted + this.endedOmitted + changes.endedLost + carried;
    this.endedOmitted = 0;
    if (queue.length === 0 && ended.length === 0 && omitted === 0) return;
    this.sendDeltaPart(ended, omitted);
    if (this.deltaQueue.length === 0) return;
    this.deltaPump ??= this.pumpDeltaParts().finally(() => {
      this.deltaPump = null;
    });
  }

  private async pumpDeltaParts(): Promise<void> {
    while (this.deltaQueue.length > 0) {
      for (let waited = 0; waited < DELTA_PART_WAIT_MS && !this.events.hasRoomForEvents(); waited += DELTA_PART_POLL_MS) {
        await new Promise((resolve) => setTimeout(resolve, DELTA_PART_POLL_MS));
      }
      if (this.deltaQueue.length > 0) this.sendDeltaPart([], 0);
    }
  }

  private sendDeltaPart(ended: FlowRow[], omitted: number): void {
    const ids = this.deltaQueue.splice(0, DELTA_PART_FLOWS);
    const updated: FlowRow[] = [];
    for (const id of ids) {
      const snap = this.flowTable.get(id);
      if (snap) updated.push(this.row(snap, true));
    }
    const more = this.deltaQueue.length > 0;
    this.events.emit('flowDeltas', this.id, { second: this.deltaQueueSecond, updated, ended, omitted, ...(more ? { more } : {}) });
  }

  private onFlowFinish(flow: FlowSnapshot, _reason: FinishReason): void {
    if (this.endedPending.length < MAX_ENDED_PENDING) this.endedPending.push(this.row(flow, false));
    else this.endedOmitted++;
    this.names.forgetFlow(flow.id);
    this.flowApps.delete(flow.id);
  }

  private row(f: FlowSnapshot, active: boolean): FlowRow {
    const row: FlowRow = {
      id: f.id,
      iface: this.ifaceNames[f.ifIndex] ?? `if${f.ifIndex}`,
      proto: f.proto,
      ipProto: f.ipProto,
      a: f.a,
      portA: f.portA,
      b: f.b,
      portB: f.portB,
      vlan: f.vlan,
      packetsAB: f.packetsAB,
      bytesAB: f.bytesAB,
      packetsBA: f.packetsBA,
      bytesBA: f.bytesBA,
      firstSeen: f.firstSec + f.firstNsec / 1e9,
      lastSeen: f.lastSec + f.lastNsec / 1e9,
      state: f.state,
      tcpFlags: f.tcpFlagsA | f.tcpFlagsB,
      active,
    };
    if (f.icmpType >= 0) {
      row.icmpType = f.icmpType;
      row.icmpCode = f.icmpCode;
    }
    const quality = this.quality.figures(f.id % FLOW_SLOT_SPACE);
    if (quality !== null) row.quality = quality;
    const app = this.appOf(f);
    if (app !== undefined) row.app = app;
    const labels = this.names.labelsForFlow(f.id);
    if (labels === undefined) return row;
    if (labels.sni !== undefined) row.sni = labels.sni;
    if (labels.httpHost !== undefined) row.httpHost = labels.httpHost;
    if (labels.dnsQuery !== undefined) row.dnsQuery = labels.dnsQuery;
    if (labels.dnsName !== undefined) {
      if (labels.dnsNameOf === 'a') row.nameA = labels.dnsName;
      else row.nameB = labels.dnsName;
    }
    const named = flowName(labels);
    if (named !== undefined) {
      row.name = named.name;
      row.nameSource = named.source;
    }
    return row;
  }

  private appOf(f: FlowSnapshot): FlowApp | undefined {
    if (this.attributor === null) return undefined;
    const known = this.flowApps.get(f.id);
    if (known !== undefined) return known;
    const found = this.attributor.appFor(f.proto, f.a, f.portA, f.b, f.portB);
    if (found !== undefined) this.flowApps.set(f.id, found);
    return found;
  }

  private flowLabel(flowId: number): string {
    const f = this.flowTable.get(flowId);
    if (!f) return `flow ${flowId}`;
    const name = flowName(this.names.labelsForFlow(flowId))?.name;
    const ep = (addr: string, port: number) => (f.proto === 'tcp' || f.proto === 'udp' ? `${addr.includes(':') ? `[${addr}]` : addr}:${port}` : addr);
    return `${f.proto} ${ep(f.a, f.portA)} → ${ep(f.b, f.portB)}${name ? ` (${name})` : ''}`;
  }

  private drops(): { kernel: number; helper: number } {
    if (!this.live) return { kernel: 0, helper: 0 };
    let kernel = 0;
    let helper = 0;
    for (const s of this.live.stats().interfaces) {
      kernel += s.kernelDrops ?? 0;
      helper += s.helperDrops;
    }
    return { kernel, helper };
  }

  /** An interface failed during the capture; the session fails once none is left. */
  private onLiveError(err: LiveCaptureError): void {
    if (this.state !== 'running') return;
    this.failedInterfaces.add(err.iface);
    const fatal = this.ifaceNames.every((name) => this.failedInterfaces.has(name));
    const error = { name: err.code, message: `${err.iface}: ${err.message}` };
    this.log.error('live capture error', { session: this.id, iface: err.iface, code: err.code, message: err.message, fatal });
    this.events.emit('captureError', this.id, { error, fatal });
    if (fatal) this.end('failed', error);
  }
}

/** IPv4 and IPv6 addresses of the given interfaces (none for an interface that does not exist: opening it will say so). */
function localAddressesOf(interfaces: string[]): string[] {
  const wanted = new Set(interfaces);
  return listInterfaces()
    .filter((i) => wanted.has(i.name))
    .flatMap((i) => i.addresses.filter((a) => a.family !== 'link').map((a) => a.address.replace(/%.*$/, '')));
}
