import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { RequestEnvelope } from '../protocol/envelope';
import { MAX_FRAME_BYTES } from '../protocol/frame';
import type { EventMap, EventName, HelperStats, RequestName, RequestParams, RequestResult } from '../protocol/messages';
import type { ConnectionLimits } from './client-connection';
import { ClientConnection } from './client-connection';
import { ensurePrivateDir, removeStaleSocket } from './private-dir';

export type RequestHandlers = {
  [K in RequestName]: (params: RequestParams<K>, conn: ClientConnection) => Promise<RequestResult<K>> | RequestResult<K>;
};

/** Receives the helper's pushed events; the server fans them out to every authenticated client. */
export interface EventSink {
  emit<K extends EventName>(name: K, session: string | null, payload: EventMap[K], attachment?: Uint8Array): void;
  /** Whether every client's send queue is low enough for another bulk event (a part of a flow delta). */
  hasRoomForEvents(): boolean;
}

export interface HelperServerOptions {
  socketPath: string;
  token: string;
  helperVersion: string;
  limits?: Partial<ConnectionLimits> & { maxClients?: number };
  /** Called when the first client authenticates and when the last one leaves. */
  onClientsChanged?: (authenticatedClients: number) => void;
}

export const defaultLimits: ConnectionLimits & { maxClients: number } = {
  helloTimeoutMs: 3000,
  maxQueueBytes: 2 * 1024 * 1024,
  maxFrameBytes: MAX_FRAME_BYTES,
  maxInFlight: 64,
  maxClients: 16,
};

/**
 * The helper's local socket server: a Unix socket in a private directory (a
 * named pipe on Windows), hello/token authentication, one ClientConnection
 * per client. A bad client is closed alone; the server keeps serving.
 */
export class HelperServer implements EventSink {
  private readonly server = net.createServer((socket) => this.onConnection(socket));
  private readonly clients = new Set<ClientConnection>();
  private readonly limits: ConnectionLimits & { maxClients: number };
  private nextClientId = 1;
  private authenticatedCount = 0;
  private readonly stats = { eventsDroppedSlowClients: 0, clientsRejected: 0 };
  private handlers: RequestHandlers | null = null;

  constructor(private readonly options: HelperServerOptions) {
    this.limits = { ...defaultLimits, ...options.limits };
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Installs the request handlers (they usually need the server as their event sink, hence not in the constructor). */
  setHandlers(handlers: RequestHandlers): void {
    this.handlers = handlers;
  }

  async listen(): Promise<void> {
    const { socketPath } = this.options;
    ensurePrivateDir(path.dirname(socketPath));
    await removeStaleSocket(socketPath);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') fs.chmodSync(socketPath, 0o600);
  }

  helperStats(logRecordsDropped: number): HelperStats {
    return {
      clients: this.authenticatedCount,
      eventsDroppedSlowClients: this.stats.eventsDroppedSlowClients,
      clientsRejected: this.stats.clientsRejected,
      logRecordsDropped,
    };
  }

  emit<K extends EventName>(name: K, session: string | null, payload: EventMap[K], attachment?: Uint8Array): void {
    for (const client of this.clients) client.sendEvent(name, session, payload, attachment);
  }

  hasRoomForEvents(): boolean {
    for (const client of this.clients) if (!client.hasRoom) return false;
    return true;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    const host = {
      token: this.options.token,
      helperVersion: this.options.helperVersion,
      authenticated: () => {
        this.authenticatedCount++;
        this.options.onClientsChanged?.(this.authenticatedCount);
      },
      closed: (conn: ClientConnection, rejected: boolean) => {
        this.clients.delete(conn);
        if (rejected) this.stats.clientsRejected++;
        if (conn.authenticated) {
          this.authenticatedCount--;
          this.options.onClientsChanged?.(this.authenticatedCount);
        }
      },
      eventsDropped: (n: number) => {
        this.stats.eventsDroppedSlowClients += n;
      },
      dispatch: (request: RequestEnvelope, conn: ClientConnection) => this.dispatch(request, conn),
    };
    const conn = new ClientConnection(this.nextClientId++, socket, host, this.limits);
    this.clients.add(conn);
    if (this.clients.size > this.limits.maxClients) conn.reject('unavailable', 'TooManyClients', `the helper serves at most ${this.limits.maxClients} clients`);
  }

  private async dispatch(request: RequestEnvelope, conn: ClientConnection): Promise<unknown> {
    if (!this.handlers) throw new Error('the helper is still starting');
    const handler = this.handlers[request.method] as (params: unknown, conn: ClientConnection) => unknown;
    return handler(request.params, conn);
  }
}
