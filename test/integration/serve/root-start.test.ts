import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import { getJson, startServe, waitFor, type ServeProcess } from '../../helpers/serve-process';

/**
 * `netmon serve --iface lo` started as root: netmon-capture opens lo while the
 * process is root, and the helper it starts afterwards reads that capture
 * (src-capture-helper/privileges/root-start.ts). No SUDO_UID: everything stays root.
 */
const asRoot = process.platform === 'linux' && process.geteuid?.() === 0;
const NO_INVOKER = { SUDO_UID: '', SUDO_GID: '', SUDO_USER: '', PKEXEC_UID: '' };

/** Parent pid and command line of a live process, or null when it is gone (or a zombie). */
function processInfo(pid: number): { ppid: number; cmd: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return null;
    return { ppid: Number(ppid), cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') };
  } catch {
    return null;
  }
}

/** Every live descendant of a process, with its command line. */
function descendantsOf(root: number): Map<number, string> {
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const pid of all) {
      const info = processInfo(pid);
      if (info && frontier.includes(info.ppid) && !found.has(pid)) {
        found.set(pid, info.cmd);
        next.push(pid);
      }
    }
    frontier = next;
  }
  return found;
}

async function captureRunning(serve: ServeProcess, timeoutMs: number): Promise<CaptureStatus> {
  let last: CaptureStatus | null = null;
  try {
    return await waitFor('the capture to run', async () => {
      last = (await getJson<CaptureStatus>(`${serve.url}/api/capture/status`)).body;
      return last.state === 'running' || last.state === 'error' ? last : undefined;
    }, timeoutMs);
  } catch {
    throw new Error(`the capture is still '${(last as CaptureStatus | null)?.state}' after ${timeoutMs} ms: ${JSON.stringify(last)}\nstderr: ${serve.stderr()}`);
  }
}

describe.skipIf(!asRoot)('netmon serve --iface started as root', () => {
  let dir: string;
  const started: ServeProcess[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-root-start-'));
  });
  afterEach(async () => {
    for (const s of started.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const serve = async (n: string): Promise<ServeProcess> => {
    const s = await startServe(['--iface', 'lo', '--bind', '127.0.0.1:0', '--no-auth', '--db', path.join(dir, n, 'history.sqlite')], NO_INVOKER);
    started.push(s);
    return s;
  };

  // The handed-over capture once went unread at random (its OPENED message read by serve itself), leaving
  // the capture 'starting' forever; several starts in a row caught that nearly every time.
  it('runs the handed-over capture on every one of several starts', async () => {
    for (let i = 0; i < 8; i++) {
      const s = await serve(`loop-${i}`);
      const status = await captureRunning(s, 8000);
      expect(status.state, `start ${i}: ${JSON.stringify(status)}`).toBe('running');
      expect(status.path).toBe('netmon-capture');
      expect(await s.stop()).toBe(0);
    }
  }, 120_000);

  // Killed while the capture runs, or as soon as serve listens (its helper still starting the capture).
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    for (const when of ['running', 'starting'] as const) {
      it(`leaves no helper or netmon-capture running once serve ends by ${signal} (capture ${when})`, async () => {
        const s = await serve(`kill-${signal}-${when}`);
        if (when === 'running') expect((await captureRunning(s, 8000)).state).toBe('running');
        // netmon-capture is started before serve listens; the helper may still be on its way.
        const children = await waitFor('the helper to start', async () => {
          const found = descendantsOf(s.child.pid!);
          return [...found.values()].some((c) => / helper /.test(c)) ? found : undefined;
        }, 8000);
        expect([...children.values()].some((c) => c.includes('netmon-capture'))).toBe(true);
        s.child.kill(signal);
        await new Promise((resolve) => s.child.once('exit', resolve));
        const alive = () => [...children].filter(([pid, cmd]) => processInfo(pid)?.cmd === cmd);
        const left = await waitFor('the helper and netmon-capture to end', async () => (alive().length === 0 ? [] : undefined), 15_000)
          .catch(() => alive());
        expect(left).toEqual([]);
      }, 40_000);
    }
  }
});
