import type { ChildProcess, SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killGroup, spawnInGroup, stopChild } from './process-groups';

/** The checkout: two levels up from test/helpers, three when this module runs compiled from dist/ (the benches). */
export const REPO = path.resolve(__dirname, path.basename(path.resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
export const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');

export interface ServeProcess {
  url: string;
  /** The token serve made at start (printed with the dashboard's address), or the one given with --token. */
  token: string | null;
  /** `Authorization: Bearer <token>`, for requests made as the user who started serve. */
  auth: Record<string, string>;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM (SIGKILL 15 s later if it is still running) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartServeOptions {
  /** Starts the process instead of node:child_process `spawn`, e.g. inside a test namespace:
   *  `(command, args, options) => pair.spawn(pair.nsB, command, args, options)`. */
  spawnWith?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
  /**
   * Whom serve runs as, when not as this process's user (root): `login` runs it as that user with the groups of a
   * fresh login (setpriv); `sudo` starts it as root with what `sudo netmon serve` gives (SUDO_UID, SUDO_GID,
   * SUDO_USER, root's HOME), so it opens the capture and then becomes that user. Its fresh settings directory is
   * the user's.
   */
  user?: { name: string; uid: number; gid: number; via: 'login' | 'sudo' };
  /** How long serve may take to print its address (default 20 s). */
  startTimeoutMs?: number;
}

/**
 * serve reads and writes $XDG_CONFIG_HOME/netmon/settings.yaml (a chosen interface is remembered there):
 * each process a test starts gets a fresh one unless the test gives its own, never the user's.
 */
function isolatedEnv(env: Record<string, string>, owner?: { uid: number; gid: number }): { env: Record<string, string>; cleanUp: () => void } {
  if (env.XDG_CONFIG_HOME !== undefined) return { env, cleanUp: () => undefined };
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-serve-config-'));
  if (owner !== undefined) fs.chownSync(config, owner.uid, owner.gid);
  return { env: { XDG_CONFIG_HOME: config, ...env }, cleanUp: () => fs.rmSync(config, { recursive: true, force: true }) };
}

/** Spawns `netmon serve ARGS` from the build, as `options` says, with stdout and stderr piped. */
function spawnServe(args: string[], env: Record<string, string>, options: StartServeOptions): { child: ChildProcess; cleanUp: () => void } {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  const user = options.user;
  const sudoEnv: Record<string, string> = user?.via === 'sudo'
    ? { SUDO_UID: String(user.uid), SUDO_GID: String(user.gid), SUDO_USER: user.name, HOME: os.userInfo().homedir }
    : {};
  const isolated = isolatedEnv({ ...sudoEnv, ...env }, user);
  const argv = [process.execPath, CLI, 'serve', ...args];
  const [command, ...rest] = user?.via === 'login' ? ['setpriv', `--reuid=${user.name}`, `--regid=${user.name}`, '--init-groups', '--', ...argv] : argv;
  const child = (options.spawnWith ?? spawnInGroup)(command, rest, {
    cwd: REPO,
    env: { ...process.env, ...isolated.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, cleanUp: isolated.cleanUp };
}

/** Runs `netmon serve` from the build as a real process; resolves once it prints its URL (and the token it made). */
export function startServe(args: string[], env: Record<string, string> = {}, options: StartServeOptions = {}): Promise<ServeProcess> {
  const { child, cleanUp } = spawnServe(args, { NETMON_LOG_LEVEL: 'warn', ...env }, options);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    cleanUp();
    resolve(code);
  }));
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Nobody will stop a serve that never answered: end it here.
      killGroup(child);
      reject(new Error(`serve did not start within ${startTimeoutMs / 1000} s\nstdout: ${out}\nstderr: ${err}`));
    }, startTimeoutMs);
    const given = args.indexOf('--token');
    const onData = () => {
      // Whole lines only: a chunk may end inside the address or the token.
      const match = /listening on (http:\/\/\S+).*\n/.exec(out);
      if (match === null) return;
      const printed = /#token=(\S+)\n/.exec(out);
      const token = given >= 0 ? args[given + 1] : printed?.[1] ?? null;
      if (token === null && !args.includes('--no-auth') && env.NETMON_SERVER_TOKEN === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      if (token !== null) tokens.set(match[1], token);
      resolve({
        url: match[1],
        token,
        auth: token === null ? {} : { Authorization: `Bearer ${token}` },
        child,
        stdout: () => out,
        stderr: () => err,
        stop: () => stopChild(child, exited),
      });
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Runs `netmon serve` expecting it to exit on its own. */
export function runServeToExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const { child, cleanUp } = spawnServe(args, env, {});
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      cleanUp();
      clearTimeout(timer);
      resolve({ code, stderr: err });
    });
  });
}

/** Tokens of the serve processes this test started, by their URL. */
const tokens = new Map<string, string>();

/**
 * Fetches JSON from a serve this test started, as the user who started it: with its token
 * (unless `init` sets an Authorization header) and, for a request with a body, the JSON type.
 */
export async function getJson<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  const token = [...tokens].find(([base]) => url.startsWith(`${base}/`))?.[1];
  if (token !== undefined && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`);
  if (init.method !== undefined && init.method !== 'GET' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: res.headers };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict parser of the Prometheus text exposition format 0.0.4: every line
 * must be a HELP, a TYPE or a sample; a family's TYPE comes before its samples
 * and its samples are contiguous; names, label syntax, escapes and values are
 * checked; a duplicate series is an error.
 */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: string | null = null;
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') throw new Error(`${where}: empty line`);
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta;
      if (closed.has(name)) throw new Error(`${where}: family ${name} appears twice`);
      if (current !== null && current !== name) closed.add(current);
      current = name;
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: bad type`);
        types.set(name, rest);
      } else {
        if (helps.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\(?![\\n])/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        helps.add(name);
      }
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/.exec(line);
    if (m === null) throw new Error(`${where}: not a sample`);
    const [, name, , labelText, valueText] = m;
    if (name !== current) throw new Error(`${where}: sample outside its family (TYPE first, samples contiguous)`);
    if (!types.has(name)) throw new Error(`${where}: sample before TYPE`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const lm = re.exec(labelText);
        if (lm === null) throw new Error(`${where}: bad label syntax at ${pos}`);
        if (lm[1] in labels) throw new Error(`${where}: duplicate label ${lm[1]}`);
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
        if (lm[3] === '' && pos < labelText.length) throw new Error(`${where}: trailing label text`);
      }
    }
    let value: number;
    if (valueText === 'NaN') value = Number.NaN;
    else if (valueText === '+Inf') value = Number.POSITIVE_INFINITY;
    else if (valueText === '-Inf') value = Number.NEGATIVE_INFINITY;
    else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(valueText)) value = Number(valueText);
    else throw new Error(`${where}: bad value ${valueText}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    if (types.get(name) === 'counter' && !(value >= 0)) throw new Error(`${where}: a counter must be >= 0`);
    samples.push({ name, labels, value });
  });
  return { samples, types };
}
