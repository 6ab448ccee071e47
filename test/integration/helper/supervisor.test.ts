import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HelperStatus } from '../../../src-main/core/helper-supervisor';
import { HelperSupervisor } from '../../../src-main/core/helper-supervisor';
import { helperCli } from '../../helpers/helper-process';

let supervisor: HelperSupervisor | null = null;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = null;
});

function waitForStatus(s: HelperSupervisor, pred: (st: HelperStatus) => boolean, timeoutMs = 15_000): Promise<HelperStatus> {
  return new Promise((resolve, reject) => {
    if (pred(s.status())) return resolve(s.status());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`status never matched; last: ${JSON.stringify(s.status())}`));
    }, timeoutMs);
    const off = s.onStatus((st) => {
      if (pred(st)) {
        clearTimeout(timer);
        off();
        resolve(st);
      }
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('helper supervisor with a real helper process', () => {
  it('spawns the helper, restarts it after it is killed, and answers requests again', async () => {
    supervisor = new HelperSupervisor({ launch: { kind: 'spawn', entry: helperCli }, initialBackoffMs: 100 });
    const seen: string[] = [];
    supervisor.onStatus((st) => seen.push(st.state));
    await supervisor.start();
    const first = supervisor.status();
    expect(first).toMatchObject({ state: 'connected', mode: 'spawned', restarts: 0 });
    const firstPid = (await supervisor.request('status', {})).pid;
    expect(firstPid).toBe(first.pid);

    process.kill(firstPid, 'SIGKILL');
    const back = await waitForStatus(supervisor, (st) => st.state === 'connected' && st.pid !== firstPid);
    expect(back.restarts).toBe(1);
    expect(seen).toContain('restarting');
    const status = await supervisor.request('status', {});
    expect(status.pid).toBe(back.pid);
    expect(status.pid).not.toBe(firstPid);

    const pid = status.pid;
    await supervisor.stop();
    supervisor = null;
    expect(alive(pid)).toBe(false);
  });

  it('resumes a live capture session with the same id and settings after the helper is killed', async () => {
    supervisor = new HelperSupervisor({ launch: { kind: 'spawn', entry: helperCli }, initialBackoffMs: 100 });
    await supervisor.start();
    const port = 45000 + (process.pid % 1000);
    const sender = dgram.createSocket('udp4');
    const send = (n: number) => Promise.all(Array.from({ length: n }, () => new Promise((r) => sender.send(Buffer.alloc(100), port, '127.0.0.1', r))));
    const packetsBySession = new Map<string, number>();
    supervisor.on('rollup', (r, meta) => packetsBySession.set(meta.session ?? '', (packetsBySession.get(meta.session ?? '') ?? 0) + r.packets));
    const settings = { sessionId: 'live-lo', source: { kind: 'live' as const, interfaces: ['lo'] }, bpf: `udp port ${port}`, snaplen: 256 };
    const started = await supervisor.request('start', settings);
    expect(started).toMatchObject({ sessionId: 'live-lo', state: 'running' });

    const waitForPackets = async (atLeast: number) => {
      for (let i = 0; i < 40 && (packetsBySession.get('live-lo') ?? 0) < atLeast; i++) {
        await send(5);
        await new Promise((r) => setTimeout(r, 250));
      }
      return packetsBySession.get('live-lo') ?? 0;
    };
    expect(await waitForPackets(10)).toBeGreaterThanOrEqual(10);

    const firstPid = supervisor.status().pid as number;
    process.kill(firstPid, 'SIGKILL');
    await waitForStatus(supervisor, (st) => st.state === 'connected' && st.pid !== firstPid);
    const status = await supervisor.request('status', {});
    expect(status.sessions).toHaveLength(1);
    expect(status.sessions[0]).toMatchObject({ sessionId: 'live-lo', state: 'running', settings });
    expect(supervisor.status().sessions).toEqual(['live-lo']);

    packetsBySession.clear();
    expect(await waitForPackets(10)).toBeGreaterThanOrEqual(10);
    const after = await supervisor.request('stats', { sessionId: 'live-lo' });
    expect(after.session?.packets).toBeGreaterThanOrEqual(10);

    await supervisor.request('stop', { sessionId: 'live-lo' });
    expect(supervisor.status().sessions).toEqual([]);
    sender.close();
  });

  it('reports a helper that cannot start as down, with the reason', async () => {
    supervisor = new HelperSupervisor({ launch: { kind: 'spawn', entry: '/nonexistent/netmon-helper.js' }, readyTimeoutMs: 5000 });
    await expect(supervisor.start()).rejects.toThrow(/exited/);
    expect(supervisor.status().state).toBe('down');
    expect(supervisor.status().lastError).toMatch(/Cannot find module/);
  });

  it('gives up after a few failed restarts in a row and reports the helper down, instead of retrying forever', async () => {
    // A helper that starts once and fails every later start.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-supervisor-'));
    const entry = path.join(dir, 'helper-once.js');
    const marker = path.join(dir, 'started');
    fs.writeFileSync(entry, `const fs = require('fs');
if (fs.existsSync(${JSON.stringify(marker)})) { process.stderr.write('broken helper\\n'); process.exit(1); }
fs.writeFileSync(${JSON.stringify(marker)}, '');
require(${JSON.stringify(helperCli)}).runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });`);
    try {
      supervisor = new HelperSupervisor({ launch: { kind: 'spawn', entry }, initialBackoffMs: 20, maxBackoffMs: 40, maxFailedRestarts: 3 });
      await supervisor.start();
      const first = supervisor.status().pid!;
      process.kill(first, 'SIGKILL');
      const down = await waitForStatus(supervisor, (st) => st.state === 'down');
      expect(down.restarts).toBe(3);
      expect(down.lastError).toMatch(/failed 3 restarts in a row; last: .*broken helper/);
      await new Promise((r) => setTimeout(r, 300));
      expect(supervisor.status()).toMatchObject({ state: 'down', restarts: 3 });
      await expect(supervisor.request('status', {}, { timeoutMs: 500 })).rejects.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
