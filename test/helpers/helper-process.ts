import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnInGroup } from './process-groups';
import { HelperClient } from '../../src-main/core/helper-client';
import { newToken } from '../../src-capture-helper/protocol/token';

export const repoRoot = path.resolve(__dirname, '../..');
export const helperCli = path.join(repoRoot, 'dist/src-capture-helper/cli.js');
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/pcap');

export interface RunningHelper {
  child: ChildProcess;
  socketPath: string;
  /** A private directory for the test's files, removed by `stop`. */
  dir: string;
  token: string;
  stderr: () => string;
  /** Resolves with the exit code once the helper has exited (null after a signal). */
  exited: Promise<number | null>;
  /** Ends the helper (closes its stdin, or SIGTERM for one with a token file) and removes what startHelper made. */
  stop: () => Promise<void>;
}

export interface StartHelperOptions {
  /** Runs it through another command, e.g. `['ip', 'netns', 'exec', NS]` to capture inside a test namespace. */
  prefix?: string[];
  /** The socket to listen on (default: one in `dir`). */
  socketPath?: string;
  /** As an installed service runs: the token is read from this file (the helper makes it when missing), not stdin. */
  tokenFile?: string;
  /** Variables added to this process's environment for the helper (e.g. NETMON_CAPTURE_PROGRAM). */
  env?: Record<string, string>;
}

/** The helper exited before it was listening. */
export class HelperExited extends Error {
  constructor(readonly code: number | null, readonly stderr: string) {
    super(`helper exited with ${code}: ${stderr}`);
  }
}

/**
 * Starts the built helper as a real process in daemon mode, token on stdin
 * (or from `tokenFile`); resolves when it is listening, rejects with
 * HelperExited if it exits first.
 */
export async function startHelper(extraArgs: string[] = [], options: StartHelperOptions = {}): Promise<RunningHelper> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-helper-test-'));
  const socketPath = options.socketPath ?? path.join(dir, 'sock', 'helper.sock');
  const tokenArgs = options.tokenFile === undefined ? [] : ['--token-file', options.tokenFile];
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, helperCli, 'helper', '--socket', socketPath, ...tokenArgs, ...extraArgs];
  const child = spawnInGroup(command, args, {
    stdio: [options.tokenFile === undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  const stdinToken = options.tokenFile === undefined ? newToken() : null;
  if (stdinToken !== null) child.stdin!.write(`${stdinToken}\n`);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`helper not listening within 20 s: ${stderr}`)), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('"ready":true')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new HelperExited(code, stderr));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    removeDir();
    throw err;
  }
  return {
    child,
    socketPath,
    dir,
    token: stdinToken ?? fs.readFileSync(options.tokenFile!, 'utf8').trim(),
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // A helper spawned by the app ends when its stdin closes; a service one on SIGTERM.
        if (child.stdin !== null) child.stdin.end();
        else child.kill('SIGTERM');
        await exited;
      }
      removeDir();
    },
  };
}

export interface HelperWithClient {
  helper: RunningHelper;
  /** Connected with the helper's token, as main's core connects. */
  client: HelperClient;
  /** Closes the client, then stops the helper. */
  stop: () => Promise<void>;
}

/** Starts the built helper (see startHelper) and connects a client to it. */
export async function startHelperWithClient(extraArgs: string[] = [], options: StartHelperOptions = {}): Promise<HelperWithClient> {
  const helper = await startHelper(extraArgs, options);
  let client: HelperClient;
  try {
    client = await HelperClient.connect({ socketPath: helper.socketPath, token: helper.token });
  } catch (err) {
    await helper.stop();
    throw err;
  }
  return {
    helper,
    client,
    stop: async () => {
      client.close();
      await helper.stop();
    },
  };
}
