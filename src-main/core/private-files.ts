import fs from 'node:fs';

/**
 * History, settings, uploads and tokens are readable by their owner only: directories 0700,
 * files 0600. Files and directories made by an older version with looser modes are tightened
 * when they belong to this user; anything else is left as its owner made it.
 * Synchronous: the stores and the token file are made private as they open, at start.
 */
/* eslint-disable no-restricted-syntax -- at start only (see above) */

/** Creates `dir` and its missing parents with mode 0700. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Takes group and other permissions away from `target` if it exists and belongs to this user. */
export function keepPrivate(target: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    return;
  }
  if (stat.uid === process.geteuid?.() && (stat.mode & 0o077) !== 0) fs.chmodSync(target, stat.mode & 0o700);
}

/** Creates `file` empty with mode 0600 if it does not exist, and tightens it if it does. */
export function touchPrivate(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  keepPrivate(file);
}
/* eslint-enable no-restricted-syntax */
