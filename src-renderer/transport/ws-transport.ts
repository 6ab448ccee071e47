import type {
  ApiError,
  ApiResult,
  CaptureStatus,
  EventChannel,
  EventPayload,
  RequestChannel,
  RequestParams,
  RequestResult,
  WsClientMessage,
  WsServerMessage,
} from './api-types';
import type { ConnectionStatus, Transport } from './transport';

/** Requests waiting for an answer at most; more are refused at once rather than queued without bound. */
export const MAX_PENDING = 256;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 10_000;

interface Pending {
  resolve: (r: ApiResult<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener = (payload: unknown) => void;

const fail = (code: 'unavailable' | 'internal', message: string): ApiResult<never> => ({ ok: false, error: { code, message } });

/** `netmon serve`'s `/ws`: requests by id, pushed events, reconnect with backoff. A token travels as a WebSocket
 *  subprotocol, the one header a browser lets a page set. */
export class WsTransport implements Transport {
  readonly kind = 'websocket';
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventChannel, Set<Listener>>();
  private readonly statusListeners = new Set<(s: ConnectionStatus) => void>();
  private status: ConnectionStatus = { state: 'connecting', attempt: 1 };
  private attempt = 0;
  private everOpened = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private dropped = 0;

  constructor(
    private readonly url: string,
    private readonly token: string | null,
  ) {
    this.connect();
  }

  request<C extends RequestChannel>(channel: C, params: RequestParams<C>): Promise<ApiResult<RequestResult<C>>> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve(fail('unavailable', 'not connected to netmon serve'));
    if (this.pending.size >= MAX_PENDING) return Promise.resolve(fail('unavailable', `more than ${MAX_PENDING} requests are waiting for an answer`));
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(fail('unavailable', `no answer to ${channel} within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (r: ApiResult<unknown>) => void, timer });
      this.send({ type: 'request', id, channel, params } as WsClientMessage);
    });
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  droppedEvents(): number {
    return this.dropped;
  }

  /** `POST /api/capture/upload` next to `/ws`: the file streams as the body, the token as a bearer header. */
  async uploadCapture(file: Blob, name: string, speed: number): Promise<ApiResult<CaptureStatus>> {
    const url = new URL('/api/capture/upload', this.url.replace(/^ws/, 'http'));
    url.searchParams.set('name', name);
    url.searchParams.set('speed', String(speed));
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
        body: file,
      });
      const body = (await res.json().catch(() => null)) as unknown;
      if (res.ok && body !== null) return { ok: true, value: body as CaptureStatus };
      const error = (body as { error?: ApiError } | null)?.error;
      return { ok: false, error: error ?? { code: 'internal', message: `the server answered ${res.status}` } };
    } catch (err) {
      return fail('unavailable', `the upload failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
    this.failPending('the dashboard closed the connection');
  }

  private connect(): void {
    this.attempt++;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    const protocols = this.token ? ['netmon.v1', `netmon.token.${this.token}`] : ['netmon.v1'];
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url, protocols);
    } catch (err) {
      this.scheduleRetry(err instanceof Error ? err.message : String(err));
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.everOpened = true;
      this.setStatus({ state: 'open' });
    };
    socket.onmessage = (ev) => this.receive(ev.data);
    // An error is always followed by a close, which carries what we report and schedules the retry.
    socket.onerror = () => undefined;
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending('the connection to netmon serve was lost');
      if (!this.closed) this.scheduleRetry(ev.reason || `connection closed (code ${ev.code})`);
    };
  }

  private scheduleRetry(reason: string): void {
    const retryInMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.attempt, 5));
    this.setStatus({ state: 'closed', reason, retryInMs, everOpened: this.everOpened });
    this.retryTimer = setTimeout(() => this.connect(), retryInMs);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: WsServerMessage;
    try {
      msg = JSON.parse(data) as WsServerMessage;
    } catch {
      return;
    }
    switch (msg.type) {
      case 'response': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(msg.result);
        return;
      }
      case 'event': {
        const set = this.listeners.get(msg.channel);
        if (set) for (const l of set) l(msg.payload);
        return;
      }
      case 'dropped':
        this.dropped += msg.events;
        return;
      case 'error': {
        const p = msg.id === null ? undefined : this.pending.get(msg.id);
        if (p && msg.id !== null) {
          this.pending.delete(msg.id);
          clearTimeout(p.timer);
          p.resolve(fail('internal', msg.message));
        }
        return;
      }
      default:
        // A newer server may send message types this build does not know yet.
        return;
    }
  }

  private send(msg: WsClientMessage): void {
    this.socket?.send(JSON.stringify(msg));
  }

  private failPending(message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(fail('unavailable', message));
      this.pending.delete(id);
    }
  }

  private setStatus(s: ConnectionStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }
}
