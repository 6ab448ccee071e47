import { EventEmitter } from 'node:events';
import type { EventMap } from '../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload, RequestChannel, RequestResult } from '../api/contract';
import type { ApplicationsReport } from '../api/types/applications';
import type { CaptureSource, CaptureStatus } from '../api/types/capture';
import type { FlowFilter, FlowSummary } from '../api/types/flows';
import type { ApiResult } from '../api/types/results';
import type { Settings, SettingsPatch } from '../api/types/settings';
import type { CounterSeries, Stats } from '../api/types/stats';
import { AlertFeed } from './alerts-bridge';
import type { AlertsPort } from './alerts-bridge';
import { fail } from './api-result';
import { CaptureControl } from './capture-control';
import { CaptureTotals, rollupTick } from './capture-totals';
import { ExportService } from './export-service';
import { ALL_SESSIONS, FlowFilterError } from '../../src-shared/flow-query';
import { applicationsReport, localAddresses } from './applications';
import type { FlowBook } from './flow-book';
import { flowIdsMatching, queryFlowPage } from './flow-pages';
import { FlowSync } from './flow-sync';
import { apiErrorOfHelperFailure } from './helper-client';
import type { HelperPort } from './helper-port';
import { hasStateSource } from './helper-port';
import type { HistoryDb } from './history-db';
import { GeoTally } from './geo/geo-breakdown';
import type { GeoService } from './geo/geo-service';
import type { Logger } from './log';
import { checkParams } from './request-params';
import { requestHandlers } from './request-handlers';
import type { Handlers, RequestHandler } from './request-handlers';
import { RollupMemory } from './rollup-memory';

const RETENTION_INTERVAL_MS = 3_600_000;

/** Writes an accepted settings change into the settings file (the caller's, when it has one). */
export type SettingsWriter = (patch: SettingsPatch) => Promise<void>;

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

/**
 * Main's session state: drives the capture helper, keeps the last hour of
 * 1 s rollups in memory and longer history in SQLite, the live flow book, and
 * answers every request channel of the API. No Electron, no HTTP: both the
 * Electron shell and `netmon serve` put a transport in front of it.
 *
 * The parts, each in its own module: the capture session and its status
 * (`capture-control.ts`), the live flows and the finished-flow log
 * (`flow-sync.ts`), the capture's totals (`capture-totals.ts`), pages of
 * flows merged from the book and the log (`flow-pages.ts`) and the request
 * handler table (`request-handlers.ts`). This class wires them to the
 * helper's events and answers the queries that read more than one of them
 * (stats, counter series, applications); that wiring is why it is still a
 * little over 400 lines.
 */
export class NetmonCore {
  private settingsValue: Settings;
  private readonly history: HistoryDb;
  private readonly log: Logger;
  private readonly memory = new RollupMemory();
  private readonly sync: FlowSync;
  private readonly flows: FlowBook;
  private readonly capture: CaptureControl;
  private readonly totals = new CaptureTotals();
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
  /** History writes that failed (disk full, locked database): counted, never thrown at the helper's events. */
  historyWriteErrors = 0;
  private readonly handlers: Handlers;

