/**
 * Alerts end to end in headless mode: `netmon serve --replay` of a generated
 * capture with a download burst, rules and channels from the settings file,
 * and real HTTP servers in the test playing Discord (with a 429 and a 500)
 * and a generic webhook.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AlertChannel, AlertChannelStatus, AlertEvent, AlertRuleState } from '../../../src-main/api/types/alerts';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { ApiError } from '../../../src-main/api/types/results';
import type { WsServerMessage } from '../../../src-main/api/ws-protocol';
import type { DiscordWebhookBody } from '../../../src-main/core/notifiers/discord-payload';
import type { WebhookBody } from '../../../src-main/core/notifiers/webhook-payload';
import { TestServer } from '../notifiers/test-server';
import type { ServeProcess } from '../../helpers/serve-process';
import { getJson, runServeToExit, startServe, waitFor } from '../../helpers/serve-process';
import type { SecondTruth } from './burst-capture';
import { DEFAULT_PLAN, LOCAL, MAIN_TALKER, SECOND_TALKER, writeBurstCapture } from './burst-capture';

const THRESHOLD = 5_000_000;
const RECOVERY = 1_000_000;
const WINDOW = 2;
const TOP_N = 3;

let dir: string;
let capture: string;
let truth: SecondTruth[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-alerts-'));
  capture = path.join(dir, 'burst.pcap');
  truth = writeBurstCapture(capture);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The windowed inbound bit rate the engine should compute at `tsMs`, from the capture itself. */
function windowedInBps(tsMs: number): number {
  const end = truth.findIndex((s) => s.tsMs === tsMs);
  const seconds = truth.slice(end - WINDOW + 1, end + 1);
  return seconds.reduce((sum, s) => sum + s.inBytes * 8, 0) / WINDOW;
}

/** The capture's top hosts at one second, as an event carries them (total rates, biggest first). */
function expectedHosts(tsMs: number): { address: string; bps: number; pps: number }[] {
  const second = truth.find((s) => s.tsMs === tsMs);
  if (second === undefined) throw new Error(`no second ${tsMs} in the capture`);
  return [...second.hosts.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, TOP_N)
    .map(([address, c]) => ({ address, bps: c.bytes * 8, pps: c.packets }));
}

function expectedFlows(tsMs: number): { key: string; bps: number; pps: number }[] {
  const second = truth.find((s) => s.tsMs === tsMs);
  if (second === undefined) throw new Error(`no second ${tsMs} in the capture`);
  return [...second.flows.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, TOP_N)
    .map(([key, c]) => ({ key, bps: c.bytes * 8, pps: c.packets }));
}

