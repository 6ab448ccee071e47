import type { Notification } from './notification';
import type { ChannelTransport, DeliveryContext, DeliveryOutcome } from './transport';

export type FetchLike = typeof fetch;

export interface HttpTransportOptions {
  url: string;
  headers?: Record<string, string>;
  /** Per-request timeout. */
  timeoutMs: number;
  body(notification: Notification, queuedAt: number): unknown;
  fetchImpl?: FetchLike;
}

const ERROR_BODY_MAX = 16 * 1024;
const USER_AGENT = 'Netmon (alert notifier)';

/** POSTs a JSON body and classifies the answer for the delivery queue. */
export class HttpTransport implements ChannelTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  async deliver(notification: Notification, context: DeliveryContext): Promise<DeliveryOutcome> {
    const { url, headers, timeoutMs, fetchImpl = fetch } = this.options;
    const body = JSON.stringify(this.options.body(notification, context.queuedAt));
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body,
        redirect: 'error',
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      return { status: 'retry', error: describeFetchError(err, timeoutMs) };
    }
    const text = await readCapped(response, ERROR_BODY_MAX);
    const httpStatus = response.status;
    if (response.ok) {
      const pauseMs = bucketPause(response.headers);
      return pauseMs === undefined ? { status: 'delivered', httpStatus } : { status: 'delivered', httpStatus, pauseMs };
    }
    const detail = `HTTP ${response.status}${summariseBody(text)}`;
    if (response.status === 429) {
      const retryAfterMs = retryAfter(response.headers, text);
      return retryAfterMs === undefined ? { status: 'retry', httpStatus, error: detail } : { status: 'retry', httpStatus, error: detail, retryAfterMs };
    }
    if (response.status >= 500 || response.status === 408) return { status: 'retry', httpStatus, error: detail };
    return { status: 'failed', httpStatus, error: detail };
  }
}

/**
 * The wait a 429 asks for: Discord's JSON `retry_after` (seconds, may be
 * fractional), else the `Retry-After` header (seconds or an HTTP date), else
 * Discord's `X-RateLimit-Reset-After`.
 */
export function retryAfter(headers: Headers, body: string, now = Date.now()): number | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'retry_after' in parsed) {
      const seconds = Number((parsed as { retry_after: unknown }).retry_after);
      if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    }
  } catch {
    // Not JSON: fall through to the headers.
  }
  const header = headers.get('retry-after');
  if (header !== null) {
    const seconds = Number(header);
    if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const resetAfter = Number(headers.get('x-ratelimit-reset-after') ?? Number.NaN);
  if (Number.isFinite(resetAfter) && resetAfter >= 0) return Math.ceil(resetAfter * 1000);
  return undefined;
}

/** Discord says when a bucket is empty even on success; waiting then avoids a 429. */
function bucketPause(headers: Headers): number | undefined {
  if (headers.get('x-ratelimit-remaining') !== '0') return undefined;
  const resetAfter = Number(headers.get('x-ratelimit-reset-after') ?? Number.NaN);
  return Number.isFinite(resetAfter) && resetAfter > 0 ? Math.ceil(resetAfter * 1000) : undefined;
}

async function readCapped(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short still leaves the status code to act on.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function summariseBody(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '';
  return `: ${oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine}`;
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    if (err.name === 'AbortError') return 'cancelled';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `network error: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`.trim();
    }
    return `network error: ${err.message}`;
  }
  return `network error: ${String(err)}`;
}
