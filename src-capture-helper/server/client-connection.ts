import type { Socket } from 'node:net';
import type { EventMap, EventName, RequestErrorCode, RequestErrorInfo } from '../protocol/messages';
import { DROPPABLE_EVENTS, PROTOCOL_VERSION } from '../protocol/messages';
import type { CodedError, RequestEnvelope, ServerMessage } from '../protocol/envelope';
import { parseClientMessage, ProtocolError, toErrorInfo } from '../protocol/envelope';
import { encodeFrame, FrameDecoder, FrameError } from '../protocol/frame';
import { tokensEqual } from '../protocol/token';

export interface ConnectionLimits {
  /** Time a new connection has to send a valid hello. */
  helloTimeoutMs: number;
  /**
   * Bound on bytes waiting to be written to this client. Rollups, flow deltas
   * and logs are dropped (and counted) where they would take the queue past
   * half of it, so the other half stays for responses and other events: a
   * client that lets those pile up beyond the bound is disconnected.
   */
  maxQueueBytes: number;
  maxFrameBytes: number;
  /** Requests of one client being served at once; more are refused with `Busy`. */
  maxInFlight: number;
}

export interface ConnectionHost {
  readonly token: string;
  readonly helperVersion: string;
  authenticated(conn: ClientConnection): void;
  closed(conn: ClientConnection, rejected: boolean): void;
  eventsDropped(count: number): void;
  dispatch(request: RequestEnvelope, conn: ClientConnection): Promise<unknown>;
}

