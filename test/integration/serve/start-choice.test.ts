/**
 * What capture runs is the person's choice, through real `netmon serve` processes: a finished
 * replay stays finished (nothing restarts on its own, the demo neither), and a live interface
 * started from the dashboard is remembered in the settings file and resumed at the next start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { Stats } from '../../../src-main/api/types/stats';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';
import type { ServeProcess } from '../../helpers/serve-process';

const FIXTURE = 'Dns.pcap';
const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${FIXTURE}.truth.json`), 'utf8')) as { packets: number; bytes: number };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-start-choice-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const post = <T>(url: string, body: unknown = {}) => getJson<T>(url, { method: 'POST', body: JSON.stringify(body) });
const status = async (serve: ServeProcess) => (await getJson<CaptureStatus>(`${serve.url}/api/capture/status`)).body;
const packets = (stats: Stats) => stats.interfaces.reduce((n, i) => n + i.in.packets + i.out.packets, 0);

async function finished(serve: ServeProcess, captureId: string): Promise<CaptureStatus> {
  return waitFor('the replay to finish', async () => {
    const s = await status(serve);
    return s.captureId === captureId && s.state === 'finished' ? s : undefined;
  });
}

describe('a capture file opened after Stop', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'open.sqlite'), '--replay-dir', FIXTURES]);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('stays finished with its numbers after the demo was stopped (POST /api/capture/start)', async () => {
    const demo = await post<CaptureStatus>(`${serve.url}/api/capture/demo`);
    expect(demo.status).toBe(200);
    expect(demo.body).toMatchObject({ demo: true, source: { kind: 'replay', speed: 1 } });
    expect((await post<CaptureStatus>(`${serve.url}/api/capture/stop`)).body).toMatchObject({ state: 'idle', demo: true });

    const started = await post<CaptureStatus>(`${serve.url}/api/capture/start`, { kind: 'replay', file: FIXTURE, speed: 0 });
    expect(started.status).toBe(200);
    expect(started.body.demo).toBe(false);
    const id = started.body.captureId ?? '';
    await finished(serve, id);
    // Long enough for anything that restarts on its own (the demo used to, a second after).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status(serve)).toMatchObject({ state: 'finished', captureId: id, demo: false, source: { kind: 'replay' } });
    expect(packets((await getJson<Stats>(`${serve.url}/api/stats`)).body)).toBe(truth.packets);
  });

  it('stays finished when it was uploaded as the dashboard does (POST /api/capture/upload)', async () => {
    const body = fs.readFileSync(path.join(FIXTURES, FIXTURE));
    const uploaded = await getJson<CaptureStatus>(`${serve.url}/api/capture/upload?name=${FIXTURE}&speed=0`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
    });
    expect(uploaded.status).toBe(200);
    const id = uploaded.body.captureId ?? '';
    const done = await finished(serve, id);
    expect(done.demo).toBe(false);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status(serve)).toMatchObject({ state: 'finished', captureId: id });
    expect(packets((await getJson<Stats>(`${serve.url}/api/stats`)).body)).toBe(truth.packets);
  });

  it('plays the demo once: it ends finished and does not loop', async () => {
    // The demo is a minute of traffic at real time; replaying the same file at full speed shows the same ending.
    const demo = await post<CaptureStatus>(`${serve.url}/api/capture/demo`);
    expect(demo.status).toBe(200);
    const file = demo.body.source?.kind === 'replay' ? demo.body.source.file : '';
    await post<CaptureStatus>(`${serve.url}/api/capture/stop`);
    // Starting the demo's file again (the top bar's Replay) is the demo still: its alerts stay here too.
    const again = await post<CaptureStatus>(`${serve.url}/api/capture/start`, { kind: 'replay', file, speed: 0 });
    expect(again.status).toBe(200);
    expect(again.body.demo).toBe(true);
    const id = again.body.captureId ?? '';
    await finished(serve, id);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status(serve)).toMatchObject({ state: 'finished', captureId: id, demo: true });
  });
});

describe('the interface a person chose', () => {
  const config = () => path.join(dir, 'config');
  const settingsFile = () => path.join(config(), 'netmon', 'settings.yaml');

  it('is written to the settings file serve reads, and resumed at the next start', async () => {
    const env = { XDG_CONFIG_HOME: config() };
    const first = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'remember.sqlite')], env);
    try {
      expect((await status(first)).state).toBe('idle');
      const started = await post<CaptureStatus>(`${first.url}/api/capture/start`, { kind: 'live', interfaces: ['lo'] });
      expect(started.status).toBe(200);
      await waitFor('the settings file', async () => (fs.existsSync(settingsFile()) && fs.readFileSync(settingsFile(), 'utf8').includes('lo') ? true : undefined));
    } finally {
      await first.stop();
    }
    expect(fs.statSync(settingsFile()).mode & 0o777).toBe(0o600);

    const second = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'remember.sqlite')], env);
    try {
      const running = await waitFor('the remembered capture', async () => {
        const s = await status(second);
        return s.state === 'running' ? s : undefined;
      });
      expect(running).toMatchObject({ source: { kind: 'live', interfaces: ['lo'] }, demo: false });
      const { body: settings } = await getJson<{ capture: { interfaces: string[] } }>(`${second.url}/api/settings`);
      expect(settings.capture.interfaces).toEqual(['lo']);
    } finally {
      await second.stop();
    }
  });

  it('gone at the next start: serve stays idle and says which one and what to do', async () => {
    const own = path.join(dir, 'gone-config');
    fs.mkdirSync(path.join(own, 'netmon'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(own, 'netmon', 'settings.yaml'), 'capture:\n  interfaces: [nmgone0]\n', { mode: 0o600 });
    const serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'gone.sqlite')], { XDG_CONFIG_HOME: own });
    try {
      const message = 'the interface nmgone0 chosen last time is not on this machine now: pick an interface on the Interfaces page';
      const idle = await waitFor('the message', async () => {
        const s = await status(serve);
        return s.error !== null ? s : undefined;
      });
      expect(idle).toMatchObject({ state: 'idle', captureId: null, error: message });
      await waitFor('the message on stderr', async () => (serve.stderr().includes(`netmon serve: ${message}`) ? true : undefined));
    } finally {
      await serve.stop();
    }
  });

  it('set by the environment is that run\'s only: a capture chosen then is not written into the settings file', async () => {
    const own = path.join(dir, 'env-config');
    const serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'env.sqlite')], { XDG_CONFIG_HOME: own, NETMON_CAPTURE_INTERFACES: 'nmother0' });
    try {
      await waitFor('the message', async () => ((await status(serve)).error?.includes('nmother0') === true ? true : undefined));
      const started = await post<CaptureStatus>(`${serve.url}/api/capture/start`, { kind: 'live', interfaces: ['lo'] });
      expect(started.status).toBe(200);
      await waitFor('the capture', async () => ((await status(serve)).state === 'running' ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      expect(fs.existsSync(path.join(own, 'netmon', 'settings.yaml'))).toBe(false);
    } finally {
      await serve.stop();
    }
  });
});
