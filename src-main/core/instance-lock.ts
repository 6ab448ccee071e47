import fs from 'node:fs';

// Synchronous: the lock is taken at start, before anything is served, and released at exit (an 'exit'
// listener cannot wait for a promise).
/* eslint-disable no-restricted-syntax -- at start and exit only (see above) */

/** Another running Netmon holds the database: the message names it and the way out. */
export class InstanceLockedError extends Error {
  override readonly name = 'InstanceLockedError';
  constructor(readonly dbPath: string, readonly pid: number, readonly lockFile: string) {
    super(
      `another Netmon (pid ${pid}) is using the history database ${dbPath}; stop that one, ` +
        `or give this one a database of its own with --db PATH (lock file: ${lockFile})`,
    );
  }
}

interface LockRecord {
  pid: number;
  /** The process's start time (Linux: /proc/PID/stat field 22), so a reused pid is not taken for the holder. */
  started: string | null;
}

/** Start time of a process, or null where /proc is not there; undefined when no such process runs. */
function processStart(pid: number): string | null | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it runs, as another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function readRecord(file: string): LockRecord | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return null;
    return { pid: parsed.pid, started: typeof parsed.started === 'string' ? parsed.started : null };
  } catch {
    return null;
  }
}

/** The holder still runs: its pid is alive and, where known, started when the lock says. */
function holderRuns(record: LockRecord): boolean {
  const started = processStart(record.pid);
  if (started === undefined) return false;
  return record.started === null || started === null || started === record.started;
}

/**
 * One Netmon per history database: an exclusive lock file beside it (`DB.lock`, 0600) naming
 * the holder's pid. A lock whose process is gone (a crash, a kill -9) is stale and taken over.
 */
export class InstanceLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string, private readonly record: LockRecord) {
    // Released on any exit of the process, even one that skips the graceful path.
    process.once('exit', this.onExit);
  }

  static acquire(dbPath: string): InstanceLock {
    const file = `${dbPath}.lock`;
    const record: LockRecord = { pid: process.pid, started: processStart(process.pid) ?? null };
    // A stale lock is removed and the exclusive create tried again; a second loser names the winner.
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o600);
        try {
          fs.writeFileSync(fd, `${JSON.stringify(record)}\n`);
        } finally {
          fs.closeSync(fd);
        }
        return new InstanceLock(file, record);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readRecord(file);
      if (holder !== null && holderRuns(holder)) throw new InstanceLockedError(dbPath, holder.pid, file);
      if (holder === null && attempt === 0 && recentlyWritten(file)) {
        // The holder may be between its create and its write: look once more before calling it stale.
        sleepMs(200);
        continue;
      }
      if (attempt >= 2) throw new Error(`cannot take the lock ${file}: it keeps changing`);
      fs.rmSync(file, { force: true });
    }
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    const current = readRecord(this.file);
    if (current !== null && current.pid === this.record.pid && current.started === this.record.started) fs.rmSync(this.file, { force: true });
  }
}

function recentlyWritten(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < 2000;
  } catch {
    return false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
/* eslint-enable no-restricted-syntax */