/** A refusal sent to the client as `{code, name, message}`. */
export class RequestError extends Error implements CodedError {
  constructor(readonly requestErrorCode: RequestErrorCode, name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** One client of the helper socket: authentication, request dispatch and its bounded send queue. */
export class ClientConnection {
  private readonly decoder: FrameDecoder;
  private isAuthenticated = false;
  private closing = false;
  private helloTimer: NodeJS.Timeout | null;
  private eventSeq = 0;
  private droppedSinceNotice = 0;
  private droppedTotal = 0;
  private inFlight = 0;
  private readonly abort = new AbortController();
  private readonly roomWaiters: Array<() => void> = [];

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    private readonly limits: ConnectionLimits,
  ) {
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    this.helloTimer = setTimeout(() => this.reject('invalid', 'HelloTimeout', `no valid hello within ${limits.helloTimeoutMs} ms`), limits.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
  }

  get authenticated(): boolean {
    return this.isAuthenticated;
  }

  /** Aborted when the connection closes: long requests (exports) stop with it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  get eventsDroppedTotal(): number {
    return this.droppedTotal;
  }

  /** Sends an event; rollups, flow deltas and logs are dropped for a client that is behind. */
  sendEvent<K extends EventName>(name: K, session: string | null, payload: EventMap[K], attachment?: Uint8Array): void {
    if (!this.isAuthenticated || this.closing) return;
    // The client hears of what it lost before anything that is never dropped (a capture's end after its last delta).
    if (!DROPPABLE_EVENTS.has(name)) this.sendDropNotice();
    const seq = ++this.eventSeq;
    const message = { t: 'event', name, session, seq, payload } as ServerMessage;
    if (DROPPABLE_EVENTS.has(name)) {
      // Checked with the frame's own size: a large flow delta arriving just under half would otherwise fill the
      // room a response needs, and a client a little behind on events would be disconnected as one that never reads.
      const queued = this.socket.writableLength;
      if (queued > this.limits.maxQueueBytes / 2) return this.countDropped();
      const frame = this.encode(message, attachment);
      if (queued > 0 && queued + frame.length > this.limits.maxQueueBytes / 2) return this.countDropped();
      return this.writeFrame(frame);
    }
    this.write(message, attachment);
  }

  private countDropped(): void {
    this.droppedSinceNotice++;
    this.droppedTotal++;
    this.host.eventsDropped(1);
  }

  /** Whether the send queue is low enough for more bulk data (export chunks, parts of a flow delta), or closed. */
  get hasRoom(): boolean {
    return this.closing || this.socket.writableLength <= this.limits.maxQueueBytes / 4;
  }

  /** Resolves once the send queue is low enough for more bulk data (export chunks), or the connection closed. */
  waitForRoom(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Closes this client after telling it why. */
  reject(code: RequestErrorCode, name: string, message: string): void {
    if (this.closing) return;
    try {
      this.socket.write(encodeFrame({ t: 'bye', error: { code, name, message } }));
    } catch {
      // The reason is a courtesy; the close below is what matters.
    }
    this.close(true);
  }

  close(rejected = false): void {
    if (this.closing) return;
    this.closing = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.socket.end();
    // A peer that never reads would keep the half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.host.closed(this, rejected);
    this.abort.abort();
    this.wakeRoomWaiters();
  }

  private write(message: ServerMessage, attachment?: Uint8Array): void {
    if (this.closing) return;
    this.writeFrame(this.encode(message, attachment));
  }

  private encode(message: ServerMessage, attachment?: Uint8Array): Buffer {
    try {
      return encodeFrame(message, attachment, this.limits.maxFrameBytes);
    } catch (err) {
      if (message.t === 'res') return encodeFrame({ t: 'res', id: message.id, ok: false, error: toErrorInfo(err) });
      throw err;
    }
  }

  private writeFrame(frame: Buffer): void {
    // An empty queue takes any frame (one export chunk may exceed a small bound).
    if (this.socket.writableLength > 0 && this.socket.writableLength + frame.length > this.limits.maxQueueBytes) {
      this.reject('unavailable', 'SlowClient', `send queue over ${this.limits.maxQueueBytes} bytes: the client does not read`);
      return;
    }
    this.socket.write(frame);
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.decoder.push(chunk, (frame) => {
        if (this.closing) return;
        const message = parseClientMessage(frame);
        if (message.t === 'hello') return this.onHello(message.version, message.token);
        if (!this.isAuthenticated) throw new ProtocolError('a request before the hello');
        this.onRequest(message);
      });
    } catch (err) {
      if (err instanceof FrameError || err instanceof ProtocolError) return this.reject('invalid', err.name, err.message);
      throw err;
    }
  }

  private onHello(version: number, token: string): void {
    if (this.isAuthenticated) throw new ProtocolError('a second hello');
    if (!tokensEqual(this.host.token, token)) return this.reject('permission', 'AuthError', 'wrong token');
    if (version !== PROTOCOL_VERSION) {
      return this.reject('invalid', 'VersionError', `protocol version ${version} is not supported (helper speaks ${PROTOCOL_VERSION})`);
    }
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.isAuthenticated = true;
    this.write({ t: 'welcome', version: PROTOCOL_VERSION, helperVersion: this.host.helperVersion, pid: process.pid });
    this.host.authenticated(this);
  }

  private onRequest(request: RequestEnvelope): void {
    if (this.inFlight >= this.limits.maxInFlight) {
      this.respondError(request.id, { code: 'unavailable', name: 'Busy', message: `more than ${this.limits.maxInFlight} requests in flight` });
      return;
    }
    this.inFlight++;
    this.host.dispatch(request, this).then(
      (result) => {
        this.inFlight--;
        this.write({ t: 'res', id: request.id, ok: true, result });
      },
      (err: unknown) => {
        this.inFlight--;
        this.respondError(request.id, toErrorInfo(err));
      },
    );
  }

  private respondError(id: number, error: RequestErrorInfo): void {
    this.write({ t: 'res', id, ok: false, error });
  }

  private onDrain(): void {
    this.sendDropNotice();
    this.wakeRoomWaiters();
  }

  /** Tells the client how many events it lost since the last notice, if any. */
  private sendDropNotice(): void {
    if (this.droppedSinceNotice === 0 || !this.isAuthenticated) return;
    const dropped = this.droppedSinceNotice;
    this.droppedSinceNotice = 0;
    this.write({ t: 'event', name: 'eventsDropped', session: null, seq: ++this.eventSeq, payload: { dropped, total: this.droppedTotal } });
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private onClose(): void {
    this.close(false);
  }
}
