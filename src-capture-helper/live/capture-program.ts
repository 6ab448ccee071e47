import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Where netmon-capture is found and whether this process may use it. The
 * helper itself never holds capture rights: only the program does, either
 * the copy `netmon install` puts in /opt/netmon/bin (root:netmon 0750 with
 * cap_net_raw,cap_net_admin) or the one built beside the helper (which
 * captures when this process runs as root, or when a package gave it the
 * capabilities, as the deb does).
 */
export const INSTALL_PREFIX = '/opt/netmon';
export const CAPTURE_GROUP = 'netmon';
export const GRANT_COMMAND = 'sudo netmon install';
/** The wire protocol this helper reads (capture-program/wire.md). */
export const CAPTURE_PROTOCOL = 1;

export function installedProgramPath(prefix = INSTALL_PREFIX): string {
  return path.join(prefix, 'bin', 'netmon-capture');
}

/** A file of the packaged app that the asar archive holds unpacked (programs cannot run from inside it). */
function unpacked(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/**
 * dist/bin of this build: beside the compiled helper (dist/src-capture-helper),
 * or, under the test runner, dist/bin of the checkout the sources are in.
 */
export function bundledProgramDir(): string {
  const helperRoot = path.resolve(__dirname, '..');
  const candidates = [path.join(helperRoot, '..', 'bin'), path.join(helperRoot, '..', 'dist', 'bin')].map(unpacked);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'netmon-capture.version'))) ?? candidates[0];
}

export function bundledProgramPath(): string {
  return path.join(bundledProgramDir(), 'netmon-capture');
}

/** The version this build's program carries (package version + source digest), or null when it is not built. */
export function expectedProgramVersion(): string | null {
  try {
    return fs.readFileSync(path.join(bundledProgramDir(), 'netmon-capture.version'), 'utf8').trim();
  } catch {
    return null;
  }
}

const versionCache = new Map<string, string | null>();

/** What `PROGRAM --version` says (cached per file identity), or null when it cannot run. */
export function programVersion(file: string): string | null {
  let key: string;
  try {
    const st = fs.statSync(file);
    key = `${file}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
  const cached = versionCache.get(key);
  if (cached !== undefined) return cached;
  let version: string | null = null;
  try {
    const out = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    version = /^netmon-capture (\S+) protocol (\d+)$/m.exec(out)?.[1] ?? null;
  } catch {
    version = null;
  }
  versionCache.set(key, version);
  return version;
}

export type ProgramSource = 'configured' | 'installed' | 'bundled';

/** Whether live capture can be attempted here, and with which program. */
export type CaptureRights =
  | { state: 'ready'; program: string; source: ProgramSource; message: null }
  | { state: 'stale'; program: string; source: 'installed'; installedVersion: string | null; expectedVersion: string; message: string }
  | { state: 'not-member'; program: string; source: 'installed'; message: string }
  | { state: 'missing'; program: null; source: null; message: string };

export interface RightsEnvironment {
  env?: NodeJS.ProcessEnv;
  prefix?: string;
}

/**
 * Picks the program: NETMON_CAPTURE_PROGRAM when set; else the installed one
 * when it exists (refused, with the command that fixes it, when this user may
 * not run it or it is older than this build); else the bundled one.
 */
export function captureRights(options: RightsEnvironment = {}): CaptureRights {
  const env = options.env ?? process.env;
  const configured = env.NETMON_CAPTURE_PROGRAM;
  if (configured) return { state: 'ready', program: path.resolve(configured), source: 'configured', message: null };
  const installed = installedProgramPath(options.prefix);
  const bundled = bundledProgramPath();
  const bundledExists = fs.existsSync(bundled);
  const root = process.geteuid?.() === 0;
  if (fs.existsSync(installed)) {
    let executable = true;
    try {
      fs.accessSync(installed, fs.constants.X_OK);
    } catch {
      executable = false;
    }
    if (!executable) {
      return {
        state: 'not-member',
        program: installed,
        source: 'installed',
        message: `capture rights belong to group '${groupOf(installed)}', which this process is not in: run '${GRANT_COMMAND}' to join it, then log out and back in`,
      };
    }
    const expected = expectedProgramVersion();
    const actual = programVersion(installed);
    if (expected === null || actual === expected) return { state: 'ready', program: installed, source: 'installed', message: null };
    // Root needs no installed copy: this build's own program serves it.
    if (root && bundledExists) return { state: 'ready', program: bundled, source: 'bundled', message: null };
    return {
      state: 'stale',
      program: installed,
      source: 'installed',
      installedVersion: actual,
      expectedVersion: expected,
      message: `capture rights need updating: the installed netmon-capture is ${actual ?? 'unreadable'}, this build needs ${expected}; run '${GRANT_COMMAND}'`,
    };
  }
  if (bundledExists) return { state: 'ready', program: bundled, source: 'bundled', message: null };
  return { state: 'missing', program: null, source: null, message: `netmon-capture is not built (${bundled}); run 'npm run build'` };
}

function groupOf(file: string): string {
  try {
    const gid = fs.statSync(file).gid;
    const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(gid));
    return line?.split(':')[0] ?? String(gid);
  } catch {
    return CAPTURE_GROUP;
  }
}
