import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../../src-main/core/alerts/alert-service';
import type { DiscordWebhookBody } from '../../../src-main/core/notifiers/discord-payload';
import type { WebhookBody } from '../../../src-main/core/notifiers/webhook-payload';
import { flow, host, sample } from '../../unit/alerts/sample-builder';
import { TestServer, closedPort } from './test-server';

const MBIT = 1_000_000 / 8;
let discord: TestServer;
let hook: TestServer;
let service: AlertService;

beforeEach(async () => {
  discord = await TestServer.start();
  hook = await TestServer.start();
});
afterEach(async () => {
  service?.close();
  await discord.stop();
  await hook.stop();
});

describe('alert service end to end', () => {
  it('a burst in the samples reaches Discord and the webhook once each, firing then recovery, despite a 429 and a 500', async () => {
    const dead = await closedPort();
    service = new AlertService({ db: new Database(':memory:'), notifiers: { queue: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 3 } } });
    const applied = service.applySettings({
      channels: [
        { id: 'discord', kind: 'discord', name: 'Discord', url: discord.url('/api/webhooks/42/secret'), ratePerMinute: 600, burst: 5 },
        { id: 'hook', kind: 'webhook', name: 'Hook', url: hook.url('/netmon'), ratePerMinute: 600, burst: 5 },
        { id: 'dead', kind: 'webhook', name: 'Dead', url: `http://127.0.0.1:${dead}/`, ratePerMinute: 600, burst: 5 },
      ],
      rules: [{
        id: 'burst', name: 'Download burst', metric: 'bps', direction: 'in', threshold: '8M', recoveryThreshold: '2M',
        windowSec: 3, forSec: 1, cooldownSec: 60, severity: 'critical', topN: 3, channels: ['discord', 'hook', 'dead'],
      }],
    });
    expect(applied).toEqual({ ok: true, value: { rules: 1, channels: 3 } });
    discord.reply({ status: 429, body: JSON.stringify({ retry_after: 0.2 }) }, { status: 500 });

    // 5 quiet seconds, a 6-second burst from one host, then quiet again. With a 3 s window and
    // forSec 1 the average first passes 8 Mbit/s at s5 (fires s6) and is back under 2 Mbit/s at s13 (recovers s14).
    const talker = host('198.51.100.20', 24 * MBIT, MBIT / 2, 'downloads.example.org');
    const bigFlow = flow('tcp', '198.51.100.20', 443, 24 * MBIT, { name: 'downloads.example.org' });
    const small = host('192.0.2.50', MBIT / 4);
    const started = performance.now();
    for (let s = 0; s < 20; s += 1) {
      const burst = s >= 5 && s < 11;
      service.onSample(sample(s, {
        bytesIn: burst ? 24.25 * MBIT : MBIT / 4,
        hosts: burst ? [talker, small] : [small],
        flows: burst ? [bigFlow] : [],
      }));
    }
    expect(performance.now() - started).toBeLessThan(100); // feeding samples never waits on delivery

    await service.idle();
    const events = service.listEvents().reverse();
    expect(events.map((e) => `${e.kind}@${(e.ts - sample(0).ts) / 1000}`)).toEqual(['firing@6', 'recovered@14']);

    // Discord: 429 and 500 on the firing, then each event once, in order.
    const accepted = discord.received.slice(2).map((r) => (r.body as DiscordWebhookBody).embeds[0]);
    expect(accepted.map((e) => e.title)).toEqual(['[FIRING] Download burst', '[RECOVERED] Download burst']);
    expect(accepted[0].fields.find((f) => f.name.startsWith('downloads.example.org'))?.value).toBe('in 24 Mbit/s · out 500 kbit/s · 3063 packets/s');

    const bodies = hook.received.map((r) => r.body as WebhookBody);
    expect(bodies.map((b) => [b.type, b.event.id])).toEqual([['firing', events[0].id], ['recovered', events[1].id]]);
    expect(bodies[0].event.topHosts.map((h) => h.name ?? h.address)).toEqual(['downloads.example.org', '192.0.2.50']);
    expect(bodies[0].event.topFlows.map((f) => `${f.remoteAddress}:${f.remotePort}`)).toEqual(['198.51.100.20:443']);

    const status = Object.fromEntries(service.channelStatus().map((s) => [s.channelId, s]));
    expect(status.discord).toMatchObject({ state: 'ok', delivered: 2, attempts: 4 });
    expect(status.hook).toMatchObject({ state: 'ok', delivered: 2, attempts: 2 });
    expect(status.dead).toMatchObject({ state: 'failing', delivered: 0, failed: 2, attempts: 6 });
    expect(status.dead.lastError).toMatch(/ECONNREFUSED/);

    await expect(service.testChannel('hook')).resolves.toEqual({ ok: true, httpStatus: 204 });
    expect((hook.received[2].body as WebhookBody).type).toBe('test');
  });
});
