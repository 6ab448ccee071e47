import type { Notification } from './notification';
import type { ChannelTransport, DeliveryOutcome } from './transport';
import type { AlertChannelStatus } from '../../api/types/alerts';

export interface DeliveryQueueOptions {
  /** Notifications waiting at most; beyond it the oldest waiting one is dropped and counted. */
  capacity: number;
  /** Attempts per notification, the first included. */
  maxAttempts: number;
  /** Backoff: base * 2^(attempt-1), capped, with jitter in [50%, 100%]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A 429 asking for a longer wait than this gives the notification up instead of stalling the channel. */
  maxRetryAfterMs: number;
  ratePerMinute: number;
  burst: number;
  now: () => number;
  random: () => number;
}

export const DEFAULT_QUEUE_OPTIONS: DeliveryQueueOptions = {
  capacity: 100,
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 10 * 60_000,
  ratePerMinute: 30,
  burst: 5,
  now: Date.now,
  random: Math.random,
};

/**
 * `idle`: nothing sent yet; `ok`: the last attempt succeeded; `retrying`: the
 * last attempt failed and another is planned; `failing`: a notification was
 * given up and nothing succeeded since.
 */
export type ChannelState = AlertChannelStatus['state'];

/** A channel's delivery health: the API's channel status without the channel's identity. */
export type DeliveryHealth = Omit<AlertChannelStatus, 'channelId' | 'name' | 'kind' | 'enabled'>;

interface Item {
  notification: Notification;
  queuedAt: number;
}

/**
 * One channel's outbox. `enqueue` never waits: a single background loop
 * delivers in order, one at a time, retrying the head before moving on so
 * that a recovery never overtakes its firing.
 */
export class DeliveryQueue {
  private readonly options: DeliveryQueueOptions;
  private readonly items: Item[] = [];
  private readonly abort = new AbortController();
  private inFlight = false;
  private running = false;
  private closed = false;
  private tokens: number;
  private refilledAt: number;
  private wake: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly health: DeliveryHealth = {
    state: 'idle', queued: 0, delivered: 0, failed: 0, dropped: 0, attempts: 0, consecutiveFailures: 0,
    lastError: null, lastErrorAt: null, lastDeliveredAt: null,
  };

  constructor(private readonly transport: ChannelTransport, options: Partial<DeliveryQueueOptions> = {}) {
    this.options = { ...DEFAULT_QUEUE_OPTIONS, ...options };
    this.tokens = this.options.burst;
    this.refilledAt = this.options.now();
  }

  /** Queues a notification; false when it (or an older one) had to be dropped. */
  enqueue(notification: Notification): boolean {
    if (this.closed) {
      this.health.dropped += 1;
      return false;
    }
    let accepted = true;
    if (this.items.length >= this.options.capacity) {
      // Drop the oldest notification that is not being sent; newer news matters more.
      const victim = this.inFlight ? 1 : 0;
      if (victim < this.items.length) {
        this.items.splice(victim, 1);
      } else {
        this.health.dropped += 1;
        return false;
      }
      this.health.dropped += 1;
      accepted = false;
    }
    this.items.push({ notification, queuedAt: this.options.now() });
    this.kick();
    return accepted;
  }

  /** One immediate attempt outside the queue, for the "send test" button. Recorded in the health. */
  async sendNow(notification: Notification, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const combined = signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]);
    this.health.attempts += 1;
    const outcome = await this.transport.deliver(notification, { signal: combined, queuedAt: this.options.now() });
    if (outcome.status === 'delivered') this.recordSuccess();
    else this.recordError(outcome.error, 'failing');
    return outcome;
  }

  status(): DeliveryHealth {
    return { ...this.health, queued: this.items.length };
  }

  /** Resolves once nothing is queued or in flight (tests, orderly shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.items.length === 0) return Promise.resolve();
    return new Promise((resolve) => { this.idleWaiters.push(resolve); });
  }

  /** Stops the loop, aborts a request in flight and drops (and counts) what was waiting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.health.dropped += this.items.length - (this.inFlight ? 1 : 0);
    this.items.length = 0;
    this.abort.abort();
    this.wakeUp();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.run()
      .catch((err: unknown) => {
        // A transport must return outcomes; an exception here is a bug, kept visible in the health.
        this.recordError(`internal error: ${err instanceof Error ? err.message : String(err)}`, 'failing');
      })
      .finally(() => {
        this.running = false;
        this.inFlight = false;
        if (!this.closed && this.items.length > 0) this.kick();
        else for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }

  private async run(): Promise<void> {
    while (!this.closed && this.items.length > 0) {
      const item = this.items[0];
      this.inFlight = true;
      const pauseMs = await this.deliverWithRetries(item);
      if (this.closed) return;
      this.items.shift();
      this.inFlight = false;
      if (pauseMs > 0) await this.sleep(pauseMs);
    }
  }

  /** Returns the pause the receiver asked for after a success, else 0. */
  private async deliverWithRetries(item: Item): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      await this.takeToken();
      if (this.closed) return 0;
      this.health.attempts += 1;
      const outcome = await this.transport.deliver(item.notification, { signal: this.abort.signal, queuedAt: item.queuedAt });
      if (this.closed) return 0;
      switch (outcome.status) {
        case 'delivered':
          this.recordSuccess();
          return outcome.pauseMs ?? 0;
        case 'failed':
          this.giveUp(outcome.error);
          return 0;
        case 'retry': {
          if (attempt >= this.options.maxAttempts) {
            this.giveUp(`${outcome.error} (gave up after ${attempt} attempts)`);
            return 0;
          }
          if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > this.options.maxRetryAfterMs) {
            this.giveUp(`${outcome.error} (asked to wait ${Math.round(outcome.retryAfterMs / 1000)} s)`);
            return 0;
          }
          this.recordError(outcome.error, 'retrying');
          await this.sleep(outcome.retryAfterMs ?? this.backoff(attempt));
          break;
        }
        default: {
          const unreachable: never = outcome;
          throw new Error(`unexpected outcome ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }

  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs, random } = this.options;
    const full = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(full * (0.5 + 0.5 * random()));
  }

  private async takeToken(): Promise<void> {
    const perMs = this.options.ratePerMinute / 60_000;
    for (;;) {
      const now = this.options.now();
      this.tokens = Math.min(this.options.burst, this.tokens + (now - this.refilledAt) * perMs);
      this.refilledAt = now;
      if (this.tokens >= 1 || this.closed) break;
      await this.sleep(Math.ceil((1 - this.tokens) / perMs));
    }
    this.tokens -= 1;
  }

  private recordSuccess(): void {
    this.health.delivered += 1;
    this.health.consecutiveFailures = 0;
    this.health.lastDeliveredAt = this.options.now();
    this.health.state = 'ok';
  }

  private recordError(error: string, state: ChannelState): void {
    this.health.consecutiveFailures += 1;
    this.health.lastError = error;
    this.health.lastErrorAt = this.options.now();
    this.health.state = state;
  }

  private giveUp(error: string): void {
    this.health.failed += 1;
    this.recordError(error, 'failing');
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = null; resolve(); }, ms);
      // Waiting to retry must never keep the process alive on its own.
      timer.unref();
      this.wake = { timer, resolve };
    });
  }

  private wakeUp(): void {
    if (this.wake === null) return;
    clearTimeout(this.wake.timer);
    const { resolve } = this.wake;
    this.wake = null;
    resolve();
  }
}
