/**
 * The endpoints added since the first security review, attacked as the older ones are:
 * the demo, sessions, probes, geo and settings-info routes, the file-only geo settings,
 * and the NATS subjects `serve --nats` listens on. A real serve (two: one plain, one on a
 * real nats-server), raw requests, and a hostile NATS client publishing what it likes.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeStatus } from '../../src-main/api/types/probes';
import type { Stats } from '../../src-main/api/types/stats';
import { MAX_INTERFACES_PER_PROBE, MAX_PROBES } from '../../src-main/bus/bus-aggregator';
import type { BodyOf, DataKind } from '../../src-main/bus/wire';
import { encodeEnvelope } from '../../src-main/bus/wire';
import { hasNatsServer, startNatsServer, type NatsServer } from '../helpers/nats-server';
import { getJson, startServe, waitFor, type ServeProcess } from '../helpers/serve-process';

let work: string;
let config: string;
let plain: ServeProcess;
let nats: NatsServer;
let bused: ServeProcess;
let hostile: NatsConnection;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sec-newest-'));
  config = path.join(work, 'netmon.yaml');
  fs.writeFileSync(config, 'log:\n  level: warn\n', { mode: 0o600 });
  plain = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(work, 'plain.sqlite'), '--config', config]);
  nats = await startNatsServer(work);
  bused = await startServe(['--nats', nats.url, '--bind', '127.0.0.1:0', '--db', path.join(work, 'bus.sqlite')],
    { NETMON_BUS_USER: nats.user, NETMON_BUS_PASSWORD: nats.password });
  hostile = await connect({ servers: nats.url, user: nats.user, pass: nats.password, name: 'hostile' });
}, 60_000);

afterAll(async () => {
  await hostile?.close();
  await bused?.stop();
  await plain?.stop();
  await nats?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

/** A request as any program or page can send it: only the headers given (Host included), no token unless given. */
function request(base: string, method: string, route: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(route, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: { ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ENDPOINTS: { method: string; route: string; body?: string }[] = [
  { method: 'POST', route: '/api/capture/demo', body: '{}' },
  { method: 'GET', route: '/api/sessions' },
  { method: 'GET', route: '/api/probes' },
  { method: 'GET', route: '/api/geo' },
  { method: 'GET', route: '/api/settings/info' },
  { method: 'GET', route: '/api/applications' },
  { method: 'GET', route: '/api/web-sections' },
  { method: 'PUT', route: '/api/settings', body: JSON.stringify({ geo: { countryDb: '/etc/passwd' } }) },
];

const rss = (s: ServeProcess) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${s.child.pid as number}/status`, 'utf8'))?.[1]) * 1024;

async function stillUp(s: ServeProcess): Promise<void> {
  expect(s.child.exitCode).toBeNull();
  expect((await getJson(`${s.url}/healthz`)).status).toBe(200);
}

describe('the newest HTTP endpoints refuse what the older ones refuse', () => {
  it('need the token, and refuse pages of another origin and rebound host names, even with the token', async () => {
    for (const s of [plain, bused]) {
      const auth = s.auth;
      const json = { 'Content-Type': 'application/json' };
      const port = new URL(s.url).port;
      for (const { method, route, body } of ENDPOINTS) {
        const what = `${method} ${route}`;
        const base = { Host: `127.0.0.1:${port}`, ...json };
        expect((await request(s.url, method, route, base, body)).status, `${what} without a token`).toBe(401);
        expect((await request(s.url, method, route, { ...base, Authorization: 'Bearer wrong-token-0123456789abcdef' }, body)).status, what).toBe(401);
        const crossSite: Record<string, string>[] = [{ Origin: 'http://evil.example' }, { Origin: 'null' }, { Origin: `http://127.0.0.1:${Number(port) + 1}` }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }];
        for (const hostileHeaders of crossSite) {
          const answer = await request(s.url, method, route, { ...base, ...auth, ...hostileHeaders }, body);
          expect(answer.status, `${what} with ${JSON.stringify(hostileHeaders)}`).toBe(403);
        }
        // DNS rebinding: a page whose own name now resolves to 127.0.0.1.
        for (const host of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`]) {
          expect((await request(s.url, method, route, { ...base, ...auth, Host: host }, body)).status, `${what} for Host ${host}`).toBe(421);
        }
      }
    }
    const metrics = await (await fetch(`${plain.url}/metrics`, { headers: plain.auth })).text();
    expect(Number(/^netmon_http_cross_origin_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(ENDPOINTS.length * 5);
  });

  it('never lets a client name the country or AS database, in any form, and leaves the settings file as it was', async () => {
    const before = fs.readFileSync(config, 'utf8');
    const paths: unknown[] = ['/etc/passwd', '', '../../etc/shadow', 'relative.mmdb', '/proc/self/environ', ['/etc/passwd'], { path: '/etc/passwd' }, 'a'.repeat(100_000)];
    for (const key of ['countryDb', 'asnDb']) {
      for (const value of paths) {
        const answer = await getJson<{ error: { message: string } }>(`${plain.url}/api/settings`, { method: 'PUT', body: JSON.stringify({ geo: { [key]: value } }) });
        expect(answer.status, `${key} = ${JSON.stringify(value).slice(0, 40)}`).toBe(403);
        expect(answer.body.error.message).toMatch(new RegExp(`geo\\.${key} can only be set in the settings file`));
      }
      // Alongside an allowed change, nothing of the request is applied.
      const mixed = await getJson(`${plain.url}/api/settings`, { method: 'PUT', body: JSON.stringify({ flows: { tcpIdleSec: 61 }, geo: { [key]: '/etc/passwd' } }) });
      expect(mixed.status).toBe(403);
    }
    for (const hidden of ['{"geo":{"__proto__":{"countryDb":"/etc/passwd"}}}', '{"__proto__":{"geo":{"asnDb":"/etc/passwd"}}}', '{"constructor":{"prototype":{"countryDb":"/etc/passwd"}}}']) {
      const answer = await getJson(`${plain.url}/api/settings`, { method: 'PUT', body: hidden });
      expect(answer.status, hidden).toBeGreaterThanOrEqual(400);
      expect(answer.status, hidden).toBeLessThan(500);
    }
    expect((await getJson(`${plain.url}/api/settings`, { method: 'PATCH', body: '{"geo":{"asnDb":"/etc/passwd"}}' })).status).toBe(405);
    expect(fs.readFileSync(config, 'utf8')).toBe(before);
    const info = await getJson<{ fileOnly: string[] }>(`${plain.url}/api/settings/info?file=/etc/passwd`);
    expect(info.body.fileOnly).toEqual(expect.arrayContaining(['geo.countryDb', 'geo.asnDb']));
    const geo = await getJson<{ sources: Record<string, unknown> }>(`${plain.url}/api/geo?countryDb=/etc/passwd&asnDb=/etc/shadow`);
    expect(geo.status).toBe(200);
    expect(JSON.stringify(geo.body)).not.toMatch(/\/etc\//);
  });

  it('plays the built-in demo capture only, whatever the body names', async () => {
    const demo = await getJson<{ source: { kind: string; file: string } }>(`${plain.url}/api/capture/demo`, { method: 'POST', body: JSON.stringify({ file: '/etc/passwd', kind: 'replay', argv: ['/usr/bin/id'] }) });
    expect(demo.status).toBe(200);
    expect(path.basename(demo.body.source.file)).toBe('demo.pcapng');
    expect((await getJson(`${plain.url}/api/capture/demo`, { method: 'POST', body: '{}' })).status).toBe(409);
    expect((await getJson(`${plain.url}/api/capture/demo`, { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
    expect((await getJson(`${plain.url}/api/capture/demo`, { method: 'POST', body: '{"file":' })).status).toBe(400);
    // serve --nats shows its probes: the demo does not take their place.
    expect((await getJson(`${bused.url}/api/capture/demo`, { method: 'POST', body: '{}' })).status).toBeGreaterThanOrEqual(400);
    const sessions = await getJson<{ kind: string; source: string }[]>(`${plain.url}/api/sessions`);
    expect(sessions.body.every((s) => !s.source.startsWith('/etc/'))).toBe(true);
    await getJson(`${plain.url}/api/capture/stop`, { method: 'POST', body: '{}' });
  });

  it('answers garbage and oversized query parameters with a clear 400, never a 5xx', async () => {
    for (const query of ['limit=abc', 'limit=0', 'limit=-1', 'limit=1.5', 'limit=1e9', `limit=${'9'.repeat(5000)}`, 'before=zzz', 'before=1e400', `before=${'9'.repeat(400)}`, 'limit=%E0%A4%A']) {
      const answer = await request(plain.url, 'GET', `/api/sessions?${query}`, { Host: '127.0.0.1', ...plain.auth });
      expect(answer.status, query).toBe(400);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { message: expect.any(String) as string } });
    }
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.double().map(String), fc.integer().map(String), fc.constantFrom('', '%', 'NaN', 'Infinity', '-0', '1e308', '2026-13-45'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/sessions', '/api/probes', '/api/geo', '/api/settings/info', '/api/applications', '/api/web-sections'),
        fc.dictionary(fc.constantFrom('limit', 'before', 'probe', 'file', 'session', 'window', 'x'), value), async (route, params) => {
        const answer = await getJson(`${plain.url}${route}?${new URLSearchParams(params).toString()}`);
        expect([200, 400, 503], `${route} ${JSON.stringify(params)}`).toContain(answer.status);
      }),
      { numRuns: 200 },
    );
    await stillUp(plain);
  });
});

describe.skipIf(!hasNatsServer())('a hostile publisher on the NATS subjects serve --nats listens on', () => {
  const kinds: DataKind[] = ['hb', 'rollup', 'flows', 'state'];
  let seq = 0;
  const hb = (interfaces: string[]): BodyOf['hb'] => ({ session: null, state: 'running', interfaces, busDropped: 0, busBuffered: 0, reconnects: 0, uptimeMs: 1000 });
  const publish = <K extends DataKind>(probe: string, kind: K, body: BodyOf[K], session: string | null = null) =>
    hostile.publish(`netmon.${probe}.${kind}`, encodeEnvelope({ v: 1, probe, boot: 'b', seq: seq++, sentMs: Date.now(), session, kind, body }));
  const probes = async () => (await getJson<ProbeStatus[]>(`${bused.url}/api/probes`)).body;

  it('drops garbage, bombs and oversized messages, and carries on', async () => {
    const baseline = rss(bused);
    const bombs: Uint8Array[] = [
      Buffer.alloc(0),
      Buffer.from('not msgpack at all'),
      Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // an array claiming 4 G items
      Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]), // a map claiming 4 G entries
      Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]), // a string claiming 4 GiB
      Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff]), // bytes claiming 4 GiB
      Buffer.alloc(100_000, 0x91), // 100,000 nested arrays
      Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa1, 0x76, 0x01]),
      msgpackEncode({ v: 1, probe: 'x', boot: 'b', seq: 0, sentMs: 0, session: null, kind: 'hb', body: null }),
      msgpackEncode({ v: 1, probe: 'x', boot: 'b', seq: -1, sentMs: Number.NaN, session: '../..', kind: 'flows', body: { updated: [[1]], ended: 7 } }),
      msgpackEncode({ v: 2, probe: 'x', body: 'a'.repeat(900_000) }),
      Buffer.alloc(1000 * 1024, 0xc1), // just under NATS's payload limit, every byte invalid
    ];
    // Memory stays bounded however long the garbage goes on (what grows between collections is returned at the next one).
    let peak = 0;
    for (let round = 0; round < 30; round++) {
      for (const bytes of bombs) for (const kind of kinds) hostile.publish(`netmon.x.${kind}`, bytes);
      await hostile.flush();
      if (round % 5 === 4) peak = Math.max(peak, rss(bused));
    }
    // Envelopes a probe's name does not match, and random values in every field.
    await fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.anything({ maxDepth: 4 }), fc.string({ maxLength: 20 }), (kind, body, name) => {
        hostile.publish(`netmon.x.${kind}`, msgpackEncode({ v: 1, probe: name, boot: 'b', seq: 1, sentMs: 1, session: null, kind, body }));
        hostile.publish(`netmon.x.${kind}`, msgpackEncode(body));
      }),
      { numRuns: 2000 },
    );
    await hostile.flush();
    await stillUp(bused);
    // A real probe's messages are still heard afterwards.
    publish('after-garbage', 'hb', hb(['eth0']));
    await waitFor('the probe sent after the garbage', async () => ((await probes()).some((p) => p.name === 'after-garbage') ? true : undefined), 10_000);
    expect((await probes()).map((p) => p.name)).not.toContain('x');
    expect(peak - baseline).toBeLessThan(512 * 1024 * 1024);
  }, 120_000);

  it('keeps at most its bound of probes and of interfaces per probe, and lets a new probe in once old ones are gone', async () => {
    for (let i = 0; i < MAX_PROBES + 500; i++) publish(`flood-${i}`, 'hb', hb([`if${i}`]));
    await hostile.flush();
    await stillUp(bused);
    const flooded = await waitFor('the flood to be heard', async () => {
      const list = await probes();
      return list.length >= MAX_PROBES ? list : undefined;
    });
    expect(flooded.length).toBe(MAX_PROBES);
    publish('newcomer', 'hb', hb(['eth0']));
    await hostile.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect((await probes()).map((p) => p.name)).not.toContain('newcomer');

    // One probe inventing new interface names in every rollup: the core would keep counters for each.
    const second = Math.floor(Date.now() / 1000);
    for (let m = 0; m < 50; m++) {
      const interfaces = Array.from({ length: 64 }, (_, i) => ({ iface: `inv${m}-${i}`, packetsIn: 1, bytesIn: 60, packetsOut: 0, bytesOut: 0, kernelDrops: 0, helperDrops: 0 }));
      publish('flood-0', 'rollup', { second, packets: 64, bytes: 3840, interfaces, byProtocol: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`p${m}-${i}`, { packets: 1, bytes: 1 }])), topHosts: [], topFlows: [], activeFlows: 0, newFlows: 0 });
    }
    await hostile.flush();
    await new Promise((r) => setTimeout(r, 2500));
    const stats = (await getJson<Stats>(`${bused.url}/api/stats`)).body;
    expect(stats.interfaces.filter((i) => i.iface.startsWith('flood-0/')).length).toBeLessThanOrEqual(MAX_INTERFACES_PER_PROBE);

    // Once the flood has been silent long enough to be gone, a new probe takes the place of one.
    await new Promise((r) => setTimeout(r, 10_500));
    publish('newcomer', 'hb', hb(['eth0']));
    const list = await waitFor('the newcomer', async () => {
      const l = await probes();
      return l.some((p) => p.name === 'newcomer') ? l : undefined;
    }, 10_000);
    expect(list.length).toBeLessThanOrEqual(MAX_PROBES);
    await stillUp(bused);
  }, 90_000);
});
