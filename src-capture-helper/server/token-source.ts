import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { newToken } from '../protocol/token';

const MAX_TOKEN_BYTES = 512;

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

/**
 * Reads the token from the first line of a stream (the helper's stdin, a pipe
 * from the process that spawned it: the token never appears in argv or the
 * environment, which other users can read).
 */
export function readTokenLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | null, token?: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (err) reject(err);
      else resolve(token as string);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) return done(null, checkToken(text.slice(0, nl).trim()));
      if (text.length > MAX_TOKEN_BYTES) done(new TokenError('token line too long'));
    };
    const onEnd = () => done(null, checkToken(text.trim()));
    const onError = (err: Error) => done(err);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}

/**
 * Token of a long-running (installed) helper, kept in a file only the user can
 * read, beside the socket. Created with a fresh token when it does not exist.
 */
export function readOrCreateTokenFile(file: string): string {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    const token = newToken();
    fs.writeSync(fd, `${token}\n`);
    fs.closeSync(fd);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(file);
  if (!st.isFile()) throw new TokenError(`${file} is not a regular file`);
  if (process.platform !== 'win32') {
    if ((st.mode & 0o077) !== 0) throw new TokenError(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); expected 600`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw new TokenError(`${file} belongs to uid ${st.uid}, not to this user`);
  }
  return checkToken(fs.readFileSync(file, 'utf8').trim());
}

function checkToken(token: string): string {
  if (token.length < 16 || token.length > MAX_TOKEN_BYTES) throw new TokenError('the token must be 16 to 512 characters');
  return token;
}
