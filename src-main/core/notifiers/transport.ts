import type { Notification } from './notification';

/**
 * How one delivery attempt ended; the queue decides what happens next. `httpStatus`: the
 * receiver's answer, when there was one (HTTP channels).
 */
export type DeliveryOutcome = { httpStatus?: number } & (
  /** `pauseMs`: the receiver asked for a pause before the next request (rate-limit bucket empty). */
  | { status: 'delivered'; pauseMs?: number }
  /** Worth another try: network error, timeout, 5xx, 429 (with the wait it asked for). */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** Another try cannot help: 4xx other than 408/429, a program that does not exist. */
  | { status: 'failed'; error: string }
);

export interface DeliveryContext {
  /** Aborted when the channel is closed or replaced. */
  signal: AbortSignal;
  /** When the notification was queued, ms since the epoch; the same for every retry. */
  queuedAt: number;
}

export interface ChannelTransport {
  deliver(notification: Notification, context: DeliveryContext): Promise<DeliveryOutcome>;
}
