import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { spawnInGroup, stopChild } from './process-groups';
import { CLI } from './serve-process';

export interface ProbeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM (SIGKILL 15 s later if it is still running) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartProbeOptions {
  /** Added to this process's environment (NETMON_LOG_LEVEL is `warn` unless given). */
  env?: Record<string, string>;
  /** Starts the process instead of spawning it here, e.g. inside a test namespace:
   *  `(command, args, options) => pair.spawn(pair.nsB, command, args, options)`. */
  spawnWith?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
}

/**
 * Runs `netmon probe ARGS` from the build as a real process, in a process group of its own, with stdout and stderr
 * piped and kept. Returns at once: a probe may be started before its NATS server, so the caller waits for what
 * it needs (`capturing on`, `waiting for NATS`).
 */
export function startProbe(args: string[], options: StartProbeOptions = {}): ProbeProcess {
  const child = (options.spawnWith ?? spawnInGroup)(process.execPath, [CLI, 'probe', ...args], {
    env: { ...process.env, NETMON_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: () => stopChild(child, exited),
  };
}