describe('netmon serve --replay with alert rules from the settings file', () => {
  let serve: ServeProcess;
  let discord: TestServer;
  let hook: TestServer;
  let events: AlertEvent[];

  beforeAll(async () => {
    discord = await TestServer.start();
    hook = await TestServer.start();
    // Discord first asks to wait 0.3 s, then fails once; the third attempt is delivered.
    discord.reply({ status: 429, body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.3, global: false }) }, { status: 500 });
    const config = path.join(dir, 'netmon.json');
    fs.writeFileSync(config, JSON.stringify({
      log: { level: 'warn' },
      alerts: {
        channels: [
          { id: 'ops-discord', kind: 'discord', name: 'Ops Discord', url: discord.url('/api/webhooks/1/token') },
          { id: 'hook', kind: 'webhook', name: 'Pager hook', url: hook.url('/netmon'), headers: { Authorization: 'Bearer hook-secret' } },
        ],
        rules: [{
          id: 'download-burst', name: 'Download burst', metric: 'bps', direction: 'in', threshold: '5M', recoveryThreshold: '1M',
          windowSec: WINDOW, forSec: 1, cooldownSec: 60, severity: 'critical', topN: TOP_N, channels: ['ops-discord', 'hook'],
        }],
      },
    }));
    serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'history.sqlite'), '--config', config, '--replay', capture, '--speed', '0']);
    await waitFor('the replay to finish', async () => {
      const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      return body.state === 'finished' ? body : undefined;
    });
    // Firing (429, 500, delivered) then recovery on Discord; firing and recovery on the hook.
    await Promise.race([
      Promise.all([discord.answered(4), hook.answered(2)]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`notifications did not arrive: discord ${discord.received.length}, hook ${hook.received.length}`)), 20_000)),
    ]);
    events = (await getJson<AlertEvent[]>(`${serve.url}/api/alerts/events?limit=50`)).body.reverse();
  }, 60_000);

  afterAll(async () => {
    await serve?.stop();
    await discord?.stop();
    await hook?.stop();
  });

  it('fires once during the burst and recovers once after it, with the values the capture gives', () => {
    expect(events.map((e) => e.kind)).toEqual(['firing', 'recovered']);
    const [firing, recovered] = events;
    const burstStart = truth[DEFAULT_PLAN.burstFrom].tsMs;
    const burstEnd = truth[DEFAULT_PLAN.burstTo].tsMs;
    expect(firing.ts).toBeGreaterThan(burstStart);
    expect(firing.ts).toBeLessThan(burstEnd);
    expect(firing.value).toBeCloseTo(windowedInBps(firing.ts), 6);
    expect(firing.value).toBeGreaterThan(THRESHOLD);
    // The first second where the condition held forSec (1 s) after the average crossed.
    expect(windowedInBps(firing.ts - 1000)).toBeGreaterThan(THRESHOLD);
    expect(recovered.ts).toBeGreaterThanOrEqual(burstEnd);
    expect(recovered.value).toBeCloseTo(windowedInBps(recovered.ts), 6);
    expect(recovered.value).toBeLessThanOrEqual(RECOVERY);
  });

  it('carries the top talkers of the capture at the moment of each event', () => {
    for (const event of events) {
      expect(event.topHosts.map((h) => ({ address: h.address, bps: h.bps, pps: h.pps }))).toEqual(expectedHosts(event.ts));
      expect(event.topFlows.map((f) => ({ key: `${f.localAddress}:${f.localPort}>${f.remoteAddress}:${f.remotePort}`, bps: f.bps, pps: f.pps })))
        .toEqual(expectedFlows(event.ts));
    }
    const [firing] = events;
    expect(firing.topHosts.map((h) => h.address)).toEqual([LOCAL, MAIN_TALKER, SECOND_TALKER]);
    expect(firing.topFlows[0]).toMatchObject({ protocol: 'tcp', localAddress: LOCAL, localPort: 50000, remoteAddress: MAIN_TALKER, remotePort: 443 });
  });

  it('delivers each event once to Discord, in order, after honouring the 429 and retrying the 500', () => {
    const bodies = discord.received.map((r) => r.body as DiscordWebhookBody);
    expect(discord.received.map((r) => r.path)).toEqual(Array(4).fill('/api/webhooks/1/token'));
    // Three attempts of the firing (the same body each time), then the recovery.
    expect(bodies.map((b) => b.embeds[0].title)).toEqual(['[FIRING] Download burst', '[FIRING] Download burst', '[FIRING] Download burst', '[RECOVERED] Download burst']);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(discord.received[1].at - discord.received[0].at).toBeGreaterThanOrEqual(290);
    const firing = bodies[0].embeds[0];
    expect(firing.color).toBe(0xe03e2f);
    expect(firing.timestamp).toBe(new Date(events[0].ts).toISOString());
    const text = JSON.stringify(firing.fields);
    expect(text).toContain(MAIN_TALKER);
    expect(text).toContain(SECOND_TALKER);
    expect(bodies[3].embeds[0].color).toBe(0x2ead5b);
  });

  it('posts the documented JSON to the webhook, firing then recovery, with its header', () => {
    expect(hook.received).toHaveLength(2);
    const bodies = hook.received.map((r) => r.body as WebhookBody);
    expect(hook.received.every((r) => r.headers.authorization === 'Bearer hook-secret')).toBe(true);
    expect(bodies.map((b) => [b.schema, b.type, b.event.kind])).toEqual([
      ['netmon.alert.v1', 'firing', 'firing'],
      ['netmon.alert.v1', 'recovered', 'recovered'],
    ]);
    bodies.forEach((body, i) => {
      expect(body.event.id).toBe(events[i].id);
      expect(body.event.time).toBe(new Date(events[i].ts).toISOString());
      expect(body.event.value).toBe(events[i].value);
      expect(body.event.topHosts).toEqual(events[i].topHosts);
      expect(body.event.topFlows).toEqual(events[i].topFlows);
    });
  });

  it('reports channel health and the rule state over REST', async () => {
    const status = (await getJson<AlertChannelStatus[]>(`${serve.url}/api/alerts/channels/status`)).body;
    const byId = new Map(status.map((s) => [s.channelId, s]));
    expect(byId.get('ops-discord')).toMatchObject({ kind: 'discord', delivered: 2, failed: 0, attempts: 4, consecutiveFailures: 0, state: 'ok' });
    expect(byId.get('ops-discord')?.lastError).toMatch(/500/);
    expect(byId.get('hook')).toMatchObject({ kind: 'webhook', delivered: 2, failed: 0, attempts: 2, lastError: null });
    const rules = (await getJson<AlertRuleState[]>(`${serve.url}/api/alerts/rules`)).body;
    expect(rules.map((r) => [r.id, r.threshold, r.firing])).toEqual([['download-burst', THRESHOLD, false]]);
  });

  it('manages channels over REST and the WebSocket, with field errors and a test send', async () => {
    const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await getJson<{ error: ApiError }>(`${serve.url}/api/alerts/channels`, json('POST', { kind: 'webhook', name: 'x', url: 'ftp://example.org/' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([{ path: 'url', message: 'must be an http:// or https:// URL, got ftp:' }]);

    const created = await getJson<AlertChannel>(`${serve.url}/api/alerts/channels`, json('POST', { id: 'second-hook', kind: 'webhook', name: 'Second', url: hook.url('/second') }));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: 'second-hook', kind: 'webhook', enabled: true, ratePerMinute: 30, burst: 5, headers: {} });

    const tested = await getJson<{ delivered: boolean; httpStatus: number | null; error: string | null }>(`${serve.url}/api/alerts/channels/second-hook/test`, { method: 'POST' });
    expect(tested.body).toEqual({ delivered: true, httpStatus: 204, error: null });
    const testBody = hook.received.at(-1);
    expect(testBody?.path).toBe('/second');
    expect((testBody?.body as WebhookBody).type).toBe('test');

    const renamed = await getJson<AlertChannel>(`${serve.url}/api/alerts/channels/second-hook`, json('PUT', { kind: 'webhook', name: 'Renamed', url: hook.url('/second') }));
    expect(renamed.body.name).toBe('Renamed');
    const inUse = await getJson<{ error: ApiError }>(`${serve.url}/api/alerts/channels/hook`, { method: 'DELETE' });
    expect(inUse.status).toBe(400);
    expect(inUse.body.error.message).toMatch(/used by 'Download burst'/);
    const missing = await getJson<{ error: ApiError }>(`${serve.url}/api/alerts/channels/nope/test`, { method: 'POST' });
    expect(missing.status).toBe(404);

    const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/ws`, ['netmon.v1', `netmon.token.${serve.token}`]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const ask = (id: number, channel: string, params: unknown) =>
      new Promise<WsServerMessage>((resolve) => {
        const onMessage = (data: WebSocket.RawData) => {
          const msg = JSON.parse(String(data)) as WsServerMessage;
          if (msg.type === 'response' && msg.id === id) {
            ws.off('message', onMessage);
            resolve(msg);
          }
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ type: 'request', id, channel, params }));
      });
    const deleted = await ask(1, 'alerts.channels.delete', { id: 'second-hook' });
    expect(deleted).toMatchObject({ type: 'response', result: { ok: true, value: { id: 'second-hook' } } });
    const listed = await ask(2, 'alerts.channels.list', {});
    expect(listed.type === 'response' && listed.result.ok ? (listed.result.value as AlertChannel[]).map((c) => c.id) : null).toEqual(['ops-discord', 'hook']);
    ws.close();
  });
});

describe('netmon serve with a bad alerts section', () => {
  it('refuses to start and names every bad field by its path', async () => {
    const config = path.join(dir, 'bad.yaml');
    fs.writeFileSync(config, [
      'alerts:',
      '  rules:',
      '    - name: Negative',
      '      metric: bps',
      '      threshold: -5',
      '    - name: Bad network',
      '      metric: latency',
      '      threshold: 1',
      '      scope: { kind: cidr, cidr: 10.1.2.3/8 }',
      '',
    ].join('\n'));
    const { code, stderr } = await runServeToExit(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'bad.sqlite'), '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/alerts\.rules\.0\.threshold: must be zero or more, got -5/);
    expect(stderr).toMatch(/alerts\.rules\.1\.metric: unknown metric "latency"/);
    expect(stderr).toMatch(/alerts\.rules\.1\.scope\.cidr: invalid CIDR/);
  });
});
