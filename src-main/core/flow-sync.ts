import type { EventMap, FlowRow, RequestParams } from '../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload } from '../api/contract';
import type { FlowSummary } from '../api/types/flows';
import { flowFromRow, FlowBook } from './flow-book';
import type { WriteBatch } from './flow-log-writer';
import { FlowLogWriter } from './flow-log-writer';
import type { HelperPort } from './helper-port';
import type { Logger } from './log';

/** Rows per `flows` request when catching up with the helper's flow table (its page bound). */
const HELPER_FLOW_PAGE = 1000;
/** A running capture catches up with flows left out of the deltas this long after the last catch-up ended at the
 *  soonest (or as long as that one took, if longer: catch-ups of a full book take half of main's time at most):
 *  promptly after a loss, and never back to back while the helper keeps leaving flows out. */
const FLOW_SYNC_INTERVAL_MS = 1000;
/** Flows ended or changed while a catch-up is in flight that it remembers; past it the catch-up gives up and the
 *  next one starts afresh. Five seconds of the most a delta carries. */
const MAX_TRACKED_DURING_CATCH_UP = 100_000;
/** Flows held that a catch-up of a running capture asks for by id at most, the least recently listed first: the
 *  most a second's deltas carry. A capture's last catch-up asks for all of them. */
const MAX_REFRESHED_WHILE_RUNNING = 20_000;

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
  /** A history transaction the chunks of several turns share (see FlowLogWriter). */
  writeBatch?: WriteBatch;
  /** A write of finished flows failed (counted with the core's other history write errors). */
  historyWriteFailed: () => void;
  /** Rows per `flows` request of a catch-up (default: the helper's page bound). */
  pageSize?: number;
  /** Flows held a running capture's catch-up asks for by id at most (default MAX_REFRESHED_WHILE_RUNNING). */
  refreshedWhileRunning?: number;
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
  /** Flows the helper may have left out since the last catch-up began (omitted from deltas, or events dropped). */
  private omittedSinceSync = 0;
  /** Active flows in the helper's table for the running capture (its latest rollup). */
  private helperActiveFlows = 0;
  /** The book's shortfall at the end of each capture ended so far, summed (`droppedFlows`). */
  private endedShortfall = 0;
  /** The flows the deltas ended or changed since the catch-up in flight began (null: none in flight). Its pages,
   *  read before those deltas, must not bring an ended flow back; a changed one is no flow the helper forgot. */
  private duringCatchUp: { ended: Set<string>; changed: Set<string> } | null = null;
  /** Flows a whole listing no longer found, out of the book: their end may still be on its way (the helper sends an
   *  ended flow with the next second's delta), so they go to the log once a later second came without it. */
  private presumedEnded = new Map<string, FlowSummary>();
  /** The newest second of the deltas when the flows above were found gone. */
  private presumedAfterSecond = -Infinity;
  private lastDeltaSecond = -Infinity;
  /** The second whose delta parts are coming in (null: none open), and what its parts held so far. */
  private openSecond: { session: string; second: number; updated: number; finished: number; omitted: number } | null = null;
  private flowSync: Promise<void> | null = null;
  /** Counts the captures whose catch-up ended (stopSync): a catch-up in flight when its capture ends applies nothing more. */
  private syncEpoch = 0;
  private flowSyncTimer: NodeJS.Timeout | null = null;
  private lastFlowSyncMs = 0;
  private lastFlowSyncTookMs = 0;
  /** The helper may hold flows of the capture the book does not: it turned some away, or a catch-up stopped at a full
   *  book. Cleared by a catch-up that listed the whole table and took every flow in. */
  private bookMayLackFlows = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly emit: FlowSyncOptions['emit'];
  private readonly pageSize: number;
  private readonly refreshedWhileRunning: number;

  constructor(private readonly options: FlowSyncOptions) {
    this.log = options.log;
    this.now = options.now;
    this.emit = options.emit;
    this.pageSize = options.pageSize ?? HELPER_FLOW_PAGE;
    this.refreshedWhileRunning = options.refreshedWhileRunning ?? MAX_REFRESHED_WHILE_RUNNING;
    this.flows = new FlowBook(options.maxFlows, options.withGeo);
    this.flowLog = new FlowLogWriter(
      (rows) => options.writeFinished(rows),
      (err, rows) => {
        options.historyWriteFailed();
        this.log.error({ err, rows }, 'cannot write finished flows to the history database');
      },
      options.writeBatch,
    );
  }

  /**
   * A part of one second of the current session's flow deltas (the caller checked the session). Once the second's
   * last part is in (or a part of a later second comes, when the last was dropped), the alerts judge the second and
   * the views hear of it, once.
   */
  onFlowDeltas(d: EventMap['flowDeltas'], session: string): void {
    const tsMs = d.second * 1000;
    const during = this.duringCatchUp;
    const turnedAway = this.flows.turnedAway;
    for (const row of d.updated) {
      const flow = this.flows.update(flowFromRow(row, session), tsMs);
      during?.changed.add(flow.id);
    }
    if (this.flows.turnedAway !== turnedAway) this.bookMayLackFlows = true;
    const finished: FlowSummary[] = [];
    for (const row of d.ended) {
      const id = `${session}:${row.id}`;
      const flow = this.flows.end(id, flowFromRow(row, session));
      if (flow !== undefined) finished.push(flow);
      during?.ended.add(id);
      this.presumedEnded.delete(id);
    }
    this.lastDeltaSecond = Math.max(this.lastDeltaSecond, d.second);
    // A later second's part came: the ends of the flows found gone, had they been sent, came before it.
    if (this.presumedEnded.size > 0 && d.second > this.presumedAfterSecond) finished.push(...this.takePresumedEnded());
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
    } else if (d.ended.length > 0 && this.bookMayLackFlows && !this.flows.isFull) {
      // Room in a book that turned flows away: those the helper still holds can come in now.
      this.omittedSinceSync += 1;
      this.scheduleFlowSync(session);
    }
  }

  /**
   * The helper dropped events for this connection (main read too slowly): a part of a delta may be among them, so
   * the current capture catches up from the helper's table as it does for omitted flows. The helper sends this
   * notice before any later capture state, so the catch-up at a capture's end knows of a part lost in its last second.
   */
  onEventsDropped(): void {
    const session = this.options.currentSession();
    if (session === null) return;
    this.omittedSinceSync += 1;
    if (this.options.running()) this.scheduleFlowSync(session);
  }

  /** The helper's count of active flows in the running capture (each rollup carries it). */
  onHelperActiveFlows(active: number): void {
    this.helperActiveFlows = active;
  }

  /**
   * Flows whose last state never reached the history for want of room in the book: at the end of each capture, its
   * active flows in the helper beyond the book's bound. Each flow counts once, and the count only grows (a flow the
   * book could not hold that ends while the capture runs is logged from its end).
   */
  get droppedFlows(): number {
    return this.endedShortfall;
  }

  /** The running capture's active flows in the helper beyond the book's bound: listed nowhere in main now (it falls
   *  as flows end or room frees up). */
  get flowsBeyondBook(): number {
    return Math.max(0, this.helperActiveFlows - this.flows.bound);
  }

  private closeSecond(): void {
    const s = this.openSecond;
    if (s === null) return;
    this.openSecond = null;
    this.options.flushAlerts();
    this.emit('flows.delta', { captureId: s.session, tsMs: s.second * 1000, updated: s.updated, finished: s.finished, omitted: s.omitted });
  }

  /** Starts a catch-up of a running capture unless one ended within the interval; then one runs when the interval
   *  is over. One in flight takes what it still finds: another is scheduled when it ends. */
  private scheduleFlowSync(session: string): void {
    if (this.flowSync !== null || this.flowSyncTimer !== null) return;
    const wait = this.lastFlowSyncMs + Math.max(FLOW_SYNC_INTERVAL_MS, this.lastFlowSyncTookMs) - this.now();
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

  /**
   * Waits for a catch-up in flight, then runs one if the helper left flows out since. One at a time. The last one
   * of a capture (`last`) gives every flow held its final counts; one of a running capture refreshes a bounded
   * share of a full book.
   */
  async catchUpFlows(session: string, last = false): Promise<void> {
    while (this.flowSync !== null) await this.flowSync;
    if (this.omittedSinceSync === 0 || session !== this.options.currentSession()) return;
    if (this.options.helper()?.listsFlows === false) {
      // No table to list (probes on the bus): the flows left out stay counted in `deltaOmittedFlows`.
      this.omittedSinceSync = 0;
      return;
    }
    const startedMs = this.now();
    this.flowSync = this.syncFlows(session, last ? Infinity : this.refreshedWhileRunning).finally(() => {
      this.flowSync = null;
      this.duringCatchUp = null;
      this.lastFlowSyncMs = this.now();
      this.lastFlowSyncTookMs = this.lastFlowSyncMs - startedMs;
      // Flows left out while it ran: the next catch-up, after the interval.
      if (this.omittedSinceSync > 0 && session === this.options.currentSession() && this.options.running()) this.scheduleFlowSync(session);
    });
    await this.flowSync;
  }

  /**
   * Pages through the helper's flow table into the book, up to the book's bound: the flows its bounded 1 s deltas
   * left out. Once the book is full, the flows it holds that the listing did not reach are asked for by id, so every
   * flow held gets its newest counts however large the table. Deltas keep coming meanwhile, and a page may be
   * applied after deltas the helper sent after reading it: a flow ended since the catch-up began is not brought
   * back, and a listed state older than the book's changes nothing (FlowBook.catchUp). Having seen every flow it
   * holds, or the whole table, the catch-up also ends the flows whose end main never heard of (the part that
   * carried it was left out or dropped): held since before the catch-up, unchanged since, and not in the table any
   * more. They go to the log with the last counts main had.
   */
  private async syncFlows(session: string, maxRefreshed: number): Promise<void> {
    const helper = this.options.helper();
    if (helper === null) return;
    this.omittedSinceSync = 0;
    const epoch = this.syncEpoch;
    const during = { ended: new Set<string>(), changed: new Set<string>() };
    this.duringCatchUp = during;
    const listed = new Set<string>();
    let seen = 0;
    let tsMs = 0;
    // The views hear of the catch-up once, when it is over.
    const caughtUp = (): void => {
      if (seen > 0 && session === this.options.currentSession()) this.emit('flows.delta', { captureId: session, tsMs, updated: seen, finished: 0, omitted: 0 });
    };
    /** One page of the helper's table into the book: its rows, or null when the catch-up must stop here. */
    const take = async (params: Pick<RequestParams<'flows'>, 'sort' | 'afterId' | 'ids'>): Promise<FlowRow[] | null> => {
      const page = await helper.request('flows', { sessionId: session, offset: 0, limit: this.pageSize, ...params }).catch((err: unknown) => {
        this.log.warn({ err, session }, 'cannot catch up with the helper flow table');
        return null;
      });
      // The capture ended meanwhile: its flows went to the log, and a page applied now would bring them back.
      if (epoch !== this.syncEpoch || page === null || session !== this.options.currentSession()) return null;
      if (during.ended.size + during.changed.size > MAX_TRACKED_DURING_CATCH_UP) {
        // Too many flows ended or changed to remember them all: what is not caught up yet waits for the next one.
        this.omittedSinceSync += 1;
        return null;
      }
      for (const row of page.flows) {
        const flow = flowFromRow(row, session);
        listed.add(flow.id);
        if (during.ended.has(flow.id)) continue;
        tsMs = Math.max(tsMs, flow.lastSeenMs);
        this.flows.catchUp(flow);
      }
      seen += page.flows.length;
      return page.flows;
    };
    // A second pass only when flows found gone freed room in a book that could not take every flow in the table.
    for (let pass = 0; pass < 2; pass++) {
      // A flow listed in the first pass is not asked for again in the second.
      const turnedAway = this.flows.turnedAway;
      let wholeTable = false;
      // Keyset pages in table order: the helper reads each from where the last ended, never sorting its flows.
      let afterId: number | undefined;
      for (;;) {
        const rows = await take({ sort: 'table', afterId });
        if (rows === null) return caughtUp();
        if (rows.length < this.pageSize) {
          wholeTable = true;
          break;
        }
        // The rest of the table cannot come in (new flows are turned away; the shortfall is counted against the
        // helper's active flows): the flows held are asked for instead.
        if (this.flows.isFull) {
          const refreshed = await this.refreshHeld(session, listed, during.changed, maxRefreshed, take);
          // Only a catch-up that saw every flow held can tell which are gone.
          if (refreshed !== 'all') {
            this.bookMayLackFlows = true;
            // The flows not asked for yet wait for the next catch-up (a capture's last one asks for all).
            if (refreshed === 'some') this.omittedSinceSync += 1;
            return caughtUp();
          }
          break;
        }
        afterId = rows[rows.length - 1].id;
      }
      const tookAll = wholeTable && this.flows.turnedAway === turnedAway;
      this.bookMayLackFlows = !tookAll;
      this.endForgotten(session, listed, during.changed);
      if (tookAll || this.flows.isFull) break;
    }
    return caughtUp();
  }

  /**
   * Asks the helper by id for the session's flows in the book that a catch-up has not listed or seen change, up to
   * `max`, the least recently listed first (the book keeps them in that order). 'all' when none was left out,
   * 'some' when `max` left some out, 'stopped' when the catch-up must stop.
   */
  private async refreshHeld(
    session: string,
    listed: Set<string>,
    changed: Set<string>,
    max: number,
    take: (params: Pick<RequestParams<'flows'>, 'ids'>) => Promise<FlowRow[] | null>,
  ): Promise<'all' | 'some' | 'stopped'> {
    const prefix = `${session}:`;
    const ids: number[] = [];
    let leftOut = false;
    for (const f of this.flows.activeFlows()) {
      if (!f.id.startsWith(prefix) || listed.has(f.id) || changed.has(f.id)) continue;
      if (ids.length === max) {
        leftOut = true;
        break;
      }
      ids.push(Number(f.id.slice(prefix.length)));
    }
    // Two requests in flight: the helper reads the next page while main takes in this one.
    const request = (i: number) => (i < ids.length ? take({ ids: ids.slice(i, i + this.pageSize) }) : null);
    let next = request(0);
    let found = 0;
    try {
      for (let i = 0; next !== null; i += this.pageSize) {
        const current = next;
        next = request(i + this.pageSize);
        const rows = await current;
        if (rows === null) return 'stopped';
        found += rows.length;
      }
    } finally {
      await next?.catch(() => null);
    }
    // Asked for, held since before the request, unchanged since, and not in the helper's table when it was read: gone,
    // as endForgotten finds them, so flows whose end was lost do not take every refresh's share.
    if (found < ids.length) this.presumeEnded(ids.map((id) => `${prefix}${id}`).filter((id) => !listed.has(id) && !changed.has(id)));
    return leftOut ? 'some' : 'all';
  }

  /** Takes out of the book the session's flows held before a catch-up that saw every flow held (or the whole table)
   *  that the helper no longer holds, to be logged with the last counts main had unless their end comes (see
   *  `presumedEnded`). */
  private endForgotten(session: string, listed: Set<string>, changed: Set<string>): void {
    const prefix = `${session}:`;
    const gone: string[] = [];
    for (const f of this.flows.activeFlows()) if (f.id.startsWith(prefix) && !listed.has(f.id) && !changed.has(f.id)) gone.push(f.id);
    this.presumeEnded(gone);
  }

  /** Takes these flows out of the book, if it holds them, until their end comes or a later second shows it lost
   *  (`presumedEnded`). */
  private presumeEnded(ids: string[]): void {
    let held = 0;
    for (const id of ids) {
      const flow = this.flows.end(id);
      if (flow === undefined) continue;
      this.presumedEnded.set(id, flow);
      held++;
    }
    if (held > 0) this.presumedAfterSecond = this.lastDeltaSecond;
  }

  private takePresumedEnded(): FlowSummary[] {
    const flows = [...this.presumedEnded.values()];
    this.presumedEnded.clear();
    return flows;
  }

  /** No catch-up is due any more (the capture ended). */
  stopSync(): void {
    this.syncEpoch += 1;
    // What the book could not hold of this capture stays counted once its flows go to the log.
    this.endedShortfall += this.flowsBeyondBook;
    this.helperActiveFlows = 0;
    // A second whose last part was dropped is over too.
    this.closeSecond();
    if (this.flowSyncTimer !== null) clearTimeout(this.flowSyncTimer);
    this.flowSyncTimer = null;
    this.omittedSinceSync = 0;
    this.lastFlowSyncTookMs = 0;
  }

  /** Queues every flow still in the book for the finished-flow log. */
  endAll(): void {
    this.flowLog.add(this.takePresumedEnded());
    this.flowLog.add(this.flows.endAll());
    this.lastDeltaSecond = -Infinity;
  }
}
