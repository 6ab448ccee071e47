import type { FlowSummary } from '../api/types/flows';

/** Rows per transaction: small enough that one write takes a few milliseconds (about 50 µs a row with the log's
 *  indexes). */
const CHUNK_ROWS = 128;
/** Time one turn of the event loop may spend writing before it yields to timers and I/O. */
const TURN_BUDGET_MS = 15;
/** Rows a batch holds before it is committed: a row costs about half in batches of thousands of rows than in
 *  transactions of 128 alone (each commit writes the log's index pages again). */
const BATCH_ROWS = 8192;
/** A batch is committed this long after it began at the latest, even while rows keep coming. */
const BATCH_MS = 1000;

/** A transaction that spans turns of the event loop: the chunks written meanwhile join it. */
export interface WriteBatch {
  begin(): void;
  commit(): void;
}

/**
 * Writes finished flows to the history in bounded chunks, yielding the event loop between turns:
 * a capture ending with 200k flows open must not hold the dashboard and the API for seconds.
 * Flows are written in the order they were added (each iterable read lazily, a chunk at a time);
 * every row carries its session, so rows of a capture started while an earlier one is still being
 * written do not mix. With a `batch`, the chunks of consecutive turns share one transaction,
 * committed every BATCH_ROWS rows or BATCH_MS, and once nothing is left to write.
 */
export class FlowLogWriter {
  private readonly queue: Iterator<FlowSummary>[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private idle: Promise<void> | null = null;
  private resolveIdle: (() => void) | null = null;
  /** The open batch (null: none): rows written in it, and when it began. */
  private open: { rows: number; sinceMs: number } | null = null;

  /** `write` writes one chunk in one transaction (a savepoint within an open batch); a failure is reported by
   *  `onError` and loses that chunk only. A batch that fails to commit loses its rows, reported alike. */
  constructor(
    private readonly write: (rows: FlowSummary[]) => void,
    private readonly onError: (err: unknown, rows: number) => void,
    private readonly batch?: WriteBatch,
  ) {}

  add(flows: Iterable<FlowSummary>): void {
    if (Array.isArray(flows) && flows.length === 0) return;
    this.queue.push(flows[Symbol.iterator]());
    this.schedule();
  }

  /** Resolves once every row added so far (and any added meanwhile) is written. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    this.idle ??= new Promise((resolve) => {
      this.resolveIdle = resolve;
    });
    return this.idle;
  }

  /** Writes everything still queued now, holding the event loop: for shutdown, when nothing waits for an answer. */
  flushNow(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    while (this.queue.length > 0) this.writeChunk();
    this.commit();
    this.settle();
  }

  private schedule(): void {
    if (this.scheduled !== null) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.turn();
    });
  }

  private turn(): void {
    const start = performance.now();
    const until = start + TURN_BUDGET_MS;
    while (this.queue.length > 0 && performance.now() < until) {
      this.beginBatch(start);
      this.writeChunk();
      if (this.open !== null && this.open.rows >= BATCH_ROWS) this.commit();
    }
    const open = this.open;
    if (open !== null && (this.queue.length === 0 || performance.now() - open.sinceMs >= BATCH_MS)) this.commit();
    if (this.queue.length > 0) this.schedule();
    else this.settle();
  }

  private beginBatch(now: number): void {
    if (this.batch === undefined || this.open !== null) return;
    try {
      this.batch.begin();
      this.open = { rows: 0, sinceMs: now };
    } catch (err) {
      // This chunk is written in its own transaction then.
      this.onError(err, 0);
    }
  }

  private commit(): void {
    const open = this.open;
    if (open === null || this.batch === undefined) return;
    this.open = null;
    try {
      this.batch.commit();
    } catch (err) {
      this.onError(err, open.rows);
    }
  }

  /** Takes up to a chunk of rows from the oldest batch and writes them. */
  private writeChunk(): void {
    const batch = this.queue[0];
    const rows: FlowSummary[] = [];
    while (rows.length < CHUNK_ROWS) {
      const next = batch.next();
      if (next.done === true) {
        this.queue.shift();
        break;
      }
      rows.push(next.value);
    }
    if (rows.length === 0) return;
    try {
      this.write(rows);
      if (this.open !== null) this.open.rows += rows.length;
    } catch (err) {
      this.onError(err, rows.length);
    }
  }

  private settle(): void {
    const resolve = this.resolveIdle;
    this.idle = null;
    this.resolveIdle = null;
    resolve?.();
  }
}
