import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { EventMap, SessionStatus, StartParams } from '../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload, RequestChannel, RequestParams, RequestResult } from '../api/contract';
import type {
  ApplicationsReport,
  ApiError,
  ApiResult,
  ByteCount,
  CaptureSource,
  CaptureStatus,
  CounterSeries,
  FlowFilter,
  FlowPage,
  FlowProto,
  FlowQuery,
  FlowSummary,
  InterfaceInfo,
  InterfaceStats,
  RollupTick,
  Settings,
  SettingsPatch,
  Stats,
} from '../api/types';
import { AlertFeed, alertHandlers } from './alerts-bridge';
import type { AlertsPort } from './alerts-bridge';
import { assertNever } from './assert-never';
import { ExportService } from './export-service';
import { checkCounterQuery } from './counter-series';
import { ALL_SESSIONS, cursorOf, FlowFilterError, isAfterCursor, sortFlowList } from '../../src-shared/flow-query';
import { netmaskPrefix } from '../../src-shared/ip';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';
import { applicationsReport, localAddresses } from './applications';
import { flowFromRow, FlowBook } from './flow-book';
import { apiErrorOfHelperFailure, HelperRequestError } from './helper-client';
import type { HelperPort } from './helper-port';
import { hasStateSource } from './helper-port';
import type { HistoryDb } from './history-db';
import { GeoTally } from './geo/geo-breakdown';
import type { GeoService } from './geo/geo-service';
import { GeoSettingError } from './geo/geo-service';
import type { Logger } from './log';
import { resolveReplayFile } from './replay-file';
import { checkParams } from './request-params';
import { MEMORY_SECONDS, RollupMemory } from './rollup-memory';
import { applyPatch, FILE_ONLY_SETTINGS, refusedPatchFields, SettingsError } from './settings';

const PROTOS: readonly FlowProto[] = FLOW_PROTOCOLS;
const MAX_PAGE = 1000;
/** Rows per `flows` request when catching up with the helper's flow table (its page bound). */
const HELPER_FLOW_PAGE = 1000;
/** A running capture catches up with flows left out of the deltas at most this often. */
const FLOW_SYNC_INTERVAL_MS = 5000;
const RETENTION_INTERVAL_MS = 3_600_000;
/** The command a user runs once to grant capture rights. */
export const GRANT_COMMAND = 'sudo netmon install';

export function ok<T>(value: T): ApiResult<T> {
  return { ok: true, value };
}

export function fail<T>(code: ApiError['code'], message: string, issues?: ApiError['issues']): ApiResult<T> {
  return { ok: false, error: issues === undefined ? { code, message } : { code, message, issues } };
}

