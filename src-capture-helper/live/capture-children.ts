import type { ChildProcess } from 'node:child_process';

/**
 * The netmon-capture processes this process started and that still run, so
 * that a forced exit ends them first instead of leaving a capture behind.
 */
const running = new Set<ChildProcess>();

/** Remembers a capture program until it exits. */
export function trackCaptureChild(child: ChildProcess): ChildProcess {
  if (child.exitCode !== null || child.signalCode !== null) return child;
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills (SIGKILL) every capture program still running; returns how many were signalled. */
export function killCaptureChildren(): number {
  let killed = 0;
  for (const child of running) {
    if (child.kill('SIGKILL')) killed++;
  }
  running.clear();
  return killed;
}
