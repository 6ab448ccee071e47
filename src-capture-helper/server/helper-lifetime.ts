import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { killCaptureChildren } from '../live/capture-children';

/** How long after the shutdown starts the helper may still run before it ends its capture programs and exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 3000;
/** How often a helper spawned by the app checks that the app is still its parent. */
export const PARENT_CHECK_MS = 500;
/** Exit status of a shutdown that did not complete in order (deadline passed, a second signal). */
export const FORCED_EXIT_STATUS = 1;

export interface HelperLifetimeOptions {
  /** The orderly shutdown: stop the captures, close the server and its clients. */
  stop: () => Promise<void>;
  /** Hears why the helper stops ('info'), and why it did not wait for the orderly path ('warn'). */
  log: (level: 'info' | 'warn', message: string, fields: Record<string, string | number>) => void;
  deadlineMs?: number;
  /** Ends the process; tests of this module pass their own. */
  exit?: (status: number) => void;
}

/**
 * When and how the helper ends. The first request to stop (a signal, the
 * parent going away) starts the orderly shutdown and a watchdog; the
 * watchdog, if the process still runs at its deadline, or a second signal
 * ends the capture programs and exits at once.
 * Nothing the orderly path waits for (a client that never reads, a capture
 * program that does not end) can keep the helper running past the deadline.
 */
export class HelperLifetime {
  private reason: string | null = null;
  private parentTimer: NodeJS.Timeout | null = null;
  private parentPipe: Readable | null = null;
  private resolveDone: (status: number) => void = () => undefined;
  /** Resolves with 0 once the orderly shutdown completed. */
  readonly done = new Promise<number>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(private readonly options: HelperLifetimeOptions) {}

  get stopping(): boolean {
    return this.reason !== null;
  }

  /** Starts the orderly shutdown (once; later calls change nothing). */
  shutdown(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.stopWatchingParent();
    this.options.log('info', 'helper stopping', { reason });
    const deadlineMs = this.options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
    // Unreferenced: a process with nothing left to do ends without waiting for it. It stays armed once the orderly
    // path is done: whatever still keeps the process running then (a capture still opening) is not waited for either.
    setTimeout(() => this.force(`still running ${deadlineMs} ms after the shutdown (${reason}) began`), deadlineMs).unref();
    this.options.stop().then(
      () => this.resolveDone(0),
      (err: unknown) => this.force(`the shutdown failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** Ends the capture programs this process started, then the process, now. */
  force(why: string): void {
    const killed = killCaptureChildren();
    this.options.log('warn', 'helper forcing its exit', { why, captureProgramsKilled: killed });
    (this.options.exit ?? ((status: number) => process.exit(status)))(FORCED_EXIT_STATUS);
  }

  /** SIGTERM and SIGINT start the shutdown; another one while it runs forces the exit. */
  watchSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.stopping) this.force(`${signal} while stopping (${this.reason})`);
        else this.shutdown(signal);
      });
    }
  }

  /**
   * A helper spawned by the app ends with it: when its stdin (the app's pipe)
   * ends, and when it is no longer the child of the process that started it
   * (the pipe may outlive the app when another process holds its other end).
   */
  watchParent(stdin: Readable): void {
    this.parentPipe = stdin;
    stdin.once('end', () => this.shutdown('parent closed stdin'));
    stdin.once('close', () => this.shutdown('parent closed stdin'));
    stdin.resume();
    // Node reads the parent once, at start: a parent gone before this point is seen at the first check.
    const parent = process.ppid;
    this.parentTimer = setInterval(() => {
      if (!isParent(parent)) this.shutdown(`parent ${parent} exited`);
    }, PARENT_CHECK_MS);
    this.parentTimer.unref();
  }

  private stopWatchingParent(): void {
    if (this.parentTimer) clearInterval(this.parentTimer);
    this.parentTimer = null;
    // A pipe another process still holds open would keep the process running after the shutdown.
    this.parentPipe?.destroy();
    this.parentPipe = null;
  }
}

/** This process's parent now (process.ppid is what it was at start). */
function parentPid(): number {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      // Fields after the command name, which may hold spaces and parentheses: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) return ppid;
    } catch {
      // /proc not mounted: fall back to what Node read at start.
    }
  }
  return process.ppid;
}

function isParent(pid: number): boolean {
  if (process.platform === 'linux') return parentPid() === pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
