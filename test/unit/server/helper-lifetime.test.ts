import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { trackCaptureChild } from '../../../src-capture-helper/live/capture-children';
import { FORCED_EXIT_STATUS, HelperLifetime } from '../../../src-capture-helper/server/helper-lifetime';

const DEADLINE_MS = 200;

function lifetime(stop: () => Promise<void>): { lifetime: HelperLifetime; exits: number[]; logs: string[] } {
  const exits: number[] = [];
  const logs: string[] = [];
  const l = new HelperLifetime({ stop, deadlineMs: DEADLINE_MS, log: (level, message) => logs.push(`${level} ${message}`), exit: (status) => exits.push(status) });
  return { lifetime: l, exits, logs };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('the helper lifetime', () => {
  it('resolves with 0 once the orderly shutdown completes; a process still running at the deadline is ended anyway', async () => {
    const { lifetime: l, exits, logs } = lifetime(() => sleep(20));
    l.shutdown('test');
    expect(await l.done).toBe(0);
    expect(exits).toEqual([]);
    expect(logs).toEqual(['info helper stopping']);
    // This test's process does not exit when done resolves, as a helper with a capture still opening would not.
    await sleep(DEADLINE_MS + 100);
    expect(exits).toEqual([FORCED_EXIT_STATUS]);
  });

  it('kills the capture programs and exits when the orderly shutdown outlasts the deadline', async () => {
    const program = trackCaptureChild(spawn('sleep', ['30'], { stdio: 'ignore' }));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => program.once('exit', (_code, signal) => resolve(signal)));
    const { lifetime: l, exits, logs } = lifetime(() => new Promise<void>(() => undefined));
    l.shutdown('test');
    l.shutdown('again');
    await sleep(DEADLINE_MS / 2);
    expect(exits).toEqual([]);
    expect(await exited).toBe('SIGKILL');
    expect(exits).toEqual([FORCED_EXIT_STATUS]);
    expect(logs).toEqual(['info helper stopping', 'warn helper forcing its exit']);
  });

  it('exits at once when the orderly shutdown fails', async () => {
    const { lifetime: l, exits } = lifetime(() => Promise.reject(new Error('closing failed')));
    l.shutdown('test');
    await sleep(10);
    expect(exits).toEqual([FORCED_EXIT_STATUS]);
  });
});
