import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the helper listens by default: a socket inside a directory that only
 * the user can enter (the helper creates it 0700 and refuses one that is not
 * private). On Windows a named pipe is per-user by its name and ACL.
 */
export function defaultSocketDir(): string {
  if (process.platform === 'win32') return path.join(os.tmpdir(), 'netmon');
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'netmon');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `netmon-${uid}`);
}

export function socketPathIn(dir: string): string {
  if (process.platform === 'win32') {
    const tag = createHash('sha256').update(dir).digest('hex').slice(0, 16);
    return `\\\\.\\pipe\\netmon-${os.userInfo().username}-${tag}`;
  }
  return path.join(dir, 'helper.sock');
}

/** Token file of an installed helper service, beside its socket (0600). */
export function tokenPathIn(dir: string): string {
  return path.join(dir, 'token');
}
