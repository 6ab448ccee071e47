import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CaptureSession, CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowPage } from '../../../src-main/api/types/flows';
import type { CounterSeries, Stats } from '../../../src-main/api/types/stats';
import type { WsServerMessage } from '../../../src-main/api/ws-protocol';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, parsePrometheus, REPO, runServeToExit, startServe, waitFor } from '../../helpers/serve-process';

interface Conversation {
  a: string;
  port_a: number;
  b: string;
  port_b: number;
  frames_a_to_b: number;
  frames_b_to_a: number;
  bytes_a_to_b: number;
  bytes_b_to_a: number;
}

interface Truth {
  packets: number;
  bytes: number;
  min_ts_ns: number;
  max_ts_ns: number;
  protocols: Record<string, { packets: number; bytes: number }>;
  conversations: { tcp: Conversation[]; udp: Conversation[] };
}

const FIXTURE = 'many_interfaces-1.pcapng';
const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${FIXTURE}.truth.json`), 'utf8')) as Truth;
// The fixture is from 2015: keep its hour rows and flows through the retention that runs at every start.
const RETENTION_ENV = { NETMON_HISTORY_MINUTE_DAYS: '3650', NETMON_HISTORY_HOUR_DAYS: '36500', NETMON_HISTORY_FLOW_LOG_DAYS: '36500' };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-serve-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function finished(url: string, init: RequestInit = {}): Promise<CaptureStatus> {
  return waitFor('the replay to finish', async () => {
    const { body } = await getJson<CaptureStatus>(`${url}/api/capture/status`, init);
    return body.state === 'finished' || body.state === 'error' ? body : undefined;
  });
}

function key(a: string, pa: number | null, b: string, pb: number | null): string {
  return `${a}:${pa}>${b}:${pb}`;
}

describe('netmon serve --replay', () => {
  let serve: ServeProcess;
  const db = () => path.join(dir, 'history.sqlite');

  beforeAll(async () => {
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, FIXTURE), '--speed', '0', '--db', db()], RETENTION_ENV);
    const status = await finished(serve.url);
    expect(status.error).toBeNull();
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('lists every TCP and UDP conversation of the fixture with its per-direction counts', async () => {
    for (const proto of ['tcp', 'udp'] as const) {
      const { status, body } = await getJson<FlowPage>(`${serve.url}/api/flows?proto=${proto}&limit=1000&sort=firstSeen&dir=asc`);
      expect(status).toBe(200);
      const got = new Map(body.flows.map((f) => [key(f.a, f.aPort, f.b, f.bPort), f]));
      expect(body.total).toBe(truth.conversations[proto].length);
      for (const c of truth.conversations[proto]) {
        const flow = got.get(key(c.a, c.port_a, c.b, c.port_b));
        expect(flow, `${proto} ${key(c.a, c.port_a, c.b, c.port_b)}`).toBeDefined();
        expect(flow?.aToB).toEqual({ packets: c.frames_a_to_b, bytes: c.bytes_a_to_b });
        expect(flow?.bToA).toEqual({ packets: c.frames_b_to_a, bytes: c.bytes_b_to_a });
      }
    }
  });

  it('filters flows by CIDR, port and name, and pages them', async () => {
    const all = [...truth.conversations.tcp, ...truth.conversations.udp];
    const some = all[0];
    const prefix = some.b.includes(':') ? `${some.b}/128` : `${some.b.split('.').slice(0, 3).join('.')}.0/24`;
    const { body: byIp } = await getJson<FlowPage>(`${serve.url}/api/flows?ip=${encodeURIComponent(prefix)}&limit=1000`);
    expect(byIp.total).toBeGreaterThan(0);
    for (const f of byIp.flows) expect([f.a, f.b].some((ip) => ip === some.b || ip.startsWith(prefix.split('.').slice(0, 3).join('.')))).toBe(true);
    const { body: byPort } = await getJson<FlowPage>(`${serve.url}/api/flows?port=${some.port_b}&limit=1000`);
    expect(byPort.total).toBe(all.filter((c) => c.port_a === some.port_b || c.port_b === some.port_b).length);
    const page = await getJson<FlowPage>(`${serve.url}/api/flows?limit=2&offset=1&sort=bytes&dir=desc`);
    const full = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000&sort=bytes&dir=desc`);
    expect(page.body.flows.map((f) => f.id)).toEqual(full.body.flows.slice(1, 3).map((f) => f.id));
    const bad = await getJson<{ error: { code: string; issues: { path: string }[] } }>(`${serve.url}/api/flows?ip=10.0.0.0/99`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid');
    const badSort = await getJson<{ error: { message: string } }>(`${serve.url}/api/flows?sort=colour`);
    expect(badSort.status).toBe(400);
    expect(badSort.body.error.message).toMatch(/sort/);
  });

  it('serves counters that sum to the fixture totals, and stats to match', async () => {
    const from = Math.floor(truth.min_ts_ns / 1e6) - 3_600_000;
    const to = Math.ceil(truth.max_ts_ns / 1e6) + 3_600_000;
    const { status, body } = await getJson<CounterSeries>(`${serve.url}/api/counters?from=${from}&to=${to}&step=60`);
    expect(status).toBe(200);
    const sum = body.points.reduce((s, p) => ({ bytes: s.bytes + p.in.bytes + p.out.bytes, packets: s.packets + p.in.packets + p.out.packets }), { bytes: 0, packets: 0 });
    expect(sum).toEqual({ bytes: truth.bytes, packets: truth.packets });
    const stats = (await getJson<Stats>(`${serve.url}/api/stats`)).body;
    const total = stats.interfaces.reduce((s, i) => s + i.in.packets + i.out.packets, 0);
    expect(total).toBe(truth.packets);
    for (const proto of ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const) expect(stats.protocols[proto]).toEqual(truth.protocols[proto]);
    // Every TCP and UDP conversation, plus flows of other protocols, ended with the replay.
    expect(stats.finishedFlows).toBeGreaterThanOrEqual(truth.conversations.tcp.length + truth.conversations.udp.length);
    expect(stats.activeFlows).toBe(0);
    expect(stats.capture.state).toBe('finished');
  });

  it('exposes Prometheus metrics that a strict text-format parser accepts', async () => {
    const res = await fetch(`${serve.url}/metrics`, { headers: serve.auth });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    expect(types.get('netmon_interface_bytes_total')).toBe('counter');
    const bytes = samples.filter((s) => s.name === 'netmon_interface_bytes_total').reduce((s, x) => s + x.value, 0);
    const packets = samples.filter((s) => s.name === 'netmon_interface_packets_total').reduce((s, x) => s + x.value, 0);
    expect(bytes).toBe(truth.bytes);
    expect(packets).toBe(truth.packets);
    const tcp = samples.find((s) => s.name === 'netmon_protocol_packets_total' && s.labels.protocol === 'tcp');
    expect(tcp?.value).toBe(truth.protocols.tcp.packets);
    expect(samples.find((s) => s.name === 'netmon_active_flows')?.value).toBe(0);
    expect(types.get('netmon_flows_beyond_book')).toBe('gauge');
    expect(samples.find((s) => s.name === 'netmon_flows_beyond_book')?.value).toBe(0);
    expect(() => parsePrometheus('# TYPE x counter\nx{a="1} 2\n')).toThrow();
  });

  it('answers health, readiness, unknown routes and the dashboard with security headers', async () => {
    expect((await getJson(`${serve.url}/healthz`)).status).toBe(200);
    expect((await getJson<{ ready: boolean }>(`${serve.url}/readyz`)).body.ready).toBe(true);
    expect((await getJson(`${serve.url}/api/nothing`)).status).toBe(404);
    const page = await fetch(`${serve.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toMatch(/<html/i);
    // A page on another name (DNS rebinding onto 127.0.0.1) is refused.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${serve.url}/api/stats`, { headers: { Host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(rebound).toBe(421);
  });

  it('maps the alert routes onto the alert engine, with its validation messages', async () => {
    const rule = {
      name: 'upload above 1 Mbit/s', enabled: true, metric: 'bps', direction: 'out', scope: { kind: 'cidr', cidr: '10.0.0.0/8' },
      comparison: 'above', threshold: 1_000_000, recoveryThreshold: 800_000, windowSec: 10, forSec: 5, cooldownSec: 60,
      severity: 'warning', topN: 5, channels: [],
    };
    const json = { 'Content-Type': 'application/json' };
    const bad = await getJson<{ error: { code: string; issues: { path: string }[] } }>(`${serve.url}/api/alerts/rules`, {
      method: 'POST', headers: json, body: JSON.stringify({ ...rule, threshold: -5, scope: { kind: 'cidr', cidr: '10.0.0.0/33' } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i) => i.path).sort()).toEqual(['scope.cidr', 'threshold']);
    const created = await getJson<{ id: string }>(`${serve.url}/api/alerts/rules`, { method: 'POST', headers: json, body: JSON.stringify(rule) });
    expect(created.status).toBe(200);
    const listed = await getJson<{ id: string; name: string }[]>(`${serve.url}/api/alerts/rules`);
    expect(listed.body.map((r) => [r.id, r.name])).toEqual([[created.body.id, rule.name]]);
    expect((await getJson(`${serve.url}/api/alerts/rules/${created.body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await getJson<unknown[]>(`${serve.url}/api/alerts/rules`)).body).toEqual([]);
    expect((await getJson<unknown[]>(`${serve.url}/api/alerts/events?limit=10`)).status).toBe(200);
    const notJson = await getJson<{ error: { message: string } }>(`${serve.url}/api/alerts/rules`, { method: 'POST', headers: json, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);
  });

  it('keeps counters and finished flows in SQLite across a restart', async () => {
    const before = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=finished&limit=1000&sort=firstSeen&dir=asc`)).body;
    expect(await serve.stop()).toBe(0);
    const rows = new Database(db(), { readonly: true });
    const hour = rows.prepare('SELECT SUM(packets_in + packets_out) AS p, SUM(bytes_in + bytes_out) AS b FROM counters_1h').get() as { p: number; b: number };
    expect(hour).toEqual({ p: truth.packets, b: truth.bytes });
    expect((rows.prepare('SELECT COUNT(*) AS n FROM flow_log').get() as { n: number }).n).toBe(before.total);
    rows.close();
    // Restart on the same database with a file the helper rejects: history is still served, and the error is clear.
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, 'pcapng-invalid-vers-2.pcapng'), '--db', db()], RETENTION_ENV);
    const status = await finished(serve.url);
    expect(status.error, JSON.stringify(status)).toMatch(/version|pcapng/i);
    // The table shows the capture running now; the earlier one is a session of the history, picked by its id.
    const sessions = (await getJson<CaptureSession[]>(`${serve.url}/api/sessions`)).body;
    expect(sessions.map((x) => x.finishedFlows)).toEqual([0, before.total]);
    expect((await getJson<FlowPage>(`${serve.url}/api/flows?scope=finished`)).body.total).toBe(0);
    const after = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=finished&limit=1000&sort=firstSeen&dir=asc&session=${sessions[1].id}`)).body;
    expect(after.flows.map((f) => [f.a, f.aPort, f.b, f.bPort, f.aToB, f.bToA])).toEqual(before.flows.map((f) => [f.a, f.aPort, f.b, f.bPort, f.aToB, f.bToA]));
    const from = Math.floor(truth.min_ts_ns / 1e6 / 3_600_000) * 3_600_000;
    const series = (await getJson<CounterSeries>(`${serve.url}/api/counters?from=${from}&to=${from + 2 * 3_600_000}&step=3600`)).body;
    expect(series.sourceStepSec).toBe(3600);
    expect(series.points.reduce((s, p) => s + p.in.bytes + p.out.bytes, 0)).toBe(truth.bytes);
  });
});

describe('netmon serve token and bind rules', () => {
  const token = 'test-token-0123456789abcdef';
  let serve: ServeProcess;

  beforeAll(async () => {
    // Live on loopback: rollups follow the wall clock, and this test's own requests are the traffic.
    serve = await startServe(['--bind', '127.0.0.1:0', '--token', token, '--iface', 'lo', '--db', path.join(dir, 'token.sqlite')]);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('refuses a non-loopback bind without a token', async () => {
    const result = await runServeToExit(['--bind', '0.0.0.0:0', '--db', path.join(dir, 'x.sqlite')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/server\.token: required when server\.bind \(0\.0\.0\.0:0\) is not a loopback address/);
    const badFlag = await runServeToExit(['--speed', 'fast']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--speed must be a number/);
  });

  it('checks the bearer token on every route but the dashboard files, and never sets a cookie', async () => {
    for (const route of ['/api/stats', '/api/flows', '/metrics', '/healthz']) {
      expect((await fetch(`${serve.url}${route}`)).status, route).toBe(401);
      expect((await fetch(`${serve.url}${route}`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status, route).toBe(401);
      expect((await fetch(`${serve.url}${route}`, { headers: { Authorization: `Bearer ${token}` } })).status, route).toBe(200);
    }
    // The dashboard's files are the same for everyone; the page reads the token from #token= and keeps it in its storage.
    const page = await fetch(`${serve.url}/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${serve.url}/api/stats`, { headers: { Cookie: `netmon_token=${token}` } })).status).toBe(401);
  });

  it('checks the token on the WebSocket and pushes one rollup a second', async () => {
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/ws`, ['netmon.v1']);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);

    const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/ws`, ['netmon.v1', `netmon.token.${token}`]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('netmon.v1');
    const ticks: { at: number; tsMs: number }[] = [];
    let response: WsServerMessage | null = null;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as WsServerMessage;
      if (msg.type === 'event' && msg.channel === 'rollup.tick') ticks.push({ at: Date.now(), tsMs: msg.payload.tsMs });
      if (msg.type === 'response') response = msg;
    });
    ws.send(JSON.stringify({ type: 'request', id: 7, channel: 'capture.status', params: {} }));
    await new Promise((r) => setTimeout(r, 4500));
    ws.close();
    expect(response).toMatchObject({ type: 'response', id: 7, channel: 'capture.status', result: { ok: true } });
    // One tick per second of wall time, for consecutive seconds.
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].tsMs - ticks[i - 1].tsMs).toBe(1000);
    const span = ticks[ticks.length - 1].at - ticks[0].at;
    expect(span / (ticks.length - 1)).toBeGreaterThan(600);
    expect(span / (ticks.length - 1)).toBeLessThan(1500);
  });
});

describe('netmon serve with no capture arguments', () => {
  it('starts no capture by itself: not the demo either, with or without capture rights', async () => {
    const serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'idle.sqlite')]);
    try {
      // Ready: the helper answers, and a second later still nothing runs.
      await waitFor('the capture helper', async () => {
        const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
        return body.helper === 'connected' ? body : undefined;
      });
      await new Promise((r) => setTimeout(r, 1500));
      const { body: status } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      expect(status).toMatchObject({ state: 'idle', captureId: null, source: null, demo: false, error: null });
    } finally {
      await serve.stop();
    }
  });

  it('plays the demo capture shipped in assets/ with --demo', async () => {
    const serve = await startServe(['--bind', '127.0.0.1:0', '--demo', '--db', path.join(dir, 'demo.sqlite')]);
    try {
      const status = await waitFor('the demo replay', async () => {
        const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
        return body.state === 'running' ? body : undefined;
      });
      expect(status.source).toMatchObject({ kind: 'replay', speed: 1 });
      expect(status.demo).toBe(true);
      expect(status.source?.kind === 'replay' && path.relative(REPO, status.source.file)).toBe(path.join('assets', 'demo.pcapng'));
    } finally {
      await serve.stop();
    }
  });

  it('refuses --demo with --iface or --replay', async () => {
    for (const extra of [['--iface', 'lo'], ['--replay', path.join(FIXTURES, FIXTURE)]]) {
      const { code, stderr } = await runServeToExit(['--demo', ...extra, '--db', path.join(dir, 'usage.sqlite')]);
      expect(code).toBe(2);
      expect(stderr).toContain('--demo plays the demo capture: leave out --iface and --replay');
    }
  });
});
