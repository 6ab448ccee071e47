import fs from 'node:fs';
import net from 'node:net';

export class SocketDirError extends Error {
  override readonly name = 'SocketDirError';
}

/**
 * Makes sure `dir` exists, is a real directory (not a symlink), belongs to
 * this user and is 0700. An existing directory owned by someone else is
 * refused rather than reused: another user could have planted it.
 */
export function ensurePrivateDir(dir: string): void {
  if (process.platform === 'win32') {
    fs.mkdirSync(dir, { recursive: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new SocketDirError(`${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new SocketDirError(`${dir} belongs to uid ${st.uid}, not to this user (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/**
 * Removes a socket file left behind by a helper that died, after checking
 * nobody answers on it. Throws when a live helper already listens there.
 */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  if (process.platform === 'win32') return;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new SocketDirError(`${socketPath} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new SocketDirError(`a helper is already listening on ${socketPath}`);
  fs.unlinkSync(socketPath);
}
