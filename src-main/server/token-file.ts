import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../core/app-runtime';
import { makePrivateDir } from '../core/private-files';

/** A token for one run of `netmon serve`: 32 characters of A-Z a-z 0-9 - _ (192 random bits). */
export function makeToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Where `netmon serve` on `port` keeps its token: $XDG_RUNTIME_DIR/netmon, else the data directory. */
export function tokenFilePath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  const dir = runtime !== undefined && runtime !== '' && path.isAbsolute(runtime) ? path.join(runtime, 'netmon') : defaultDataDir();
  return path.join(dir, `serve-${port}.token`);
}

/** Writes the token for the user's other programs (curl, scripts): a fresh file, mode 0600, in a 0700 directory. */
export function writeTokenFile(file: string, token: string): void {
  makePrivateDir(path.dirname(file));
  /* eslint-disable no-restricted-syntax -- written once, at start, before the token is served */
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  /* eslint-enable no-restricted-syntax */
}
