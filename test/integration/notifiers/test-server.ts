import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers
 * from a script (then 204 once the script runs out), playing Discord or any webhook.
 */
export class TestServer {
  readonly received: ReceivedRequest[] = [];
  private readonly server: http.Server;
  private script: ScriptedReply[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private answeredCount = 0;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body: text === '' ? null : JSON.parse(text) });
        const reply = this.script.shift() ?? { status: 204 };
        const send = (): void => {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body ?? '');
          this.answeredCount += 1;
          this.notify();
        };
        if (reply.delayMs !== undefined) setTimeout(send, reply.delayMs);
        else send();
      });
    });
  }

  static async start(): Promise<TestServer> {
    const s = new TestServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  reply(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  /** Resolves once `count` requests have been answered. */
  answered(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ count, resolve });
      this.notify();
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.answeredCount >= w.count) { w.resolve(); return false; }
      return true;
    });
  }
}

/** A port on 127.0.0.1 with nothing listening: bind, note the port, close. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
