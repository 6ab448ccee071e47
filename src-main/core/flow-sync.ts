import type { EventMap } from '../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload } from '../api/contract';
import type { FlowSummary } from '../api/types/flows';
import { flowFromRow, FlowBook } from './flow-book';
import { FlowLogWriter } from './flow-log-writer';
import type { HelperPort } from './helper-port';
import type { Logger } from './log';

/** Rows per `flows` request when catching up with the helper's flow table (its page bound). */
const HELPER_FLOW_PAGE = 1000;
/** A running capture catches up with flows left out of the deltas at most this often. */
const FLOW_SYNC_INTERVAL_MS = 5000;

export interface FlowSyncOptions {
  maxFlows: number;
  log: Logger;
  now: () => number;
  helper: () => HelperPort | null;
  /** The session whose flows the book holds (null: none yet). */
  currentSession: () => string | null;
  /** Whether a capture is running (a timed catch-up runs only then). */
  running: () => boolean;
  emit: <E extends EventChannel>(channel: E, payload: EventPayload<E>) => void;
  /** Adds the country and AS of both ends. */
  withGeo: (flow: FlowSummary) => FlowSummary;
  /** A second's flows are in: the alert feed may judge the held second. */
  flushAlerts: () => void;
  /** Writes finished flows into the history (the log writer calls it a chunk at a time). */
  writeFinished: (rows: FlowSummary[]) => void;
  /** A write of finished flows failed (counted with the core's other history write errors). */
  historyWriteFailed: () => void;
}

/**
 * Main's copy of the helper's flows: the book of live flows fed by the helper's 1 s deltas,
 * the catch-up from the helper's flow table for the flows those bounded deltas left out,
 * and the writer that moves finished flows into the history's finished-flow log.
 */
export class FlowSync {
  readonly flows: FlowBook;
  /** Finished flows on their way to the history, a bounded chunk per turn of the event loop. */
  readonly flowLog: FlowLogWriter;
  /** Flows the helper left out of its bounded deltas (caught up from its flow table; ended ones are lost). */
  deltaOmittedFlows = 0;
  private omittedSinceSync = 0;
  /** The second whose delta parts are coming in (null: none open), and what its parts held so far. */
  private openSecond: { session: string; second: number; updated: number; finished: number; omitted: number } | null = null;
  private flowSync: Promise<void> | null = null;
  /** Counts the captures whose catch-up ended (stopSync): a catch-up in flight when its capture ends applies nothing more. */
  private syncEpoch = 0;
  private flowSyncTimer: NodeJS.Timeout | null = null;
  private lastFlowSyncMs = 0;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly emit: FlowSyncOptions['emit'];
  private readonly withGeo: FlowSyncOptions['withGeo'];

  constructor(private readonly options: FlowSyncOptions) {
    this.log = options.log;
    this.now = options.now;
    this.emit = options.emit;
    this.withGeo = options.withGeo;
    this.flows = new FlowBook(options.maxFlows);
    this.flowLog = new FlowLogWriter(
      (rows) => options.writeFinished(rows),
      (err, rows) => {
        options.historyWriteFailed();
        this.log.error({ err, rows }, 'cannot write finished flows to the history database');
      },
    );
  }

  /**
   * A part of one second of the current session's flow deltas (the caller checked the session). Once the second's
   * last part is in (or a part of a later second comes, when the last was dropped), the alerts judge the second and
   * the views hear of it, once.
   */
  onFlowDeltas(d: EventMap['flowDeltas'], session: string): void {
    const tsMs = d.second * 1000;
    for (const row of d.updated) this.flows.update(this.withGeo(flowFromRow(row, session)), tsMs);
    const finished = d.ended
      .map((row) => this.flows.end(`${session}:${row.id}`, this.withGeo(flowFromRow(row, session))))
      .filter((f): f is FlowSummary => f !== undefined);
    this.flowLog.add(finished);
    const open = this.openSecond;
    if (open !== null && (open.second !== d.second || open.session !== session)) this.closeSecond();
    const second = (this.openSecond ??= { session, second: d.second, updated: 0, finished: 0, omitted: 0 });
    second.updated += d.updated.length;
    second.finished += finished.length;
    second.omitted += d.omitted;
    if (d.more !== true) this.closeSecond();
    if (d.omitted > 0) {
      this.deltaOmittedFlows += d.omitted;
      this.omittedSinceSync += d.omitted;
      this.scheduleFlowSync(session);
    }
  }

  private closeSecond(): void {
    const s = this.openSecond;
    if (s === null) return;
    this.openSecond = null;
    this.options.flushAlerts();
    this.emit('flows.delta', { captureId: s.session, tsMs: s.second * 1000, updated: s.updated, finished: s.finished, omitted: s.omitted });
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
      if (session === this.options.currentSession() && this.options.running()) void this.catchUpFlows(session);
    }, wait);
    this.flowSyncTimer.unref();
  }

  /** Waits for a catch-up in flight, then runs one if the helper left flows out since. One at a time. */
  async catchUpFlows(session: string): Promise<void> {
    while (this.flowSync !== null) await this.flowSync;
    if (this.omittedSinceSync === 0 || session !== this.options.currentSession()) return;
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
    const helper = this.options.helper();
    if (helper === null) return;
    this.omittedSinceSync = 0;
    this.lastFlowSyncMs = this.now();
    const epoch = this.syncEpoch;
    let seen = 0;
    let tsMs = 0;
    let afterId: number | undefined;
    // The views hear of the catch-up once, when it is over.
    const caughtUp = (): void => {
      if (seen > 0 && session === this.options.currentSession()) this.emit('flows.delta', { captureId: session, tsMs, updated: seen, finished: 0, omitted: 0 });
    };
    for (;;) {
      // Keyset pages in table order: the helper reads each from where the last ended, never sorting its flows.
      const page = await helper.request('flows', { sessionId: session, sort: 'table', offset: 0, limit: HELPER_FLOW_PAGE, afterId }).catch((err: unknown) => {
        this.log.warn({ err, session }, 'cannot catch up with the helper flow table');
        return null;
      });
      // The capture ended meanwhile: its flows went to the log, and a page applied now would bring them back.
      if (epoch !== this.syncEpoch) return;
      if (page === null || session !== this.options.currentSession()) return caughtUp();
      for (const row of page.flows) {
        tsMs = Math.max(tsMs, row.lastSeen * 1000);
        this.flows.catchUp(this.withGeo(flowFromRow(row, session)));
      }
      seen += page.flows.length;
      if (page.flows.length < HELPER_FLOW_PAGE) return caughtUp();
      afterId = page.flows[page.flows.length - 1].id;
      if (this.flows.isFull) {
        this.flows.droppedFlows += Math.max(0, page.total - seen);
        return caughtUp();
      }
    }
  }

  /** No catch-up is due any more (the capture ended). */
  stopSync(): void {
    this.syncEpoch += 1;
    // A second whose last part was dropped is over too.
    this.closeSecond();
    if (this.flowSyncTimer !== null) clearTimeout(this.flowSyncTimer);
    this.flowSyncTimer = null;
    this.omittedSinceSync = 0;
  }

  /** Queues every flow still in the book for the finished-flow log. */
  endAll(): void {
    this.flowLog.add(this.flows.endAll());
  }
}
