import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src-main/core/alerts/alert-event';
import { RuleEngine } from '../../../src-main/core/alerts/rule-engine';
import { validateChannelSpec, type AlertChannel } from '../../../src-main/core/notifiers/channel-config';
import type { DesktopNotification } from '../../../src-main/core/notifiers/desktop-notifier';
import { DISCORD_COLOURS, type DiscordWebhookBody } from '../../../src-main/core/notifiers/discord-payload';
import { NotifierHub } from '../../../src-main/core/notifiers/notifier-hub';
import type { WebhookBody } from '../../../src-main/core/notifiers/webhook-payload';
import { flow, host, rule, sample } from '../../unit/alerts/sample-builder';
import { TestServer, closedPort } from './test-server';

const MBIT = 1_000_000 / 8;
const FAST = { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 4 };

/** A firing and a recovery produced by the real engine on a burst from two hosts. */
function burstEvents(): AlertEvent[] {
  const engine = new RuleEngine();
  engine.setRules([rule({ name: 'Big download', metric: 'bps', direction: 'in', threshold: '10M', windowSec: 1, severity: 'critical' })]);
  const hosts = [host('203.0.113.5', 30 * MBIT, MBIT, 'video.example.com'), host('198.51.100.7', 5 * MBIT)];
  const flows = [flow('tcp', '203.0.113.5', 443, 30 * MBIT, { name: 'video.example.com' }), flow('udp', '198.51.100.7', 53, 5 * MBIT)];
  const drafts = [
    ...engine.evaluate(sample(0, { bytesIn: 35 * MBIT, hosts, flows })),
    ...engine.evaluate(sample(1, { bytesIn: 1 * MBIT })),
  ];
  return drafts.map((d, i) => ({ ...d, id: i + 1 }));
}

function channel(input: Record<string, unknown>): AlertChannel {
  const result = validateChannelSpec({ name: 'test channel', ratePerMinute: 6000, burst: 100, ...input });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { id: String(input.id ?? 'ch'), ...result.value };
}

let server: TestServer;
let hub: NotifierHub;

beforeEach(async () => {
  server = await TestServer.start();
});

afterEach(async () => {
  hub?.close();
  await server.stop();
});

