import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus, RollupTick } from '../../../src-main/api/types';
import type { ServeProcess } from './serve-process';
import { getJson, startServe, waitFor } from './serve-process';

/** Children of a process, from /proc. */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name in parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

describe('netmon serve when the capture helper dies', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-restart-'));
    serve = await startServe(['--bind', '127.0.0.1:0', '--iface', 'lo', '--db', path.join(dir, 'h.sqlite')]);
  });
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('restarts the helper, resumes the same capture and the counters go on', async () => {
    const status = async () => (await getJson<CaptureStatus>(`${serve.url}/api/capture/status`)).body;
    const running = await waitFor('the live capture', async () => {
      const s = await status();
      return s.state === 'running' && s.helper === 'connected' ? s : undefined;
    });
    const helpers = childrenOf(serve.child.pid ?? -1);
    expect(helpers).toHaveLength(1);
    process.kill(helpers[0], 'SIGKILL');

    const resumed = await waitFor('the helper to come back', async () => {
      const s = await status();
      return s.helperRestarts >= 1 && s.helper === 'connected' && s.state === 'running' ? s : undefined;
    });
    expect(resumed.captureId).toBe(running.captureId);
    expect(childrenOf(serve.child.pid ?? -1)).not.toContain(helpers[0]);
    // New seconds arrive after the restart; our own requests on loopback are the traffic.
    const restartedAt = Date.now();
    const ticks = await waitFor('rollups after the restart', async () => {
      await fetch(`${serve.url}/healthz`);
      const recent = (await getJson<RollupTick[]>(`${serve.url}/api/rollups?seconds=10`)).body;
      const after = recent.filter((t) => t.tsMs >= restartedAt && t.interfaces.some((i) => i.in.packets + i.out.packets > 0));
      return after.length >= 2 ? after : undefined;
    });
    expect(ticks.every((t) => t.captureId === running.captureId)).toBe(true);
  });
});
