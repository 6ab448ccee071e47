import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HelperClient } from '../../../src-main/core/helper-client';
import { captureRights } from '../../../src-capture-helper/live/capture-program';
import { OPEN_TIMEOUT_MS, programArgs } from '../../../src-capture-helper/live/program-source';
import { FORCED_EXIT_STATUS, PARENT_CHECK_MS, SHUTDOWN_DEADLINE_MS } from '../../../src-capture-helper/server/helper-lifetime';
import { helperCli, startHelper, type RunningHelper } from '../../helpers/helper-process';
import { spawnInGroup } from '../../helpers/process-groups';
import { REPO, tempDir, waitForOutput } from './live-traffic';

/**
 * The capture helper never outlives the process that started it, and its
 * shutdown is bounded: real helper processes, a real netmon-capture on lo
 * (root), and a capture program that never answers for the orderly path that
 * cannot complete.
 */
const asRoot = process.platform === 'linux' && process.geteuid?.() === 0;
/** Time beyond the helper's own bounds that a loaded, shared machine may add. */
const SLACK_MS = 3000;

/** Whether a process id still names a live process (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Live processes whose command line contains `text`. */
function processesWith(text: string): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => commandLine(pid).includes(text) && alive(pid));
}

/** Waits until none of `pids` is alive; resolves with the time it took, or null past `timeoutMs`. */
async function goneWithin(pids: () => number[], timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started <= timeoutMs) {
    if (pids().every((pid) => !alive(pid))) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** What a failed test left running (process id, a part of its command line), ended here so it cannot leak into later tests. */
const leftovers: Array<() => Array<[number, string]>> = [];
afterEach(() => {
  for (const list of leftovers.splice(0)) {
    for (const [pid, command] of list()) {
      // The command line guards against a process id that was reused since.
      if (!alive(pid) || !commandLine(pid).includes(command)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

/**
 * A parent that starts the helper as the app does (token on the helper's
 * stdin, a pipe from the parent), connects and starts a live capture on lo.
 * `mid-start`: it dies (SIGKILL) as soon as the start request is sent, while
 * the helper is still opening the capture. `pipe-held`: it hands the write
 * end of the helper's stdin to a `sleep` first, so that pipe outlives it,
 * and dies once the capture runs.
 */
const PARENT_JS = `
const { spawn } = require('node:child_process');
const { HelperClient } = require(process.argv[1]);
const [cli, socketPath, bpf, mode] = process.argv.slice(2);
const token = require('node:crypto').randomBytes(24).toString('base64url');
const helper = spawn(process.execPath, [cli, 'helper', '--socket', socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
helper.stdin.write(token + '\\n');
if (mode === 'pipe-held') {
  const holder = spawn('sleep', ['120'], { stdio: ['ignore', 'ignore', 'ignore', helper.stdin] });
  process.stdout.write('holder ' + holder.pid + '\\n');
}
helper.stdout.on('data', async (d) => {
  if (!String(d).includes('"ready":true')) return;
  process.stdout.write('helper ' + helper.pid + '\\n');
  const client = await HelperClient.connect({ socketPath, token });
  const started = client.request('start', { source: { kind: 'live', interfaces: ['lo'] }, bpf, snaplen: 256 });
  if (mode === 'pipe-held') await started;
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 0);
});
`;

/** Starts PARENT_JS; resolves with its process and the ids it printed once it is about to die. */
async function startParent(mode: 'mid-start' | 'pipe-held', bpf: string): Promise<{ parentExited: Promise<void>; helper: number; holder: number | null }> {
  const dir = tempDir('netmon-teardown-');
  const clientModule = path.join(REPO, 'dist/src-main/core/helper-client.js');
  if (!fs.existsSync(clientModule)) throw new Error(`${clientModule} is missing: run 'npm run build' first`);
  const parent: ChildProcess = spawnInGroup(process.execPath, ['-e', PARENT_JS, clientModule, helperCli, path.join(dir, 'sock', 'helper.sock'), bpf, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const parentExited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
  void parentExited.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = await waitForOutput(parent, /helper \d+\n/);
  const helper = Number(/helper (\d+)/.exec(out)?.[1]);
  const holder = mode === 'pipe-held' ? Number(/holder (\d+)/.exec(out)?.[1]) : null;
  leftovers.push(() => [[helper, 'cli.js helper'], ...(holder === null ? [] : [[holder, 'sleep'] as [number, string]]), ...processesWith(`--bpf ${bpf}`).map((pid): [number, string] => [pid, bpf])]);
  return { parentExited, helper, holder };
}

/** A unique capture filter: it names this test's netmon-capture among every process on the machine. */
function uniqueBpf(): string {
  return `udp port ${40000 + Math.floor(Math.random() * 20000)} and udp port ${1 + (process.pid % 60000)}`;
}

describe.skipIf(!asRoot)('a capture helper whose parent dies', () => {
  it('ends, with its capture program, when the parent is killed while a capture is starting', async () => {
    const bpf = uniqueBpf();
    const { parentExited, helper } = await startParent('mid-start', bpf);
    await parentExited;
    const took = await goneWithin(() => [helper, ...processesWith(`--bpf ${bpf}`)], SHUTDOWN_DEADLINE_MS + SLACK_MS);
    expect(took, `still running: helper ${alive(helper)}, capture ${processesWith(`--bpf ${bpf}`).join(' ')}`).not.toBeNull();
  });

  it('ends, with its capture program, when the parent is killed while its stdin pipe stays open elsewhere', async () => {
    const bpf = uniqueBpf();
    const { parentExited, helper, holder } = await startParent('pipe-held', bpf);
    await parentExited;
    expect(processesWith(`--bpf ${bpf}`)).toHaveLength(1);
    expect(alive(holder!)).toBe(true);
    const took = await goneWithin(() => [helper, ...processesWith(`--bpf ${bpf}`)], PARENT_CHECK_MS + SHUTDOWN_DEADLINE_MS + SLACK_MS);
    expect(took, `still running: helper ${alive(helper)}, capture ${processesWith(`--bpf ${bpf}`).join(' ')}`).not.toBeNull();
  });
});

/**
 * A capture program that never says its interface is open and ignores every
 * request to end but SIGKILL: a start of a live capture waits on it (up to
 * OPEN_TIMEOUT_MS), which the orderly shutdown cannot hurry.
 */
function unansweringProgram(dir: string): { program: string; pid: () => number | null } {
  const pidFile = path.join(dir, 'program.pid');
  const program = path.join(dir, 'silent-capture');
  fs.writeFileSync(program, `#!/bin/sh\ntrap '' TERM INT HUP\necho $$ > '${pidFile}'\nexec sleep 120\n`, { mode: 0o755 });
  return {
    program,
    pid: () => {
      try {
        return Number(fs.readFileSync(pidFile, 'utf8').trim()) || null;
      } catch {
        return null;
      }
    },
  };
}

/** A helper (spawned as the app spawns it) with a live start in progress on a program that never answers. */
async function helperWithStartPending(): Promise<{ helper: RunningHelper; program: number }> {
  const dir = tempDir('netmon-teardown-program-');
  const silent = unansweringProgram(dir);
  const helper = await startHelper([], { env: { NETMON_CAPTURE_PROGRAM: silent.program } });
  helper.exited.finally(() => fs.rmSync(dir, { recursive: true, force: true })).catch(() => undefined);
  let program: number | null = null;
  leftovers.push(() => [[helper.child.pid ?? 0, 'cli.js helper'], [program ?? 0, 'sleep']]);
  const client = await HelperClient.connect({ socketPath: helper.socketPath, token: helper.token });
  client.request('start', { source: { kind: 'live', interfaces: ['lo'] } }).catch(() => undefined);
  for (let i = 0; i < 100 && (program = silent.pid()) === null; i++) await new Promise((r) => setTimeout(r, 50));
  if (program === null) throw new Error(`the helper did not start the capture program: ${helper.stderr()}`);
  return { helper, program };
}

describe('the capture helper shutdown is bounded', () => {
  it('has a deadline shorter than the wait for a capture program to open', () => {
    // What follows shows the deadline only if the helper's own wait for the program would outlast it.
    expect(SHUTDOWN_DEADLINE_MS + SLACK_MS).toBeLessThan(OPEN_TIMEOUT_MS);
  });

  it('exits within its deadline, after killing its capture program, when the orderly shutdown cannot complete', async () => {
    const { helper, program } = await helperWithStartPending();
    const stopAt = Date.now();
    helper.child.stdin!.end(); // the app's goodbye
    const status = await Promise.race([helper.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), SHUTDOWN_DEADLINE_MS + SLACK_MS))]);
    const took = Date.now() - stopAt;
    expect(status, `helper after ${took} ms; stderr: ${helper.stderr()}`).toBe(FORCED_EXIT_STATUS);
    expect(took).toBeGreaterThanOrEqual(SHUTDOWN_DEADLINE_MS - 100);
    expect(helper.stderr()).toMatch(/still running \d+ ms after the shutdown \(parent closed stdin\) began/);
    expect(await goneWithin(() => [program], 1000)).not.toBeNull();
  });

  for (const [first, second] of [['stdin', 'SIGTERM'], ['SIGTERM', 'SIGTERM'], ['SIGINT', 'SIGINT']] as const) {
    it(`exits at once on ${second} while stopping after ${first === 'stdin' ? 'its stdin closed' : first}, after killing its capture program`, async () => {
      const { helper, program } = await helperWithStartPending();
      if (first === 'stdin') helper.child.stdin!.end();
      else helper.child.kill(first);
      await new Promise((r) => setTimeout(r, 300));
      // Still stopping: the orderly path waits on the program that does not answer.
      expect(alive(helper.child.pid!)).toBe(true);
      const signalAt = Date.now();
      helper.child.kill(second);
      const status = await Promise.race([helper.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 1500))]);
      expect(status, `helper ${Date.now() - signalAt} ms after ${second}; stderr: ${helper.stderr()}`).toBe(FORCED_EXIT_STATUS);
      expect(await goneWithin(() => [program], 1000)).not.toBeNull();
    });
  }
});

/** Mirrors STOP_DRAIN_MS in netmon-capture.c: how long a stopping program waits on a reader that takes nothing. */
const PROGRAM_STOP_DRAIN_MS = 2000;

describe.skipIf(!asRoot)('netmon-capture whose reader takes nothing', () => {
  it('ends within its bound when asked to stop, instead of waiting forever to write', async () => {
    const rights = captureRights({ env: {} });
    if (rights.state !== 'ready') throw new Error(rights.message);
    const port = 40000 + Math.floor(Math.random() * 20000);
    const child = spawnInGroup(rights.program, programArgs({ interfaces: ['lo'], bpf: `udp port ${port}`, snaplen: 256 }), { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    leftovers.push(() => [[child.pid ?? 0, 'netmon-capture']]);
    // Read up to OPENED, then nothing more: the reader is alive and its end of the pipe stays open.
    const stdout = child.stdout!;
    await new Promise<void>((resolve) => stdout.once('data', () => resolve()));
    stdout.pause();
    // Far more records than the pipe holds (each about 280 bytes at snaplen 256).
    const sender = dgram.createSocket('udp4');
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 500 }, () => new Promise((r) => sender.send(Buffer.alloc(200), port, '127.0.0.1', r))));
    }
    sender.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    const stopAt = Date.now();
    child.kill('SIGTERM');
    const status = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), PROGRAM_STOP_DRAIN_MS + SLACK_MS))]);
    expect(status, `netmon-capture ${Date.now() - stopAt} ms after SIGTERM`).toBe(1);
  });
});
