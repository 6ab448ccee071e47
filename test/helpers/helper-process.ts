import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperClient } from '../../src-main/core/helper-client';
import { newToken } from '../../src-capture-helper/protocol/token';

export const repoRoot = path.resolve(__dirname, '../..');
export const helperCli = path.join(repoRoot, 'dist/src-capture-helper/cli.js');
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/pcap');

export interface RunningHelper {
  child: ChildProcessWithoutNullStreams;
  socketPath: string;
  dir: string;
  token: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the built helper as a real process in daemon mode, token on stdin;
 * resolves when it is listening. `prefix` runs it through another command
 * (e.g. `ip netns exec NS` to capture inside a test namespace).
 */
export async function startHelper(extraArgs: string[] = [], prefix: string[] = []): Promise<RunningHelper> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-helper-test-'));
  const socketPath = path.join(dir, 'sock', 'helper.sock');
  const token = newToken();
  const argv = [process.execPath, helperCli, 'helper', '--socket', socketPath, ...extraArgs];
  const [command, ...args] = [...prefix, ...argv];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write(`${token}\n`);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`helper exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    socketPath,
    dir,
    token,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin.end();
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
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
export async function startHelperWithClient(extraArgs: string[] = [], prefix: string[] = []): Promise<HelperWithClient> {
  const helper = await startHelper(extraArgs, prefix);
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
