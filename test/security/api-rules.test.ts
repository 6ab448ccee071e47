/**
 * Findings 2, 5, 7 and 8 through the API itself, with the token (a client that has it is
 * still not trusted with programs and paths): command channels only from the settings file,
 * replays only from the replay directory, a settings change never writes overrides, and a
 * WebSocket client that does not read its answers is closed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import YAML from 'yaml';
import type { AlertChannel } from '../../src-main/api/types/alerts';
import type { ApiError } from '../../src-main/api/types/results';
import type { ServeProcess } from '../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../helpers/serve-process';

let work: string;
let replayDir: string;
let config: string;
let serve: ServeProcess;
const marker = () => path.join(work, 'pager-ran');

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sec-api-'));
  replayDir = path.join(work, 'captures');
  fs.mkdirSync(replayDir);
  fs.copyFileSync(path.join(FIXTURES, 'Dns.pcap'), path.join(replayDir, 'dns.pcap'));
  fs.symlinkSync('/etc/hostname', path.join(replayDir, 'escape.pcap'));
  config = path.join(work, 'netmon.yaml');
  fs.writeFileSync(config, YAML.stringify({
    log: { level: 'warn' },
    alerts: { channels: [{ id: 'pager', kind: 'command', name: 'Pager', argv: ['/bin/sh', '-c', `cat > ${marker()}`] }] },
  }));
  serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(work, 'h.sqlite'), '--config', config, '--replay-dir', replayDir,
    '--replay', path.join(FIXTURES, 'Dns.pcap'), '--speed', '0'], { NETMON_FLOWS_UDP_IDLE_SEC: '45' });
  await waitFor('the replay', async () => ((await getJson<{ state: string }>(`${serve.url}/api/capture/status`)).body.state === 'finished' ? true : undefined));
});
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const send = (method: string, route: string, body?: unknown) =>
  getJson<{ error: ApiError } & Record<string, unknown>>(`${serve.url}${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });

describe('what a client with the token still cannot do', () => {
  it('cannot create a command channel or give a channel a program; it can list, disable, enable and test one', async () => {
    const created = await send('POST', '/api/alerts/channels', { id: 'evil', kind: 'command', name: 'x', argv: ['/usr/bin/id'] });
    expect(created.status).toBe(403);
    expect(created.body.error.message).toMatch(/command channels are set in the settings file only/);
    expect((await send('POST', '/api/alerts/channels', { id: 'hook', kind: 'webhook', name: 'Hook', url: 'http://127.0.0.1:9/' })).status).toBe(200);
    const turned = await send('PUT', '/api/alerts/channels/hook', { kind: 'command', name: 'Hook', argv: ['/usr/bin/id'] });
    expect(turned.status).toBe(403);

    const [pager] = (await getJson<AlertChannel[]>(`${serve.url}/api/alerts/channels`)).body.filter((c) => c.id === 'pager');
    expect(pager).toMatchObject({ kind: 'command', enabled: true });
    const { id: _id, ...spec } = pager;
    const rewritten = await send('PUT', '/api/alerts/channels/pager', { ...spec, argv: ['/bin/sh', '-c', 'id'] });
    expect(rewritten.status).toBe(403);
    expect(rewritten.body.error.message).toMatch(/can only be enabled or disabled/);
    expect((await send('DELETE', '/api/alerts/channels/pager')).status).toBe(403);
    expect((await send('PUT', '/api/alerts/channels/pager', { ...spec, enabled: false })).body).toMatchObject({ id: 'pager', enabled: false });
    expect((await send('PUT', '/api/alerts/channels/pager', { ...spec, enabled: true })).body).toMatchObject({ id: 'pager', enabled: true });
    expect((await send('POST', '/api/alerts/channels/pager/test')).body).toEqual({ delivered: true, httpStatus: null, error: null });
    expect(JSON.parse(fs.readFileSync(marker(), 'utf8'))).toMatchObject({ type: 'test' });
  });

  it('reads the file the user chose at start again (Start after Stop), and no other file outside the replay directory', async () => {
    const chosen = path.join(FIXTURES, 'Dns.pcap');
    const again = await send('POST', '/api/capture/start', { kind: 'replay', file: chosen, speed: 0 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ source: { kind: 'replay', file: chosen } });
    await waitFor('the second reading', async () => ((await getJson<{ state: string }>(`${serve.url}/api/capture/status`)).body.state === 'finished' ? true : undefined));
    const sibling = await send('POST', '/api/capture/start', { kind: 'replay', file: path.join(FIXTURES, 'TwoHttpRequests.pcap'), speed: 0 });
    expect(sibling.status).toBe(403);
  });

  it('replays files inside the replay directory only, without telling whether a path outside exists', async () => {
    const outside = await send('POST', '/api/capture/start', { kind: 'replay', file: '/etc/shadow', speed: 0 });
    const missing = await send('POST', '/api/capture/start', { kind: 'replay', file: '/nonexistent/x.pcap', speed: 0 });
    const dotdot = await send('POST', '/api/capture/start', { kind: 'replay', file: '../h.sqlite', speed: 0 });
    const link = await send('POST', '/api/capture/start', { kind: 'replay', file: 'escape.pcap', speed: 0 });
    for (const r of [outside, missing, dotdot, link]) {
      expect(r.status).toBe(403);
      expect(r.body.error.message).toBe(outside.body.error.message);
    }
    const inside = await send('POST', '/api/capture/start', { kind: 'replay', file: 'dns.pcap', speed: 0 });
    expect(inside.status).toBe(200);
    expect(inside.body).toMatchObject({ source: { kind: 'replay', file: path.join(fs.realpathSync(replayDir), 'dns.pcap') } });
  });

  it('writes a settings change into the file without the flag and environment overrides, and refuses to change those', async () => {
    expect((await send('PUT', '/api/settings', { flows: { tcpIdleSec: 300 } })).status).toBe(200);
    const file = YAML.parse(fs.readFileSync(config, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(file.flows).toEqual({ tcpIdleSec: 300 });
    expect(file.server).toBeUndefined();
    expect(file.history).toBeUndefined();
    expect(file.capture).toBeUndefined();
    expect(file.alerts).toBeDefined();
    expect((await send('PUT', '/api/settings', { flows: { udpIdleSec: 10 } })).body.error.message).toMatch(/NETMON_FLOWS_UDP_IDLE_SEC/);
    for (const patch of [{ server: { bind: '0.0.0.0:80' } }, { server: { token: 'abcdefghijklmnop1234' } }, { history: { dbPath: '/tmp/x' } }, { capture: { replayDir: '/' } }]) {
      expect((await send('PUT', '/api/settings', patch)).status, JSON.stringify(patch)).toBe(403);
    }
  });

  it('closes a WebSocket client that sends requests and never reads the answers, and counts it', async () => {
    const pid = serve.child.pid as number;
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
    const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/ws`, ['netmon.v1', `netmon.token.${serve.token}`]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // Stop reading: what the server sends piles up on its side.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // 10,000 one-second points: about 1 MB an answer.
    const now = Date.now();
    const request = (id: number) => JSON.stringify({ type: 'request', id, channel: 'counters.series', params: { fromMs: now - 10_000_000, toMs: now, stepSec: 1 } });
    const peak = { rss: 0 };
    for (let i = 0; i < 2000 && ws.readyState === WebSocket.OPEN; i++) {
      ws.send(request(i));
      if (i % 20 === 0) {
        await new Promise((r) => setTimeout(r, 20));
        peak.rss = Math.max(peak.rss, rss());
      }
    }
    const closed = await waitFor('the slow client to be closed', async () => {
      const metrics = await (await fetch(`${serve.url}/metrics`, { headers: serve.auth })).text();
      const n = Number(/^netmon_ws_slow_clients_closed_total (\d+)/m.exec(metrics)?.[1]);
      return n > 0 ? n : undefined;
    }, 30_000);
    expect(closed).toBe(1);
    ws.terminate();
    expect(peak.rss).toBeLessThan(400 * 1024 * 1024);
    expect((await getJson(`${serve.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('keeps an uploaded capture in its private directory whatever name the client gives, and takes only capture bytes', async () => {
    await waitFor('no capture running', async () => {
      const { state } = (await getJson<{ state: string }>(`${serve.url}/api/capture/status`)).body;
      return state === 'running' || state === 'starting' ? undefined : true;
    });
    const upload = (name: string, type: string, headers: Record<string, string> = {}) =>
      getJson<{ error: ApiError; source: { file: string } }>(`${serve.url}/api/capture/upload?name=${encodeURIComponent(name)}&speed=0`, {
        method: 'POST',
        headers: { 'Content-Type': type, ...headers },
        body: fs.readFileSync(path.join(FIXTURES, 'Dns.pcap')),
      });
    expect((await upload('x.pcap', 'text/plain')).status).toBe(415);
    expect((await upload('x.pcap', 'application/octet-stream', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await upload('x.pcap', 'application/octet-stream', { Authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const named = await upload('../../../tmp/netmon-upload-escape.pcap', 'application/octet-stream');
    expect(named.status).toBe(200);
    const uploads = path.join(fs.realpathSync(work), 'uploads') + path.sep;
    expect(named.body.source.file.startsWith(uploads)).toBe(true);
    expect(path.basename(named.body.source.file)).toBe('netmon-upload-escape.pcap');
    expect(fs.existsSync('/tmp/netmon-upload-escape.pcap')).toBe(false);
  });
});
