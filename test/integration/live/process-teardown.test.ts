import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canCreateNamespaces, createVethPair } from '../../helpers/netns';
import { killGroup, spawnInGroup } from '../../helpers/process-groups';
import { waitForOutput } from './live-traffic';

/** Whether a process id still names a live process (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/** A shell that starts a long sleep in the background and prints its id: the process a test would not see. */
async function withGrandchild(start: (cmd: string, args: string[]) => ChildProcess): Promise<{ child: ChildProcess; grandchild: number }> {
  const child = start('sh', ['-c', 'sleep 60 & echo "grandchild $!"; wait']);
  const line = await waitForOutput(child, /grandchild \d+/);
  return { child, grandchild: Number(/grandchild (\d+)/.exec(line)?.[1]) };
}

describe('processes tests start end with their teardown', () => {
  it('killing a child started in its own group ends what it started too', async () => {
    const { child, grandchild } = await withGrandchild((cmd, args) => spawnInGroup(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(alive(grandchild)).toBe(true);
    killGroup(child);
    expect(await gone(grandchild)).toBe(true);
  });

  it.skipIf(!canCreateNamespaces())('destroying a veth pair ends the processes started in it that a test left running', async () => {
    const pair = createVethPair();
    const { child, grandchild } = await withGrandchild((cmd, args) => pair.spawn(pair.nsB, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    pair.destroy();
    expect(await gone(grandchild)).toBe(true);
    expect(await gone(child.pid ?? 0)).toBe(true);
  });
});
