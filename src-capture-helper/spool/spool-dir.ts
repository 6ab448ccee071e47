import fs from 'node:fs';
import path from 'node:path';
import { defaultSocketDir } from '../protocol/socket-path';

export class SpoolDirError extends Error {
  override readonly name = 'SpoolDirError';
}

const PREFIX = 'spool-';
const NAME = /^spool-(\d+)-[A-Za-z0-9]{6}$/;

/** The helper's own runtime directory (the one that holds its socket). */
export function defaultSpoolParent(): string {
  return defaultSocketDir();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates a fresh private directory for one spool under `parent` (which must
 * be this user's own, private directory): `spool-<pid>-XXXXXX`, mode 0700.
 * Spool directories left by helpers that are no longer running are removed
 * first, so a crash never leaks disk space for long.
 */
export function createSpoolDir(parent: string = defaultSpoolParent()): string {
  try {
    fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new SpoolDirError(`cannot create the spool parent directory ${parent}: ${(err as Error).message}`);
  }
  const st = fs.lstatSync(parent);
  if (!st.isDirectory()) throw new SpoolDirError(`${parent} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new SpoolDirError(`${parent} belongs to uid ${st.uid}, not to this user (uid ${uid})`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) throw new SpoolDirError(`${parent} is open to other users (mode ${(st.mode & 0o777).toString(8)})`);
  removeStaleSpoolDirs(parent);
  const dir = fs.mkdtempSync(path.join(parent, `${PREFIX}${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Removes `spool-<pid>-*` directories of dead processes; returns how many went. */
export function removeStaleSpoolDirs(parent: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    const full = path.join(parent, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    fs.rmSync(full, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