/** Prefix length of a netmask (`255.255.255.0` → 24, `ffff:ffff::` → 32); `full` when absent or not contiguous. */
export function prefixLength(netmask: string | null, full: number): number {
  if (netmask === null) return full;
  return netmaskPrefix(netmask) ?? full;
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function zeroProtocols(): Record<FlowProto, ByteCount> {
  return { tcp: { bytes: 0, packets: 0 }, udp: { bytes: 0, packets: 0 }, icmp: { bytes: 0, packets: 0 }, icmpv6: { bytes: 0, packets: 0 }, other: { bytes: 0, packets: 0 } };
}

/** Writes an accepted settings change into the settings file (the caller's, when it has one). */
export type SettingsWriter = (patch: SettingsPatch) => void;

export interface NetmonCoreOptions {
  settings: Settings;
  history: HistoryDb;
  logger: Logger;
  /** Persists accepted settings changes (the settings file); absent = in memory only. */
  saveSettings?: SettingsWriter;
  /** The file `saveSettings` writes, shown to the user; absent = changes last for this run only. */
  settingsFile?: string | null;
  /** Settings the environment or flags set for this run (`section.key`): `settings.set` refuses to change them. */
  overriddenSettings?: readonly string[];
  /** The alert engine; the alert channels answer 'unavailable' without it. */
  alerts?: AlertsPort;
  /** The demo capture file `capture.demo` plays; null or absent: 'unavailable'. */
  demoCapture?: string | null;
  /** Country and AS of addresses; without it flows and hosts carry no `geo`. */
  geo?: GeoService;
  now?: () => number;
}

export type RequestHandler<C extends RequestChannel> = (params: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>>;
type Handlers = { [C in RequestChannel]: RequestHandler<C> };

/**
 * Main's session state: drives the capture helper, keeps the last hour of
 * 1 s rollups in memory and longer history in SQLite, the live flow book, and
 * answers every request channel of the API. No Electron, no HTTP: both the
 * Electron shell and `netmon serve` put a transport in front of it.
 */
export class NetmonCore {
  private settingsValue: Settings;
  private readonly history: HistoryDb;
  private readonly log: Logger;
  private readonly memory = new RollupMemory();
  private readonly flows: FlowBook;
  private readonly alertFeed: AlertFeed;
  private readonly geoTally = new GeoTally();
  private geo: GeoService | undefined;
  private readonly emitter = new EventEmitter();
  private readonly now: () => number;
  private readonly startedAt: number;
  /** pcap/pcapng export from the helper's spool; the Electron shell and serve mode give it a destination. */
  readonly exports: ExportService;
  private helper: HelperPort | null = null;
  private helperUnsubscribe: (() => void)[] = [];
  private retentionTimer: NodeJS.Timeout | null = null;
  private status: CaptureStatus = {
    state: 'idle', captureId: null, source: null, path: null, startedAtMs: null, progress: null, error: null,
    helper: 'down', helperRestarts: 0, demo: false,
  };
  /** Totals of the current capture (for /metrics and stats); a new capture starts them from zero. */
  private readonly ifaceTotals = new Map<string, InterfaceStats>();
  private readonly protoTotals = zeroProtocols();
  private evictedFlows = 0;
  private activeFlowsNow = 0;
  /** Start of the last second folded into the totals. */
  private lastTickMs: number | null = null;
  /** History writes that failed (disk full, locked database): counted, never thrown at the helper's events. */
  historyWriteErrors = 0;
  /** Ticks of a stale capture session, dropped. */
  staleEvents = 0;
  /** Flows the helper left out of its bounded deltas (caught up from its flow table; ended ones are lost). */
  deltaOmittedFlows = 0;
  private omittedSinceSync = 0;
  private flowSync: Promise<void> | null = null;
  private flowSyncTimer: NodeJS.Timeout | null = null;
  private lastFlowSyncMs = 0;
  /** A session that ended: its last catch-up, then its flows move to the finished log. */
  private finishing: Promise<void> | null = null;

  constructor(private readonly options: NetmonCoreOptions) {
    this.settingsValue = options.settings;
    this.history = options.history;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.flows = new FlowBook(options.settings.flows.maxFlows);
    this.exports = new ExportService({
      helper: () => this.helper,
      captureId: () => this.status.captureId,
      flowIdsMatching: (filter, limit) => {
        const sort = { key: 'firstSeen', dir: 'asc' } as const;
        const active = this.flows.query(filter, sort).map((f) => f.id);
        return [...new Set([...active, ...this.history.searchFlows(filter, sort, 0, limit).flows.map((f) => f.id)])];
      },
      emitProgress: (progress) => this.emit('export.progress', progress),
      logger: this.log.child({ component: 'export' }),
    });
    this.emitter.setMaxListeners(0);
    this.alertFeed = new AlertFeed(options.alerts, this.log);
    if (options.geo !== undefined) this.useGeo(options.geo);
    options.alerts?.on('event', (event) => this.emit('alerts.event', event));
    this.runRetention();
    this.retentionTimer = setInterval(() => this.runRetention(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  /** Gives flows, hosts, filters and the breakdown their country and AS from now on (the databases load after start). */
  useGeo(geo: GeoService): void {
    this.geo = geo;
    this.history.useGeo((ip) => geo.lookup(ip));
    // Flows already in the book get theirs now, so a country filter finds them before their next update.
    for (const f of this.flows.activeFlows()) f.geo = { a: geo.lookup(f.a), b: geo.lookup(f.b) };
  }

  get settings(): Settings {
    return this.settingsValue;
  }

  /** Connects the core to a helper (a single connection or the supervisor); replaces any previous one. */
  attachHelper(helper: HelperPort): void {
    this.detachHelper();
    this.helper = helper;
    this.helperUnsubscribe = [
      helper.on('rollup', (payload, meta) => this.onRollup(payload, meta.session)),
      helper.on('flowDeltas', (payload, meta) => this.onFlowDeltas(payload, meta.session)),
      helper.on('captureState', (payload) => this.onCaptureState(payload)),
      helper.on('captureError', (payload, meta) => this.onCaptureError(payload, meta.session)),
    ];
    if (hasStateSource(helper)) {
      // The supervisor restarts a crashed helper and re-issues the running session's start with the same id.
      this.helperUnsubscribe.push(helper.onStatus((s) => {
        this.setStatus({ helper: s.state, helperRestarts: s.restarts });
        if (s.state === 'restarting' && s.lastError !== null) {
          this.emit('capture.error', { captureId: this.status.captureId, code: 'HelperRestart', message: s.lastError });
        }
      }));
    } else {
      this.setStatus({ helper: 'connected' });
    }
  }

  detachHelper(): void {
    for (const off of this.helperUnsubscribe) off();
    this.helperUnsubscribe = [];
    this.helper = null;
    this.setStatus({ helper: 'down' });
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.emitter.on(channel, listener);
    return () => this.emitter.off(channel, listener);
  }

  private emit<E extends EventChannel>(channel: E, payload: EventPayload<E>): void {
    this.emitter.emit(channel, payload);
  }

  /**
   * A face of the app answers a channel itself: the desktop app's native dialogs and elevation
   * prompt (`capture.open`, `export.start`, `privileges.install`). Its params are checked by
   * `request` like every other channel's.
   */
  provide<C extends RequestChannel>(channel: C, handler: RequestHandler<C>): void {
    (this.handlers as Record<RequestChannel, unknown>)[channel] = handler;
  }

  /**
   * Answers one request of a client (the dashboard over IPC or WebSocket, REST). Every transport
   * comes through here, and `params` is whatever the client sent: it is checked against the
   * channel's validator before any handler sees it. Expected failures are values; an unexpected
   * exception is logged and answered as 'internal'.
   */
  async request<C extends RequestChannel>(channel: C, params: unknown): Promise<ApiResult<RequestResult<C>>> {
    const checked = checkParams(channel, params);
    if (!checked.ok) return checked;
    const handler = this.handlers[channel] as RequestHandler<C>;
    return this.answer(channel, () => handler(checked.value));
  }

  /**
   * Starts a capture the process itself chose: a command-line flag, the desktop app's file
   * dialog, an upload it received. Unlike `request('capture.start')`, a replay may read any
   * file the user can; clients never reach this directly.
   */
  startCapture(source: CaptureSource): Promise<ApiResult<CaptureStatus>> {
    return this.answer('capture.start', () => this.beginCapture(source));
  }

  /** Runs a handler: expected failures are values; an exception is mapped or logged and answered as 'internal'. */
  private async answer<T>(channel: RequestChannel, run: () => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof FlowFilterError) return fail('invalid', err.message, [{ path: `filter.${err.path}`, message: err.message }]);
      const refusal = apiErrorOfHelperFailure(err);
      if (refusal !== null) return { ok: false, error: refusal };
      this.log.error({ err, channel }, 'request failed');
      return fail('internal', `internal error while handling ${channel}`);
    }
  }

  private readonly handlers: Handlers = {
    'interfaces.list': async () => {
      const helper = this.requireHelper();
      if (!helper.ok) return helper;
      const { interfaces } = await helper.value.request('interfaces', {});
      return ok(interfaces.map((i): InterfaceInfo => ({
        name: i.name,
        description: i.description ?? '',
        addresses: i.addresses.flatMap((a) => a.family === 'link' ? [] : [{
          address: a.address,
          prefix: prefixLength(a.netmask, a.family === 'IPv6' ? 128 : 32),
          family: a.family === 'IPv6' ? 'ipv6' as const : 'ipv4' as const,
        }]),
        up: i.up,
        loopback: i.loopback,
        linkType: i.linkType,
        canCapture: i.canCapture,
      })));
    },
    'capture.start': async (source) => {
      if (source.kind !== 'replay') return this.beginCapture(source);
      // Reading the file of the last capture again names nothing new: the user chose it (flag, dialog, upload).
      if (this.status.source?.kind === 'replay' && source.file === this.status.source.file) return this.beginCapture(source);
      // Otherwise a client names files only inside the replay directory the user configured.
      const file = await resolveReplayFile(this.settingsValue.capture.replayDir, source.file);
      return file.ok ? this.beginCapture({ ...source, file: file.value }) : file;
    },
    'capture.demo': async () => {
      const file = this.options.demoCapture ?? null;
      if (file === null) return fail('unavailable', 'this installation of Netmon has no demo capture');
      return this.beginCapture({ kind: 'replay', file, speed: 1 });
    },
    'capture.open': async () => fail('unavailable', 'upload the capture file from the dashboard (netmon serve has no file dialog)'),
    'capture.stop': async () => this.stopCapture(),
    'capture.status': async () => ok(this.captureStatus()),
    'privileges.status': async () => {
      const helper = this.requireHelper();
      if (!helper.ok) return ok({ canCapture: false, grantCommand: GRANT_COMMAND, reason: 'the capture helper is not running', outdated: false });
      const { interfaces, rights, rightsMessage } = await helper.value.request('interfaces', {});
      const allowed = rights === 'ready' && interfaces.some((i) => i.canCapture);
      const reason = allowed ? null : rightsMessage ?? interfaces.find((i) => i.reason !== null)?.reason ?? 'no interface can be captured with the current rights';
      return ok({ canCapture: allowed, grantCommand: GRANT_COMMAND, reason, outdated: rights === 'stale' });
    },
    'privileges.install': async () => fail('unavailable', `granting capture rights needs a terminal here: run '${GRANT_COMMAND}'`),
    'flows.query': async (query) => {
      const page = this.queryFlows({ ...query, filter: this.sessionFilter(query.filter) });
      return ok({ ...page, flows: page.flows.map(this.withGeo) });
    },
    'sessions.list': async ({ limit, beforeMs }) => ok(this.history.sessions(limit, beforeMs)),
    'flows.details': async ({ id }) => {
      // An ended flow comes from the finished-flow log, with its rates while main still keeps them.
      const flow = this.flows.get(id) ?? this.history.findFlow(id);
      if (flow !== undefined) return ok({ flow: this.withGeo(flow), series: this.flows.seriesOf(id) });
      return fail('not-found', `no flow with id ${JSON.stringify(id)}, live or in the history`);
    },
    'counters.series': async (q) => {
      const issues = checkCounterQuery(q);
      if (issues.length > 0) return fail('invalid', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
      return ok(this.counterSeries(q));
    },
    'rollups.recent': async ({ seconds }) => ok(this.memory.recent(Math.min(Math.max(0, seconds), MEMORY_SECONDS))),
    'stats.get': async () => ok(await this.stats()),
    // `serve --nats` provides it (src-main/bus/).
    'probes.list': async () => fail('unavailable', 'this process hears no probes: start netmon serve with --nats URL'),
    'names.get': async ({ ips }) => {
      const list = ips ?? [...this.flows.names.keys()].slice(0, 10_000);
      return ok(list.flatMap((ip) => {
        const name = this.flows.names.get(ip);
        return name === undefined ? [] : [{ ip, names: [{ name, source: 'dns' as const }] }];
      }));
    },
    'geo.breakdown': async () => {
      const geo = this.geo;
      if (geo === undefined) return fail('unavailable', 'the country and AS databases are not loaded');
      return ok(this.geoTally.breakdown(this.flows.activeFlows(), this.withGeo, geo.sources));
    },
    'web.sections': async ({ window }) => {
      const sessionId = this.status.captureId;
      const empty = { window, toMs: null, requests: 0, dropped: 0, hosts: [], moreHosts: 0, encryptedHellos: 0 };
      if (this.helper === null || sessionId === null) return ok(empty);
      try {
        const r = await this.helper.request('webSections', { sessionId, window });
        return ok({ ...r, toMs: r.toSecond === null ? null : r.toSecond * 1000 });
      } catch (err) {
        // A session the helper no longer keeps (it restarted, or kept newer ones) has nothing to show.
        if (err instanceof HelperRequestError && err.code === 'not-found') return ok(empty);
        throw err;
      }
    },
    'applications.list': async ({ session, windowSec }) => {
      const id = session ?? this.status.captureId;
      const fromMs = windowSec === undefined ? null : this.now() - windowSec * 1000;
      return ok(this.applications(id, fromMs));
    },
    'settings.get': async () => ok(this.settingsValue),
    'settings.set': async (patch) => {
      const refused = refusedPatchFields(patch, this.options.overriddenSettings ?? []);
      if (refused.length > 0) return fail('permission', `settings rejected: ${refused.map((i) => `${i.path} ${i.message}`).join('; ')}`, refused);
      const result = applyPatch(this.settingsValue, patch);
      if (!result.ok) return fail('invalid', `settings rejected: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, result.issues);
      if (patch.geo !== undefined && this.geo !== undefined) {
        // A file that cannot be used rejects the change; the databases in use stay.
        try {
          await this.geo.replace(result.settings.geo);
        } catch (err) {
          if (!(err instanceof GeoSettingError)) throw err;
          return fail('invalid', `settings rejected: ${err.setting}: ${err.message}`, [{ path: err.setting, message: err.message }]);
        }
      }
      try {
        this.options.saveSettings?.(patch);
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        return fail('conflict', `the settings file was not changed: ${err.message}`, err.issues);
      }
      this.settingsValue = result.settings;
      this.flows.setMaxFlows(result.settings.flows.maxFlows);
      this.log.info({ changed: Object.keys(patch) }, 'settings changed');
      return ok(this.settingsValue);
    },
    'settings.info': async () =>
      ok({ file: this.options.settingsFile ?? null, fileOnly: [...FILE_ONLY_SETTINGS], overridden: [...(this.options.overriddenSettings ?? [])] }),
    ...alertHandlers(() => this.options.alerts),
    // The file needs a destination: the desktop app's save dialog or serve mode's POST /api/export download.
    'export.start': async () => fail('unavailable', 'export needs a destination: use the desktop app or POST /api/export'),
    'export.cancel': async ({ exportId }) => this.exports.cancel(exportId),
  };

  private requireHelper(): ApiResult<HelperPort> {
    return this.helper === null ? fail('unavailable', 'the capture helper is not running') : ok(this.helper);
  }

  private startParams(source: CaptureSource): StartParams {
    const { capture, flows } = this.settingsValue;
    const flowTimeouts = { tcp: flows.tcpIdleSec, udp: flows.udpIdleSec, icmp: flows.icmpIdleSec };
    switch (source.kind) {
      case 'live':
        return {
          source: { kind: 'live', interfaces: source.interfaces },
          bpf: source.bpf ?? (capture.bpf === '' ? undefined : capture.bpf),
          snaplen: source.snaplen ?? capture.snaplen,
          promisc: source.promiscuous ?? capture.promiscuous,
          bufferSize: capture.bufferMb * 1024 * 1024,
          flowTimeouts,
        };
      case 'replay':
        return { source: { kind: 'file', path: source.file, speed: source.speed }, flowTimeouts };
      default:
        return assertNever(source);
    }
  }

  /**
   * Idle, with a message for the person (a remembered interface that is gone, missing rights):
   * what a face of the app says when it did not start the capture it was asked to resume.
   */
  reportNotStarted(message: string): void {
    if (this.status.state === 'idle') this.setStatus({ error: message });
  }

  /** The demo file is the demo however it is started (the demo button, a restart, `--replay`): its alerts are never sent. */
  private isDemo(source: CaptureSource): boolean {
    const demo = this.options.demoCapture ?? null;
    return demo !== null && source.kind === 'replay' && realPath(source.file) === realPath(demo);
  }

  private async beginCapture(source: CaptureSource): Promise<ApiResult<CaptureStatus>> {
    const helper = this.requireHelper();
    if (!helper.ok) return helper;
    if (this.status.state === 'running' || this.status.state === 'starting') {
      return fail('conflict', 'a capture is already running; stop it first');
    }
    if (source.kind === 'live' && source.interfaces.length === 0) {
      return fail('invalid', 'choose at least one interface', [{ path: 'interfaces', message: 'must not be empty' }]);
    }
    const demo = this.isDemo(source);
    // The id is ours, set before the request: events of a fast replay can arrive before the answer to `start`.
    const params = { ...this.startParams(source), sessionId: randomBytes(8).toString('hex') };
    this.flushFlows();
    this.endSession();
    this.memory.clear();
    this.resetCaptureTotals();
    this.setStatus({ state: 'starting', source, error: null, progress: null, captureId: params.sessionId, demo });
    this.recordSession(() => this.history.startSession({
      id: params.sessionId,
      kind: demo ? 'demo' : source.kind,
      source: source.kind === 'live' ? source.interfaces.join(',') : source.file,
      startedAtMs: this.now(),
    }));
    this.alertFeed.captureStarted(source, helper.value, demo);
    try {
      const started = await helper.value.request('start', params);
      this.beginSession(started, source);
      return ok(this.captureStatus());
    } catch (err) {
      this.setStatus({ state: 'error', error: (err as Error).message });
      throw err;
    }
  }

  private beginSession(started: SessionStatus, source: CaptureSource): void {
    const answered = started.state === 'failed' ? 'error' : started.state === 'running' ? 'running' : 'finished';
    this.setStatus({
      // A state event that overtook the answer (a short replay already finished) is newer than the answer.
      state: this.status.state === 'starting' ? answered : this.status.state,
      captureId: started.sessionId,
      source,
      path: started.capturePath,
      startedAtMs: started.startedAt * 1000,
      error: started.error?.message ?? this.status.error,
    });
  }

  private async stopCapture(): Promise<ApiResult<CaptureStatus>> {
    const helper = this.requireHelper();
    if (!helper.ok) return helper;
    const id = this.status.captureId;
    if (id === null || (this.status.state !== 'running' && this.status.state !== 'starting')) return ok(this.captureStatus());
    this.setStatus({ state: 'stopping' });
    await helper.value.request('stop', { sessionId: id });
    // The helper's 'stopped' event may have started the session's last catch-up: its flows belong in the log too.
    await this.finishing;
    this.flushFlows();
    this.endSession();
    this.setStatus({ state: 'idle' });
    return ok(this.captureStatus());
  }

  captureStatus(): CaptureStatus {
    return { ...this.status };
  }

  private setStatus(change: Partial<CaptureStatus>): void {
    this.status = { ...this.status, ...change };
    this.emit('capture.status', this.captureStatus());
  }

  private isCurrent(session: string | null): boolean {
    if (session !== null && session === this.status.captureId) return true;
    this.staleEvents++;
    return false;
  }

  private onRollup(r: EventMap['rollup'], session: string | null): void {
    if (!this.isCurrent(session) || session === null) return;
    const protocols = zeroProtocols();
    // The helper also counts network layers (ipv4, ipv6); the API splits by transport only, where every packet counts once.
    for (const p of PROTOS) {
      const c = r.byProtocol[p];
      if (c !== undefined) protocols[p] = { bytes: c.bytes, packets: c.packets };
    }
    const tick: RollupTick = {
      captureId: session,
      tsMs: r.second * 1000,
      interfaces: r.interfaces.map((i) => ({
        iface: i.iface,
        in: { bytes: i.bytesIn, packets: i.packetsIn },
        out: { bytes: i.bytesOut, packets: i.packetsOut },
        kernelDrops: i.kernelDrops,
        helperDrops: i.helperDrops,
      })),
      protocols,
      topHosts: r.topHosts.map((h) => ({
        ip: h.addr, name: h.name ?? this.flows.names.get(h.addr) ?? null, bytes: h.bytes, packets: h.packets,
        ...(this.geo === undefined ? {} : { geo: this.geo.lookup(h.addr) }),
        ...(h.probe !== undefined ? { probe: h.probe } : {}),
      })),
      topFlows: r.topFlows.map((f) => ({ flowId: `${session}:${f.flowId}`, label: f.label, bytes: f.bytes, packets: f.packets, ...(f.probe !== undefined ? { probe: f.probe } : {}) })),
      activeFlows: r.activeFlows,
      newFlows: r.newFlows,
    };
    // The helper analyses every TCP flow and leaves quality out of a second without news: zeros, not unknown.
    const q = r.quality ?? { retransmissions: 0, handshakes: 0, rttSumMs: 0, flows: [] };
    tick.quality = { ...q, flows: q.flows.map((f) => ({ ...f, flowId: `${session}:${f.flowId}` })) };
    this.activeFlowsNow = r.activeFlows;
    this.lastTickMs = tick.tsMs;
    this.memory.add(tick);
    for (const s of tick.interfaces) {
      let total = this.ifaceTotals.get(s.iface);
      if (total === undefined) {
        total = { iface: s.iface, in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 }, kernelDrops: 0, helperDrops: 0 };
        this.ifaceTotals.set(s.iface, total);
      }
      total.in.bytes += s.in.bytes;
      total.in.packets += s.in.packets;
      total.out.bytes += s.out.bytes;
      total.out.packets += s.out.packets;
      total.kernelDrops += s.kernelDrops;
      total.helperDrops += s.helperDrops;
    }
    for (const p of PROTOS) {
      this.protoTotals[p].bytes += protocols[p].bytes;
      this.protoTotals[p].packets += protocols[p].packets;
    }
    try {
      this.history.recordTick(tick);
    } catch (err) {
      this.historyWriteErrors++;
      this.log.error({ err }, 'cannot write counters to the history database');
    }
    this.emit('rollup.tick', tick);
    this.alertFeed.tick(tick, (id) => this.flows.get(id));
  }

  private onFlowDeltas(d: EventMap['flowDeltas'], session: string | null): void {
    if (!this.isCurrent(session) || session === null) return;
    const tsMs = d.second * 1000;
    const updated = d.updated.map((row) => this.flows.update(this.withGeo(flowFromRow(row, session)), tsMs));
    const finished = d.ended
      .map((row) => this.flows.end(`${session}:${row.id}`, this.withGeo(flowFromRow(row, session))))
      .filter((f): f is FlowSummary => f !== undefined);
    this.recordFinished(finished);
    this.alertFeed.flush();
    this.emit('flows.delta', { captureId: session, tsMs, updated, finished, omitted: d.omitted });
    if (d.omitted > 0) {
      this.deltaOmittedFlows += d.omitted;
      this.omittedSinceSync += d.omitted;
      this.scheduleFlowSync(session);
    }
  }

  private onCaptureState(s: EventMap['captureState']): void {
    if (s.sessionId !== this.status.captureId) return;
    switch (s.state) {
      case 'running':
        this.setStatus({ state: 'running', path: s.capturePath });
        return;
      case 'finished':
      case 'stopped': {
        // The helper keeps an ended session's flows: fetch those its deltas left out before they move to the log.
        const finishing = this.catchUpFlows(s.sessionId).then(() => {
          if (this.finishing === finishing) this.finishing = null;
          if (s.sessionId !== this.status.captureId) return;
          this.flushFlows();
          this.endSession();
          this.setStatus({
            state: s.state === 'finished' ? 'finished' : 'idle',
            progress: s.state === 'finished' ? 1 : this.status.progress,
            // A file cut short or damaged still finishes, with what was read and the reason it stopped.
            error: s.error?.message ?? this.status.error,
          });
        });
        this.finishing = finishing;
        return;
      }
      case 'failed':
        this.flushFlows();
        this.endSession();
        this.setStatus({ state: 'error', error: s.error?.message ?? 'the capture failed' });
        return;
      default:
        assertNever(s.state);
    }
  }

  private onCaptureError(e: EventMap['captureError'], session: string | null): void {
    this.emit('capture.error', { captureId: session, code: e.error.name, message: e.error.message });
    if (session === this.status.captureId) this.setStatus(e.fatal ? { state: 'error', error: e.error.message } : { error: e.error.message });
  }

  /** Starts a catch-up of a running capture unless one ran within the interval; then one runs when the interval is over. */
  private scheduleFlowSync(session: string): void {
    if (this.flowSync !== null || this.flowSyncTimer !== null) return;
    const wait = this.lastFlowSyncMs + FLOW_SYNC_INTERVAL_MS - this.now();
    if (wait <= 0) {
      void this.catchUpFlows(session);
      return;
    }
    this.flowSyncTimer = setTimeout(() => {
      this.flowSyncTimer = null;
      if (session === this.status.captureId && this.status.state === 'running') void this.catchUpFlows(session);
    }, wait);
    this.flowSyncTimer.unref();
  }

  /** Waits for a catch-up in flight, then runs one if the helper left flows out since. One at a time. */
  private async catchUpFlows(session: string): Promise<void> {
    while (this.flowSync !== null) await this.flowSync;
    if (this.omittedSinceSync === 0 || session !== this.status.captureId) return;
    this.flowSync = this.syncFlows(session).finally(() => {
      this.flowSync = null;
    });
    await this.flowSync;
  }

  /**
   * Pages through the helper's flow table into the book, up to the book's
   * bound (what does not fit is counted as dropped): the flows its bounded
   * 1 s deltas left out. Ended flows it left out are gone from the table.
   */
  private async syncFlows(session: string): Promise<void> {
    const helper = this.helper;
    if (helper === null) return;
    this.omittedSinceSync = 0;
    this.lastFlowSyncMs = this.now();
    let offset = 0;
    for (;;) {
      const page = await helper.request('flows', { sessionId: session, sort: 'id', offset, limit: HELPER_FLOW_PAGE }).catch((err: unknown) => {
        this.log.warn({ err, session }, 'cannot catch up with the helper flow table');
        return null;
      });
      if (page === null || session !== this.status.captureId) return;
      let tsMs = 0;
      const updated = page.flows.map((row) => {
        tsMs = Math.max(tsMs, row.lastSeen * 1000);
        return this.flows.catchUp(this.withGeo(flowFromRow(row, session)));
      });
      if (updated.length > 0) this.emit('flows.delta', { captureId: session, tsMs, updated, finished: [], omitted: 0 });
      offset += page.flows.length;
      if (page.flows.length === 0 || offset >= page.total) return;
      if (this.flows.isFull) {
        this.flows.droppedFlows += page.total - offset;
        return;
      }
    }
  }

  private resetCaptureTotals(): void {
    this.ifaceTotals.clear();
    this.lastTickMs = null;
    for (const p of PROTOS) this.protoTotals[p] = { bytes: 0, packets: 0 };
    this.evictedFlows = 0;
    this.geoTally.clear();
  }

  /** Moves every flow still in the book to the finished-flow log (the capture ended). */
  private flushFlows(): void {
    if (this.flowSyncTimer !== null) clearTimeout(this.flowSyncTimer);
    this.flowSyncTimer = null;
    this.omittedSinceSync = 0;
    this.alertFeed.flush();
    this.recordFinished(this.flows.endAll());
    this.activeFlowsNow = 0;
  }

  /** Adds the country and AS of both ends (a cached lookup per address, none per packet). */
  private readonly withGeo = (flow: FlowSummary): FlowSummary => {
    const geo = this.geo;
    if (geo === undefined || flow.geo !== undefined) return flow;
    return { ...flow, geo: { a: geo.lookup(flow.a), b: geo.lookup(flow.b) } };
  };

  /** Marks the current session ended in the history (once; a later call for the same session changes nothing). */
  private endSession(): void {
    const id = this.status.captureId;
    if (id !== null) this.recordSession(() => this.history.endSession(id, this.now()));
  }

  private recordSession(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.historyWriteErrors++;
      this.log.error({ err }, 'cannot write the capture session to the history database');
    }
  }

  /** A filter without a session reads the current session's flows (every session's when no capture ran yet). */
  private sessionFilter(filter: FlowFilter): FlowFilter {
    if (filter.session !== undefined || this.status.captureId === null) return filter;
    return { ...filter, session: this.status.captureId };
  }

  private applications(session: string | null, fromMs: number | null): ApplicationsReport {
    const platform = process.platform;
    if (session === null) {
      return { session: null, fromMs, applications: [], omitted: 0, unattributed: { bytes: 0, flows: 0 }, truncated: false, attribution: platform === 'linux' ? 'available' : 'unsupported-platform' };
    }
    const sessionKind = session === ALL_SESSIONS ? null : this.history.sessionKind(session);
    return applicationsReport(this.history.database, this.flows.activeFlows(), {
      session, fromMs, sessionKind, platform, localAddresses: localAddresses(), nameOf: (ip) => this.flows.names.get(ip),
    });
  }

  private recordFinished(flows: FlowSummary[]): void {
    this.geoTally.addFinished(flows);
    try {
      this.history.recordFinishedFlows(flows);
    } catch (err) {
      this.historyWriteErrors++;
      this.log.error({ err }, 'cannot write finished flows to the history database');
    }
  }

  /**
   * A page of flows: live ones from the book, ended ones from the history, both filtered and sorted by the one
   * definition in src-shared/flow-query.ts, so their pages merge. `after` continues from a page's `next` cursor.
   */
  private queryFlows(q: FlowQuery): FlowPage {
    const limit = Math.min(Math.max(1, q.limit), MAX_PAGE);
    const offset = Math.max(0, q.offset);
    const end = offset + limit;
    const pageOf = (rows: FlowSummary[], total: number, more: boolean): FlowPage => {
      const flows = rows.slice(offset, end);
      return { total, offset, flows, next: more && flows.length > 0 ? cursorOf(flows[flows.length - 1], q.sort.key) : null };
    };
    switch (q.scope) {
      case 'active': {
        const { total, rest } = this.activeAfter(q);
        return pageOf(rest, total, rest.length > end);
      }
      case 'finished':
        return this.history.searchFlows(q.filter, q.sort, offset, limit, q.after);
      case 'all': {
        const active = this.activeAfter(q);
        // No active flow (a finished capture): SQLite pages the log itself.
        if (active.total === 0) return this.history.searchFlows(q.filter, q.sort, offset, limit, q.after);
        // Both sources are sorted the same way: the first offset+limit rows after the cursor of each make the page.
        const finished = this.history.searchFlows(q.filter, q.sort, 0, end, q.after);
        const merged = sortFlowList([...active.rest.slice(0, end), ...finished.flows], q.sort);
        return pageOf(merged, active.total + finished.total, merged.length > end || active.rest.length > end || finished.next !== null);
      }
      default:
        return assertNever(q.scope);
    }
  }

  /** The live flows matching a query (their count), and those after its cursor in its order. */
  private activeAfter(q: FlowQuery): { total: number; rest: FlowSummary[] } {
    const all = this.flows.query(q.filter, q.sort);
    const after = q.after;
    if (after === undefined) return { total: all.length, rest: all };
    // Sorted: the flows after the cursor are a suffix; find where it starts.
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (isAfterCursor(all[mid], q.sort, after)) hi = mid;
      else lo = mid + 1;
    }
    return { total: all.length, rest: all.slice(lo) };
  }

  private counterSeries(q: { fromMs: number; toMs: number; stepSec: number; iface?: string }): CounterSeries {
    const oldest = this.memory.oldestMs();
    const iface = q.iface ?? null;
    // Seconds while they are in memory; otherwise the finest stored resolution that divides the step.
    if (q.stepSec % 60 !== 0 || (oldest !== null && q.fromMs >= oldest)) {
      return { iface, stepSec: q.stepSec, sourceStepSec: 1, points: this.memory.series(q) };
    }
    const resolution = q.stepSec % 3600 === 0 && q.fromMs < this.now() - this.settingsValue.history.minuteDays * 86_400_000 ? 3600 : 60;
    return { iface, stepSec: q.stepSec, sourceStepSec: resolution, points: this.history.counters(q, resolution) };
  }

  private async stats(): Promise<Stats> {
    if (this.helper !== null && this.status.captureId !== null) {
      try {
        const s = await this.helper.request('stats', { sessionId: this.status.captureId }, { timeoutMs: 2000 });
        if (s.session !== null) this.evictedFlows = s.session.flowsEvicted;
      } catch (err) {
        this.log.debug({ err }, 'helper stats unavailable');
      }
    }
    return {
      uptimeSec: (this.now() - this.startedAt) / 1000,
      capture: this.captureStatus(),
      lastTickMs: this.lastTickMs,
      interfaces: [...this.ifaceTotals.values()].map((t) => structuredClone(t)),
      protocols: structuredClone(this.protoTotals),
      activeFlows: this.activeFlowsNow,
      finishedFlows: this.history.countFinishedFlows(),
      evictedFlows: this.evictedFlows,
      mainDrops: {
        flowBook: this.flows.droppedFlows,
        flowSeries: this.flows.droppedSeries,
        names: this.flows.droppedNames,
        memoryInterfaces: this.memory.droppedInterfaceSeconds,
        historyWrites: this.historyWriteErrors,
        staleEvents: this.staleEvents,
        deltaOmitted: this.deltaOmittedFlows,
        alertSampleErrors: this.alertFeed.sampleErrors,
        alertLocalAddressesDropped: this.alertFeed.droppedLocalAddresses,
        exportSinkOverflows: this.exports.sinkOverflows,
      },
    };
  }

  private runRetention(): void {
    try {
      const deleted = this.history.applyRetention(this.settingsValue.history, this.now());
      if (deleted.minuteRows + deleted.hourRows + deleted.flowRows > 0) this.log.info(deleted, 'history retention applied');
    } catch (err) {
      this.log.error({ err }, 'history retention failed');
    }
  }

  close(): void {
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    this.flushFlows();
    this.endSession();
    this.detachHelper();
    this.emitter.removeAllListeners();
  }
}
