import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Processes tests start, each in a process group of its own, so that whatever a process starts in turn (serve's
 * helper, a shell's children) ends with it. Every group still running is killed when the test process exits, so a
 * test that fails, times out or forgets a process leaves nothing behind (a process left in a test namespace keeps
 * the namespace alive).
 */
const running = new Set<ChildProcess>();

/** `spawn` in a new process group, killed at exit if still running. */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills a child's whole process group unless the child has ended (its id may then belong to someone else). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Ended in the meantime.
  }
}

/** Sends SIGTERM (SIGKILL 15 s later if it is still running) and resolves with `exited`, the child's exit code. */
export function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    void exited.then(() => clearTimeout(kill));
  }
  return exited;
}

function killAll(): void {
  for (const child of running) killGroup(child);
}

// The test runner may end a worker with a signal instead of letting it exit.
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}
