/**
 * Finding 1: one malformed request killed `netmon serve`. Raw bytes on a real socket, as a
 * hostile page (`<img src="http://127.0.0.1:8080//">`) or any local program can send them:
 * every one gets an answer, and the server and its other clients carry on.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeProcess } from '../helpers/serve-process';
import { getJson, startServe } from '../helpers/serve-process';

let dir: string;
let serve: ServeProcess;
let port: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sec-malformed-'));
  serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'h.sqlite')]);
  port = Number(new URL(serve.url).port);
});
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Sends raw bytes and returns the status code of the answer (0: the server closed without one). */
function raw(bytes: string | Buffer, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? 0));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if (/\r\n\r\n/.test(out)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

const upgrade = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

async function stillUp(): Promise<void> {
  expect(serve.child.exitCode).toBeNull();
  expect((await getJson(`${serve.url}/healthz`)).status).toBe(200);
}

describe('malformed requests to netmon serve', () => {
  it('answers each request of the finding with a 4xx (or the dashboard) and stays up', async () => {
    const auth = `Authorization: Bearer ${serve.token}\r\n`;
    const cases: [string, number][] = [
      ['GET // HTTP/1.1\r\nHost: x\r\n\r\n', 421],
      ['GET // HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 200],
      ['GET /% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
      [`GET /api/flows/% HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`, 400],
      [`GET /api/flows/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`, 400],
      ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: netmon_token=%E0%A4%A\r\n\r\n', 200],
      ['GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: netmon_token=%E0%A4%A\r\n\r\n', 401],
      [`GET /api/flows?limit=%E0%A4%A&port=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`, 400],
      [upgrade('//'), 404],
      [upgrade('/%'), 400],
      [upgrade('/ws?token=%E0%A4%A'), 401],
      [upgrade('/ws', 'Origin: null\r\n'), 403],
      ['GARBAGE\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n', 400],
      [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      [`POST /api/capture/start HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{oops`, 400],
      [`POST /api/capture/start HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{`, 413],
      [`PUT /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, 405],
      [`GET /api/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`, 404],
      ['GET /..%2f..%2f..%2fetc%2fpasswd.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 403],
    ];
    for (const [request, status] of cases) {
      expect(await raw(request), JSON.stringify(request.slice(0, 80))).toBe(status);
    }
    await stillUp();
  });

  it('answers random request lines, headers, cookies and bodies, and stays up (fast-check)', async () => {
    const token = fc.string({ maxLength: 12 });
    const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1'));
    const piece = fc.oneof(token, bytes, fc.constantFrom('%', '%E0%A4%A', '%zz', '//', '/..', '\u0000', '\r', '\n', ' ', '?', '#', ';', '=', 'ws', 'api'));
    const target = fc.array(piece, { maxLength: 6 }).map((parts) => `/${parts.join('')}`);
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'CONNECT', 'TRACE'), token);
    const header = fc.tuple(fc.oneof(fc.constantFrom('Cookie', 'Origin', 'Authorization', 'Content-Type', 'Content-Length', 'Upgrade', 'Sec-Fetch-Site', 'Host', 'Transfer-Encoding'), token), fc.array(piece, { maxLength: 4 }).map((p) => p.join('')));
    const request = fc.record({
      method,
      target: fc.oneof(target, fc.constantFrom('*', 'http://x/', '//', '')),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9', ''),
      headers: fc.array(header, { maxLength: 5 }),
      body: fc.oneof(fc.constant(''), bytes, fc.json()),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const head = [`${r.method} ${r.target} ${r.version}`, 'Host: 127.0.0.1', ...r.headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n');
        const status = await raw(`${head}\r\n\r\n${r.body}`, 3000);
        // An answer, or a connection the server closed on a request it could not frame; never a crash.
        expect(status === 0 || (status >= 100 && status < 600)).toBe(true);
        expect(serve.child.exitCode).toBeNull();
      }),
      { numRuns: 300 },
    );
    await stillUp();
  }, 300_000);
});
