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
  private flowSync: Promise<void> | null = null;
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

  /** One second of the current session's flow deltas (the caller checked the session). */
  onFlowDeltas(d: EventMap['flowDeltas'], session: string): void {
    const tsMs = d.second * 1000;
    const updated = d.updated.map((row) => this.flows.update(this.withGeo(flowFromRow(row, session)), tsMs));
    const finished = d.ended
      .map((row) => this.flows.end(`${session}:${row.id}`, this.withGeo(flowFromRow(row, session))))
      .filter((f): f is FlowSummary => f !== undefined);
    this.flowLog.add(finished);
    this.options.flushAlerts();
    this.emit('flows.delta', { captureId: session, tsMs, updated, finished, omitted: d.omitted });
    if (d.omitted > 0) {
      this.deltaOmittedFlows += d.omitted;
      this.omittedSinceSync += d.omitted;
      this.scheduleFlowSync(session);
    }
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
    let seen = 0;
    let afterId: number | undefined;
    for (;;) {
      // Keyset pages in table order: the helper reads each from where the last ended, never sorting its flows.
      const page = await helper.request('flows', { sessionId: session, sort: 'table', offset: 0, limit: HELPER_FLOW_PAGE, afterId }).catch((err: unknown) => {
        this.log.warn({ err, session }, 'cannot catch up with the helper flow table');
        return null;
      });
      if (page === null || session !== this.options.currentSession()) return;
      let tsMs = 0;
      const updated = page.flows.map((row) => {
        tsMs = Math.max(tsMs, row.lastSeen * 1000);
        return this.flows.catchUp(this.withGeo(flowFromRow(row, session)));
      });
      if (updated.length > 0) this.emit('flows.delta', { captureId: session, tsMs, updated, finished: [], omitted: 0 });
      seen += page.flows.length;
      if (page.flows.length < HELPER_FLOW_PAGE) return;
      afterId = page.flows[page.flows.length - 1].id;
      if (this.flows.isFull) {
        this.flows.droppedFlows += Math.max(0, page.total - seen);
        return;
      }
    }
  }

  /** No catch-up is due any more (the capture ended). */
  stopSync(): void {
    if (this.flowSyncTimer !== null) clearTimeout(this.flowSyncTimer);
    this.flowSyncTimer = null;
    this.omittedSinceSync = 0;
  }

  /** Queues every flow still in the book for the finished-flow log. */
  endAll(): void {
    this.flowLog.add(this.flows.endAll());
  }
}