describe('Discord channel', () => {
  it('delivers firing then recovery once each, in order, through a 429 (retry_after) and a 500', async () => {
    const [firing, recovered] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'discord', kind: 'discord', url: server.url('/api/webhooks/1/token') })]);
    server.reply(
      { status: 429, body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.4, global: false }) },
      { status: 500, body: '{"message": "Internal Server Error"}' },
    );

    const started = performance.now();
    hub.dispatch(firing, ['discord']);
    hub.dispatch(recovered, ['discord']);
    expect(performance.now() - started).toBeLessThan(50); // never blocks the caller

    await server.answered(4);
    await hub.idle();
    const bodies = server.received.map((r) => r.body as DiscordWebhookBody);
    expect(bodies.map((b) => b.embeds[0].title)).toEqual([
      '[FIRING] Big download', '[FIRING] Big download', '[FIRING] Big download', '[RECOVERED] Big download',
    ]);
    // The 429 asked for 0.4 s: the next request waited at least that long.
    expect(server.received[1].at - server.received[0].at).toBeGreaterThanOrEqual(390);

    const embed = bodies[2].embeds[0];
    expect(embed.color).toBe(DISCORD_COLOURS.critical);
    expect(embed.timestamp).toBe(new Date(firing.ts).toISOString());
    expect(embed.description).toBe(firing.summary);
    expect(embed.fields.slice(0, 3)).toEqual([
      { name: 'Value', value: '35 Mbit/s', inline: true },
      { name: 'Threshold', value: 'above 10 Mbit/s', inline: true },
      { name: 'Scope', value: 'all traffic', inline: true },
    ]);
    expect(embed.fields.slice(3).map((f) => [f.name, f.value])).toEqual([
      ['video.example.com (203.0.113.5)', 'in 30 Mbit/s · out 1 Mbit/s · 3875 packets/s'],
      ['198.51.100.7', 'in 5 Mbit/s · out 0 bit/s · 625 packets/s'],
      ['Top flows', 'TCP 203.0.113.5:443 video.example.com — in 30 Mbit/s · out 0 bit/s\nUDP 198.51.100.7:53 — in 5 Mbit/s · out 0 bit/s'],
    ]);
    expect(bodies[3].embeds[0].color).toBe(DISCORD_COLOURS.recovered);
    expect(bodies[0].allowed_mentions).toEqual({ parse: [] });

    const [status] = hub.status();
    expect(status).toMatchObject({ channelId: 'discord', state: 'ok', delivered: 2, failed: 0, attempts: 4, queued: 0 });
  });

  it('honours a Retry-After header when the body has no retry_after', async () => {
    const [firing] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'discord', kind: 'discord', url: server.url() })]);
    server.reply({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' });
    hub.dispatch(firing, ['discord']);
    await server.answered(2);
    expect(server.received[1].at - server.received[0].at).toBeGreaterThanOrEqual(990);
  });

  it('waits out an empty rate-limit bucket announced on a success', async () => {
    const [firing, recovered] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'discord', kind: 'discord', url: server.url() })]);
    server.reply({ status: 204, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.5' } });
    hub.dispatch(firing, ['discord']);
    hub.dispatch(recovered, ['discord']);
    await server.answered(2);
    expect(server.received[1].at - server.received[0].at).toBeGreaterThanOrEqual(490);
  });

  it('gives up at once on a 404 (deleted webhook) and reports the channel failing', async () => {
    const [firing] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'discord', kind: 'discord', url: server.url() })]);
    server.reply({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' });
    hub.dispatch(firing, ['discord']);
    await server.answered(1);
    await hub.idle();
    expect(hub.status()[0]).toMatchObject({
      state: 'failing', attempts: 1, failed: 1, delivered: 0,
      lastError: 'HTTP 404: {"message": "Unknown Webhook", "code": 10015}',
    });
  });
});

