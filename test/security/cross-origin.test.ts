/**
 * Findings 2 and 6, from a browser: pages of another origin (another site, or another port of
 * this host) cannot drive `netmon serve`. Debian's Chromium through playwright-core, a real
 * serve, and a second HTTP server on another local port playing the hostile page.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertChannel } from '../../src-main/api/types/alerts';
import type { BrowserSession, Served } from '../e2e/browser';
import { missingPrerequisite, openBrowser, startServe } from '../e2e/browser';

let work: string;
let served: Served;
let session: BrowserSession;
let hostile: http.Server;
let hostileUrl: string;
/** Cookie headers the hostile server received from the browser. */
const cookiesSeen: string[] = [];
const MARKER = () => path.join(work, 'ran');

beforeAll(async () => {
  const missing = missingPrerequisite();
  if (missing) throw new Error(`browser tests need the build: ${missing}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sec-origin-'));
  served = await startServe({ replay: path.join(__dirname, '../../assets/demo.pcapng'), speed: 1 });
  hostile = http.createServer((req, res) => {
    cookiesSeen.push(req.headers.cookie ?? '');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  session = await openBrowser();
}, 60_000);

afterAll(async () => {
  await session?.close();
  await served?.stop();
  hostile?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

async function channels(): Promise<AlertChannel[]> {
  return (await (await fetch(`${served.url}/api/alerts/channels`, { headers: served.auth })).json()) as AlertChannel[];
}

describe('pages of another origin against netmon serve', () => {
  it('cannot create a command channel nor run one with a no-cors POST', async () => {
    const { page } = session;
    await page.goto(hostileUrl);
    const channel = JSON.stringify({ id: 'pwn', kind: 'command', name: 'x', argv: ['/bin/sh', '-c', `touch ${MARKER()}`] });
    await page.evaluate(async ({ target, body }) => {
      const post = (url: string, text: string) => fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: text }).catch(() => undefined);
      await post(`${target}/api/alerts/channels`, body);
      await post(`${target}/api/alerts/channels/pwn/test`, '');
      await post(`${target}/api/capture/start`, JSON.stringify({ kind: 'replay', file: '/etc/shadow', speed: 0 }));
    }, { target: served.url, body: channel });
    expect((await channels()).map((c) => c.id)).not.toContain('pwn');
    expect(fs.existsSync(MARKER())).toBe(false);
    const metrics = await (await fetch(`${served.url}/metrics`, { headers: served.auth })).text();
    expect(Number(/^netmon_http_cross_origin_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('cannot open the WebSocket from a sandboxed iframe (Origin: null), even with the token', async () => {
    const { page } = session;
    await page.goto(hostileUrl);
    const outcome = await page.evaluate(async ({ ws, token }) => {
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      const result = new Promise<string>((resolve) => {
        window.addEventListener('message', (e) => resolve(String(e.data)), { once: true });
      });
      frame.srcdoc = `<script>
        const s = new WebSocket(${JSON.stringify(ws)}, ['netmon.v1', 'netmon.token.' + ${JSON.stringify(token)}]);
        s.onopen = () => parent.postMessage('open', '*');
        s.onerror = () => parent.postMessage('refused', '*');
      </script>`;
      document.body.append(frame);
      return result;
    }, { ws: `${served.url.replace('http', 'ws')}/ws`, token: served.token });
    expect(outcome).toBe('refused');
  });

  it('cannot use the token of the dashboard opened on another port of the same host', async () => {
    const { page, context } = session;
    await page.goto(served.dashboard);
    await expect.poll(() => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/demo\.pcapng/);
    // The dashboard keeps the token in its own origin's storage, and no cookie at all.
    expect(await page.evaluate(() => window.localStorage.getItem('netmon.token'))).toBe(served.token);
    expect((await context.cookies()).filter((c) => c.value.includes(served.token))).toEqual([]);

    await page.goto(hostileUrl);
    expect(cookiesSeen.some((c) => c.includes(served.token))).toBe(false);
    const attempt = await page.evaluate(async (target) => {
      const read = await fetch(`${target}/api/stats`, { credentials: 'include' }).then((r) => `status ${r.status}`, () => 'blocked');
      const ws = await new Promise<string>((resolve) => {
        const s = new WebSocket(`${target.replace('http', 'ws')}/ws`, ['netmon.v1']);
        s.onopen = () => resolve('open');
        s.onerror = () => resolve('refused');
      });
      return { read, ws, stored: window.localStorage.getItem('netmon.token') };
    }, served.url);
    expect(attempt).toEqual({ read: 'blocked', ws: 'refused', stored: null });
  });
});
