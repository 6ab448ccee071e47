/**
 * The demo's alerts never leave the machine: a real `netmon serve` with a webhook, a Discord and a
 * command channel from the settings file, real HTTP servers in the test as their targets. While the
 * demo plays, its events are kept and marked not sent and nothing is called; a real replay that
 * follows delivers its event.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src-main/api/types/alerts';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { WebhookBody } from '../../../src-main/core/notifiers/webhook-payload';
import { TestServer } from '../notifiers/test-server';
import type { ServeProcess } from '../../helpers/serve-process';
import { getJson, startServe, waitFor } from '../../helpers/serve-process';
import { writeBurstCapture } from './burst-capture';

let dir: string;
let serve: ServeProcess;
let hook: TestServer;
let discord: TestServer;
let commandOut: string;

const post = <T>(url: string, body: unknown = {}) => getJson<T>(url, { method: 'POST', body: JSON.stringify(body) });
const events = async () => (await getJson<AlertEvent[]>(`${serve.url}/api/alerts/events?limit=100`)).body;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-demo-alerts-'));
  const replays = path.join(dir, 'replays');
  fs.mkdirSync(replays);
  writeBurstCapture(path.join(replays, 'burst.pcap'));
  commandOut = path.join(dir, 'command-ran');
  hook = await TestServer.start();
  discord = await TestServer.start();
  const config = path.join(dir, 'netmon.json');
  const script = 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").appendFileSync(process.argv[1],s+"\\n"))';
  fs.writeFileSync(config, JSON.stringify({
    alerts: {
      channels: [
        { id: 'hook', kind: 'webhook', name: 'Pager hook', url: hook.url('/netmon') },
        { id: 'chat', kind: 'discord', name: 'Ops Discord', url: discord.url('/api/webhooks/1/token') },
        { id: 'script', kind: 'command', name: 'Script', argv: [process.execPath, '-e', script, commandOut] },
      ],
      // 10 kbit/s over 2 s: the demo (about 220 kbit/s) and the burst capture both cross it within seconds.
      rules: [{ id: 'traffic', name: 'Any traffic', metric: 'bps', direction: 'both', threshold: '10k', recoveryThreshold: '5k',
        windowSec: 2, forSec: 1, cooldownSec: 0, channels: ['hook', 'chat', 'script'] }],
    },
  }), { mode: 0o600 });
  serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'history.sqlite'), '--config', config, '--replay-dir', replays]);
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await hook?.stop();
  await discord?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('alerts while the demo plays', () => {
  it('are kept and shown as not sent, and no channel is called', async () => {
    expect((await getJson<CaptureStatus>(`${serve.url}/api/capture/status`)).body).toMatchObject({ state: 'idle', demo: false });
    const demo = await post<CaptureStatus>(`${serve.url}/api/capture/demo`);
    expect(demo.status).toBe(200);
    expect(demo.body.demo).toBe(true);
    const fired = await waitFor('a demo alert', async () => {
      const list = await events();
      return list.find((e) => e.kind === 'firing');
    }, 30_000);
    expect(fired).toMatchObject({ ruleId: 'traffic', notSent: 'demo' });
    // Delivery is immediate when it happens (no retry delay on a first attempt): give it time to show.
    await new Promise((r) => setTimeout(r, 3000));
    expect(hook.received).toEqual([]);
    expect(discord.received).toEqual([]);
    expect(fs.existsSync(commandOut)).toBe(false);
    expect((await events()).every((e) => e.notSent === 'demo')).toBe(true);
    expect((await post<CaptureStatus>(`${serve.url}/api/capture/stop`)).body.state).toBe('idle');
  }, 60_000);

  it('stop with the demo: a real replay afterwards sends its event to every channel', async () => {
    const before = (await events()).length;
    const started = await post<CaptureStatus>(`${serve.url}/api/capture/start`, { kind: 'replay', file: 'burst.pcap', speed: 0 });
    expect(started.status).toBe(200);
    expect(started.body.demo).toBe(false);
    await Promise.race([
      Promise.all([hook.answered(1), discord.answered(1)]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not delivered: hook ${hook.received.length}, discord ${discord.received.length}`)), 20_000)),
    ]);
    const firing = (await events()).slice(0, (await events()).length - before).find((e) => e.kind === 'firing');
    expect(firing).toBeDefined();
    expect(firing?.notSent).toBeUndefined();
    const body = hook.received[0].body as WebhookBody;
    expect(JSON.stringify(body)).toContain('Any traffic');
    await waitFor('the command channel', async () => (fs.existsSync(commandOut) ? true : undefined));
    expect(fs.readFileSync(commandOut, 'utf8')).toContain('Any traffic');
  }, 60_000);
});