describe('generic JSON webhook', () => {
  it('posts the documented schema with the configured headers, in order', async () => {
    const [firing, recovered] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'hook', kind: 'webhook', url: server.url('/alerts'), headers: { Authorization: 'Bearer s3cret' } })]);
    hub.dispatch(firing, ['hook']);
    hub.dispatch(recovered, ['hook']);
    await server.answered(2);
    expect(server.received.map((r) => [r.path, r.headers.authorization, r.headers['content-type']])).toEqual([
      ['/alerts', 'Bearer s3cret', 'application/json'],
      ['/alerts', 'Bearer s3cret', 'application/json'],
    ]);
    const [a, b] = server.received.map((r) => r.body as WebhookBody);
    expect(a).toMatchObject({
      schema: 'netmon.alert.v1',
      type: 'firing',
      event: {
        id: 1, kind: 'firing', time: new Date(firing.ts).toISOString(), value: 35e6, unit: 'bit/s',
        rule: { id: 'r1', name: 'Big download', metric: 'bps', direction: 'in', scope: { kind: 'all' }, threshold: 10e6, severity: 'critical' },
      },
    });
    expect(a.event.topHosts[0]).toEqual({
      address: '203.0.113.5', name: 'video.example.com', bps: 31e6, pps: 3875, bpsIn: 30e6, bpsOut: 1e6, ppsIn: 3750, ppsOut: 125,
    });
    expect(a.event.topFlows.map((f) => `${f.protocol} ${f.remoteAddress}:${f.remotePort}`)).toEqual(['tcp 203.0.113.5:443', 'udp 198.51.100.7:53']);
    expect(b).toMatchObject({ type: 'recovered', event: { id: 2, kind: 'recovered', value: 1e6 } });
  });

  it('retries an unreachable webhook, then reports it failing, without blocking', async () => {
    const [firing] = burstEvents();
    const port = await closedPort();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'dead', kind: 'webhook', url: `http://127.0.0.1:${port}/hook` })]);
    const started = performance.now();
    hub.dispatch(firing, ['dead']);
    expect(performance.now() - started).toBeLessThan(50);
    expect(hub.status()[0]).toMatchObject({ queued: 1 });
    await hub.idle();
    const status = hub.status()[0];
    expect(status).toMatchObject({ state: 'failing', attempts: 4, failed: 1, delivered: 0, consecutiveFailures: 4, queued: 0 });
    expect(status.lastError).toMatch(/^network error: ECONNREFUSED .*\(gave up after 4 attempts\)$/);
  });

  it('times out a webhook that does not answer and retries it', async () => {
    const [firing] = burstEvents();
    hub = new NotifierHub({ httpTimeoutMs: 200, queue: { ...FAST, maxAttempts: 2 } });
    hub.setChannels([channel({ id: 'slow', kind: 'webhook', url: server.url() })]);
    server.reply({ status: 204, delayMs: 1000 }, { status: 204 });
    hub.dispatch(firing, ['slow']);
    await hub.idle();
    expect(server.received).toHaveLength(2);
    expect(hub.status()[0]).toMatchObject({ state: 'ok', delivered: 1, attempts: 2, lastError: 'timed out after 200 ms' });
  });

  it('bounds the queue and counts what it drops, keeping the newest', async () => {
    const [firing, recovered] = burstEvents();
    hub = new NotifierHub({ queue: { ...FAST, capacity: 2 } });
    hub.setChannels([channel({ id: 'hook', kind: 'webhook', url: server.url() })]);
    server.reply({ status: 204, delayMs: 300 });
    const events = [1, 2, 3, 4, 5].map((id) => ({ ...(id % 2 === 1 ? firing : recovered), id }));
    for (const e of events) hub.dispatch(e, ['hook']);
    await hub.idle();
    // #1 was in flight; #2..#5 competed for the second place and only #5 stayed.
    expect(server.received.map((r) => (r.body as WebhookBody).event.id)).toEqual([1, 5]);
    expect(hub.status()[0]).toMatchObject({ dropped: 3, delivered: 2 });
  });

  it('spaces requests by the channel rate limit', async () => {
    const [firing] = burstEvents();
    hub = new NotifierHub({ queue: FAST });
    hub.setChannels([channel({ id: 'hook', kind: 'webhook', url: server.url(), ratePerMinute: 300, burst: 1 })]);
    for (let id = 1; id <= 3; id += 1) hub.dispatch({ ...firing, id }, ['hook']);
    await server.answered(3);
    // 300 a minute = one every 200 ms, so the three arrive over about 400 ms (unlimited, within a few ms). Each
    // arrival is late by its own request latency, which a busy machine stretches: the span over both gaps leaves
    // room for that and still fails at once if the limit is not kept.
    expect(server.received[2].at - server.received[0].at).toBeGreaterThanOrEqual(300);
    for (const gap of [server.received[1].at - server.received[0].at, server.received[2].at - server.received[1].at]) {
      expect(gap).toBeGreaterThanOrEqual(100);
    }
  });
});