  constructor(private readonly options: NetmonCoreOptions) {
    this.settingsValue = options.settings;
    this.history = options.history;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.emitter.setMaxListeners(0);
    this.alertFeed = new AlertFeed(options.alerts, this.log);
    const emit = this.emit.bind(this);
    const historyWriteFailed = (): void => {
      this.historyWriteErrors++;
    };
    this.sync = new FlowSync({
      maxFlows: options.settings.flows.maxFlows,
      log: this.log,
      now: this.now,
      helper: () => this.helper,
      currentSession: () => this.capture.captureId,
      running: () => this.capture.captureStatus().state === 'running',
      emit,
      withGeo: this.withGeo,
      flushAlerts: () => this.alertFeed.flush(),
      writeFinished: (rows) => {
        this.geoTally.addFinished(rows);
        this.history.recordFinishedFlows(rows);
      },
      writeBatch: { begin: () => this.history.beginBatch(), commit: () => this.history.commitBatch() },
      historyWriteFailed,
    });
    this.flows = this.sync.flows;
    this.capture = new CaptureControl({
      log: this.log,
      now: this.now,
      history: this.history,
      settings: () => this.settingsValue,
      helper: () => this.helper,
      emit,
      demoCapture: options.demoCapture ?? null,
      sync: this.sync,
      alertFeed: this.alertFeed,
      flushFlows: () => this.flushFlows(),
      resetCapture: () => {
        this.memory.clear();
        this.totals.reset();
        this.geoTally.clear();
      },
      historyWriteFailed,
    });
    this.exports = new ExportService({
      helper: () => this.helper,
      captureId: () => this.capture.captureId,
      flowIdsMatching: (filter, limit) => flowIdsMatching({ book: this.flows, history: this.history }, filter, limit),
      emitProgress: (progress) => this.emit('export.progress', progress),
      logger: this.log.child({ component: 'export' }),
    });
    this.handlers = this.handlerTable();
    if (options.geo !== undefined) this.useGeo(options.geo);
    options.alerts?.on('event', (event) => this.emit('alerts.event', event));
    this.runRetention();
    this.retentionTimer = setInterval(() => this.runRetention(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  /** The request handlers over this core's parts. */
  private handlerTable(): Handlers {
    return requestHandlers({
      options: this.options,
      capture: this.capture,
      flows: this.flows,
      history: this.history,
      memory: this.memory,
      geoTally: this.geoTally,
      exports: this.exports,
      log: this.log,
      settings: () => this.settingsValue,
      replaceSettings: (settings) => {
        this.settingsValue = settings;
      },
      helper: () => this.helper,
      geo: () => this.geo,
      useGeo: (geo) => this.useGeo(geo),
      now: () => this.now(),
      withGeo: this.withGeo,
      sessionFilter: (filter) => this.sessionFilter(filter),
      queryFlows: (q) => queryFlowPage({ book: this.flows, history: this.history }, q),
      counterSeries: (q) => this.counterSeries(q),
      stats: () => this.stats(),
      applications: (session, fromMs) => this.applications(session, fromMs),
    });
  }

  /** Ticks of a stale capture session, dropped. */
  get staleEvents(): number {
    return this.capture.staleEvents;
  }

  /** Flows the helper left out of its bounded deltas (caught up from its flow table; ended ones are lost). */
  get deltaOmittedFlows(): number {
    return this.sync.deltaOmittedFlows;
  }

  /** Gives flows, hosts, filters and the breakdown their country and AS from now on (the databases load after start,
   *  and a settings change may replace them). */
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
      helper.on('captureState', (payload) => this.capture.onCaptureState(payload)),
      helper.on('captureError', (payload, meta) => this.capture.onCaptureError(payload, meta.session)),
      helper.on('eventsDropped', () => this.sync.onEventsDropped()),
    ];
    if (hasStateSource(helper)) {
      // The supervisor restarts a crashed helper and re-issues the running session's start with the same id.
      this.helperUnsubscribe.push(helper.onStatus((s) => {
        this.capture.setStatus({ helper: s.state, helperRestarts: s.restarts });
        if (s.state === 'restarting' && s.lastError !== null) {
          this.emit('capture.error', { captureId: this.capture.captureId, code: 'HelperRestart', message: s.lastError });
          this.capture.interruptReplay(s.lastError);
        }
      }));
    } else {
      this.capture.setStatus({ helper: 'connected' });
    }
  }

  detachHelper(): void {
    for (const off of this.helperUnsubscribe) off();
    this.helperUnsubscribe = [];
    this.helper = null;
    this.capture.setStatus({ helper: 'down' });
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
    return this.answer('capture.start', () => this.capture.beginCapture(source));
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

  /** Idle, with a message for the person: a face of the app did not start the capture it was asked to resume. */
  reportNotStarted(message: string): void {
    this.capture.reportNotStarted(message);
  }

  captureStatus(): CaptureStatus {
    return this.capture.captureStatus();
  }

  private onRollup(r: EventMap['rollup'], session: string | null): void {
    if (!this.capture.isCurrent(session) || session === null) return;
    this.sync.onHelperActiveFlows(r.activeFlows);
    const tick = rollupTick(r, session, (ip) => this.flows.names.get(ip), this.geo);
    this.memory.add(tick);
    this.totals.add(tick);
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
    if (!this.capture.isCurrent(session) || session === null) return;
    this.sync.onFlowDeltas(d, session);
  }

  /** Moves every flow still in the book to the finished-flow log (the capture ended). */
  private flushFlows(): void {
    this.sync.stopSync();
    this.alertFeed.flush();
    this.sync.endAll();
    this.totals.activeFlowsNow = 0;
  }

  /** Adds the country and AS of both ends (a cached lookup per address, none per packet). */
  private readonly withGeo = (flow: FlowSummary): FlowSummary => {
    const geo = this.geo;
    if (geo === undefined || flow.geo !== undefined) return flow;
    return { ...flow, geo: { a: geo.lookup(flow.a), b: geo.lookup(flow.b) } };
  };

  /** A filter without a session reads the current session's flows (every session's when no capture ran yet). */
  private sessionFilter(filter: FlowFilter): FlowFilter {
    if (filter.session !== undefined || this.capture.captureId === null) return filter;
    return { ...filter, session: this.capture.captureId };
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
    if (this.helper !== null && this.capture.captureId !== null) {
      try {
        const s = await this.helper.request('stats', { sessionId: this.capture.captureId }, { timeoutMs: 2000 });
        if (s.session !== null) this.totals.evictedFlows = s.session.flowsEvicted;
      } catch (err) {
        this.log.debug({ err }, 'helper stats unavailable');
      }
    }
    return {
      uptimeSec: (this.now() - this.startedAt) / 1000,
      capture: this.captureStatus(),
      lastTickMs: this.totals.lastTickMs,
      interfaces: [...this.totals.ifaceTotals.values()].map((t) => structuredClone(t)),
      protocols: structuredClone(this.totals.protoTotals),
      activeFlows: this.totals.activeFlowsNow,
      finishedFlows: this.history.countFinishedFlows(),
      evictedFlows: this.totals.evictedFlows,
      flowsBeyondBook: this.sync.flowsBeyondBook,
      mainDrops: {
        flowBook: this.sync.droppedFlows,
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
    this.capture.closed = true;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    this.flushFlows();
    // Shutting down: what is still queued is written now, before the database closes.
    this.sync.flowLog.flushNow();
    this.capture.endSession();
    this.detachHelper();
    this.emitter.removeAllListeners();
  }
}
