import net from 'node:net';
import type { ApiError } from '../api/types/results';
import type { AnyEventEnvelope } from '../../src-capture-helper/protocol/envelope';
import { MAX_REQUEST_ID, parseServerMessage, ProtocolError } from '../../src-capture-helper/protocol/envelope';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES } from '../../src-capture-helper/protocol/frame';
import type { EventMap, EventName, RequestErrorCode, RequestErrorInfo, RequestName, RequestParams, RequestResult } from '../../src-capture-helper/protocol/messages';
import { PROTOCOL_VERSION, requests } from '../../src-capture-helper/protocol/messages';
import { checked, ValidationError } from '../../src-capture-helper/protocol/schema';

/**
 * A request the helper refused, or one this client could not send: `code` says what it means to the requester
 * (protocol/messages.ts `requestErrorCodes`); `name` is the error's own name (ValidationError, AuthError...).
 */
export class HelperRequestError extends Error {
  constructor(readonly code: RequestErrorCode, name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The connection is gone, never came up, or the helper broke the protocol. */
export class HelperConnectionError extends Error {
  override readonly name = 'HelperConnectionError';
}

/** What a failed helper call means to an API client; null for a failure that is a bug (the caller logs it). */
export function apiErrorOfHelperFailure(err: unknown): ApiError | null {
  if (err instanceof HelperConnectionError) return { code: 'unavailable', message: `capture helper: ${err.message}` };
  if (!(err instanceof HelperRequestError) || err.code === 'internal') return null;
  return { code: err.code, message: err.code === 'unavailable' ? `capture helper: ${err.message}` : err.message };
}

export interface EventMeta {
  session: string | null;
  seq: number;
  /** Binary attachment (export data); empty otherwise. */
  attachment: Buffer;
}

export type EventListener<K extends EventName> = (payload: EventMap[K], meta: EventMeta) => void;

export interface HelperClientOptions {
  socketPath: string;
  token: string;
  connectTimeoutMs?: number;
  /** Default time a request may take; `export` requests pass their own. */
  requestTimeoutMs?: number;
  maxPendingRequests?: number;
}

interface Pending {
  method: RequestName;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

/** One authenticated connection to the helper: typed requests, event subscriptions. */
export class HelperClient {
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<EventListener<EventName>>>();
  private readonly closeListeners = new Set<(err: Error | null) => void>();
  private nextId = 1;
  private closedWith: Error | null | undefined = undefined;
  helperPid = 0;
  helperVersion = '';

  private constructor(private readonly socket: net.Socket, private readonly options: HelperClientOptions) {}

  /** Connects, sends the hello and waits for the helper's welcome. */
  static connect(options: HelperClientOptions): Promise<HelperClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(options.socketPath);
      const client = new HelperClient(socket, options);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HelperConnectionError(`no welcome from the helper within ${options.connectTimeoutMs ?? 5000} ms`));
      }, options.connectTimeoutMs ?? 5000);
      let welcomed = false;
      client.onClose((err) => {
        clearTimeout(timer);
        if (!welcomed) reject(err ?? new HelperConnectionError('the helper closed the connection during the hello'));
      });
      socket.once('connect', () => socket.write(encodeFrame({ t: 'hello', version: PROTOCOL_VERSION, token: options.token })));
      socket.on('error', (err) => client.shutdown(new HelperConnectionError(`helper socket ${options.socketPath}: ${err.message}`)));
      socket.on('close', () => client.shutdown(new HelperConnectionError('the helper closed the connection')));
      socket.on('data', (chunk: Buffer) => client.onData(chunk, () => {
        welcomed = true;
        clearTimeout(timer);
        resolve(client);
      }));
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  request<K extends RequestName>(method: K, params: RequestParams<K>, options: { timeoutMs?: number } = {}): Promise<RequestResult<K>> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith ?? new HelperConnectionError('the connection is closed'));
    if (this.pending.size >= (this.options.maxPendingRequests ?? 256)) {
      return Promise.reject(new HelperRequestError('unavailable', 'Busy', 'too many requests waiting for the helper'));
    }
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_REQUEST_ID ? 1 : this.nextId + 1;
    return new Promise<RequestResult<K>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          this.pending.delete(id);
          reject(new HelperRequestError('unavailable', 'Timeout', `${method}: no answer from the helper within ${timeoutMs} ms`));
        }, timeoutMs)
        : null;
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.socket.write(encodeFrame({ t: 'req', id, method, params }));
      } catch (err) {
        this.pending.delete(id);
        if (timer) clearTimeout(timer);
        reject(err as Error);
      }
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, listener: EventListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as EventListener<EventName>);
    return () => set.delete(listener as EventListener<EventName>);
  }

  /** Called once when the connection ends: null for a close we asked for, the error otherwise. */
  onClose(listener: (err: Error | null) => void): () => void {
    if (this.closedWith !== undefined) {
      listener(this.closedWith);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.shutdown(null);
  }

  private onData(chunk: Buffer, welcomed: () => void): void {
    try {
      this.decoder.push(chunk, (frame) => {
        if (this.closedWith !== undefined) return;
        const { message, attachment } = parseServerMessage(frame);
        switch (message.t) {
          case 'welcome':
            this.helperPid = message.pid;
            this.helperVersion = message.helperVersion;
            return welcomed();
          case 'res':
            return this.onResponse(message.id, message.ok ? { result: message.result } : { error: message.error });
          case 'event':
            return this.onEvent(message, attachment);
          case 'bye':
            return this.shutdown(new HelperRequestError(message.error.code, message.error.name, message.error.message));
          default: {
            const unexpected: never = message;
            throw new ProtocolError(`unexpected message ${JSON.stringify(unexpected)}`);
          }
        }
      });
    } catch (err) {
      if (err instanceof FrameError || err instanceof ProtocolError || err instanceof ValidationError) {
        this.shutdown(new HelperConnectionError(`the helper broke the protocol: ${err.message}`));
        return;
      }
      throw err;
    }
  }

  private onResponse(id: number, outcome: { result: unknown } | { error: RequestErrorInfo }): void {
    const pending = this.pending.get(id);
    if (!pending) return; // timed out already
    this.pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    if ('error' in outcome) return pending.reject(new HelperRequestError(outcome.error.code, outcome.error.name, outcome.error.message));
    try {
      pending.resolve(checked(requests[pending.method].result, outcome.result, `${pending.method}.result`));
    } catch (err) {
      pending.reject(new HelperConnectionError(`the helper answered ${pending.method} with a bad result: ${(err as Error).message}`));
    }
  }

  private onEvent(event: AnyEventEnvelope, attachment: Buffer): void {
    const set = this.listeners.get(event.name);
    if (!set) return;
    const meta: EventMeta = { session: event.session, seq: event.seq, attachment };
    for (const listener of [...set]) listener(event.payload, meta);
  }

  private shutdown(err: Error | null): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = err;
    this.socket.destroy();
    const failure = err ?? new HelperConnectionError('the connection was closed');
    for (const pending of this.pending.values()) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.pending.clear();
    for (const listener of [...this.closeListeners]) listener(err);
    this.closeListeners.clear();
  }
}