describe('send test', () => {
  it('reports success and failure as values and updates the health', async () => {
    hub = new NotifierHub({ queue: FAST });
    const port = await closedPort();
    hub.setChannels([
      channel({ id: 'ok', kind: 'discord', url: server.url() }),
      channel({ id: 'dead', kind: 'webhook', url: `http://127.0.0.1:${port}/` }),
    ]);
    await expect(hub.sendTest('ok')).resolves.toEqual({ ok: true, httpStatus: 204 });
    expect((server.received[0].body as DiscordWebhookBody).embeds[0].title).toBe('[TEST] Test notification');
    // A deleted webhook: the receiver's status and what it said.
    server.reply({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' });
    const gone = await hub.sendTest('ok');
    expect(gone).toMatchObject({ ok: false, httpStatus: 404 });
    expect(!gone.ok && gone.error).toMatch(/^HTTP 404.*Unknown Webhook/);
    const dead = await hub.sendTest('dead');
    expect(dead.ok).toBe(false);
    expect(dead.httpStatus).toBeUndefined();
    expect(!dead.ok && dead.error).toMatch(/ECONNREFUSED/);
    await expect(hub.sendTest('nope')).resolves.toEqual({ ok: false, error: "unknown channel 'nope'" });
    expect(hub.status().map((s) => [s.channelId, s.state])).toEqual([['ok', 'failing'], ['dead', 'failing']]);
  });
});

describe('command channel', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-cmd-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('runs argv without a shell and passes the JSON payload on stdin', async () => {
    const [firing] = burstEvents();
    const out = path.join(dir, 'payload.json');
    const script = 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").writeFileSync(process.argv[1],s))';
    hub = new NotifierHub({ queue: FAST });
    // A `;` or `$(...)` in an argument stays literal: no shell is involved.
    hub.setChannels([channel({ id: 'cmd', kind: 'command', argv: [process.execPath, '-e', script, out, '; touch pwned'] })]);
    hub.dispatch(firing, ['cmd']);
    await hub.idle();
    const body = JSON.parse(fs.readFileSync(out, 'utf8')) as WebhookBody;
    expect(body).toMatchObject({ schema: 'netmon.alert.v1', type: 'firing', event: { rule: { name: 'Big download' } } });
    expect(fs.existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(hub.status()[0]).toMatchObject({ state: 'ok', delivered: 1 });
  });

  it('kills a command that outlives its timeout and retries it; a missing program fails at once', async () => {
    const [firing] = burstEvents();
    hub = new NotifierHub({ queue: { ...FAST, maxAttempts: 2 } });
    hub.setChannels([
      channel({ id: 'slow', kind: 'command', argv: [process.execPath, '-e', 'setTimeout(()=>{},60000)'], timeoutSec: 1 }),
      channel({ id: 'missing', kind: 'command', argv: [path.join(dir, 'no-such-program')] }),
    ]);
    const started = performance.now();
    hub.dispatch(firing, ['slow', 'missing']);
    await hub.idle();
    expect(performance.now() - started).toBeLessThan(5000);
    const [slow, missing] = hub.status();
    expect(slow).toMatchObject({ state: 'failing', attempts: 2, lastError: 'timed out after 1000 ms (gave up after 2 attempts)' });
    expect(missing).toMatchObject({ state: 'failing', attempts: 1, failed: 1 });
    expect(missing.lastError).toBe(`cannot run '${path.join(dir, 'no-such-program')}': ENOENT`);
  });
});

describe('desktop channel', () => {
  it('hands the notification to the shell when there is one, and fails clearly when headless', async () => {
    const [firing, recovered] = burstEvents();
    const shown: DesktopNotification[] = [];
    hub = new NotifierHub({ desktop: { notify: (n) => { shown.push(n); } } });
    hub.setChannels([channel({ id: 'desk', kind: 'desktop' })]);
    hub.dispatch(firing, ['desk']);
    hub.dispatch(recovered, ['desk']);
    await hub.idle();
    expect(shown.map((n) => [n.title, n.kind, n.severity])).toEqual([
      ['Alert: Big download', 'firing', 'critical'],
      ['Recovered: Big download', 'recovered', 'critical'],
    ]);
    expect(shown[0].body).toContain('Top: video.example.com');

    const headless = new NotifierHub();
    headless.setChannels([channel({ id: 'desk', kind: 'desktop' })]);
    await expect(headless.sendTest('desk')).resolves.toEqual({
      ok: false, error: 'desktop notifications are not available here (headless mode)',
    });
    headless.close();
  });
});
