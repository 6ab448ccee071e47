import type { FlowSummary } from '../api/types/flows';

/** Rows per transaction: small enough that one write takes a few milliseconds (about 50 µs a row with the log's
 *  indexes). */
const CHUNK_ROWS = 128;
/** Time one turn of the event loop may spend writing before it yields to timers and I/O. */
const TURN_BUDGET_MS = 15;

/**
 * Writes finished flows to the history in bounded chunks, yielding the event loop between turns:
 * a capture ending with 200k flows open must not hold the dashboard and the API for seconds.
 * Batches are written in the order they were added (each read lazily, a chunk at a time); every
 * row carries its session, so rows of a capture started while an earlier one is still being
 * written do not mix.
 */
export class FlowLogWriter {
  private readonly queue: Iterator<FlowSummary>[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private idle: Promise<void> | null = null;
  private resolveIdle: (() => void) | null = null;

  /** `write` writes one chunk in one transaction; a failure is reported by `onError` and loses that chunk only. */
  constructor(
    private readonly write: (rows: FlowSummary[]) => void,
    private readonly onError: (err: unknown, rows: number) => void,
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
    const until = performance.now() + TURN_BUDGET_MS;
    while (this.queue.length > 0 && performance.now() < until) this.writeChunk();
    if (this.queue.length > 0) this.schedule();
    else this.settle();
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
