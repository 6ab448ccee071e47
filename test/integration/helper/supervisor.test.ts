import { afterEach, describe, expect, it } from 'vitest';
import type { HelperStatus } from '../../../src-main/core/helper-supervisor';
import { HelperSupervisor } from '../../../src-main/core/helper-supervisor';
import { helperCli } from './helper-process';

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

  it('reports a helper that cannot start as down, with the reason', async () => {
    supervisor = new HelperSupervisor({ launch: { kind: 'spawn', entry: '/nonexistent/netmon-helper.js' }, readyTimeoutMs: 5000 });
    await expect(supervisor.start()).rejects.toThrow(/exited/);
    expect(supervisor.status().state).toBe('down');
    expect(supervisor.status().lastError).toMatch(/Cannot find module/);
  });
});
