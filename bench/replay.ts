/**
 * `netmon serve --replay FILE --speed X` timed from outside, as a user sees
 * it: wall time from the start of `serve` to the capture's `finished` state,
 * and the wall-clock gaps between the per-second rollups the WebSocket
 * pushes (the dashboard's heartbeat). Figures, not asserts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { round } from './stats';

export interface ReplayBenchResult {
  ok: boolean;
  speed: number;
  /** From spawning `serve` to the capture state `finished`. */
  wallSeconds: number;
  /** From the capture's start (state `running` seen) to `finished`. */
  replaySeconds: number;
  rollups: number;
  /** Largest wall-clock gap between two rollups, and from the start of the replay to the first one. */
  maxRollupGapSeconds: number;
  firstRollupAfterSeconds: number;
  /** CPU time (user + sys) of `serve` (main) and of its capture helper, from /proc when the replay finished. */
  mainCpuSeconds?: number;
  helperCpuSeconds?: number;
  /** Flows in the finished-flow log when the replay finished, and the flows main's full flow book could not hold
   *  (`/api/stats` `mainDrops.flowBook`: the helper's active flows beyond the book's bound when the replay ended, each once). */
  finishedFlows?: number;
  flowsDroppedByMain?: number;
  error?: string;
}

interface StatusBody {
  state: string;
}

interface StatsBody {
  finishedFlows: number;
  mainDrops: Record<string, number>;
}

const START_TIMEOUT_MS = 30_000;

/** Runs one replay to its end (or `timeoutMs`) and stops the server. */
export async function benchReplay(cli: string, file: string, speed: number, timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<ReplayBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bench-replay-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'serve', '--bind', '127.0.0.1:0', '--no-auth', '--replay', file, '--speed', String(speed), '--db', path.join(dir, 'history.sqlite')], {
    env: { ...process.env, ...extraEnv, NETMON_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const fail = (error: string): ReplayBenchResult => ({ ok: false, speed, wallSeconds: 0, replaySeconds: 0, rollups: 0, maxRollupGapSeconds: 0, firstRollupAfterSeconds: 0, error });
  let ws: WebSocket | undefined;
  try {
    const url = await waitUntil(START_TIMEOUT_MS, () => /listening on (http:\/\/\S+)/.exec(out)?.[1], () => child.exitCode !== null);
    if (url === undefined) return fail(`serve did not start: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    const ticks: number[] = [];
    ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, ['netmon.v1']);
    ws.on('message', (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data)) as { type: string; channel?: string };
      if (msg.type === 'event' && msg.channel === 'rollup.tick') ticks.push(performance.now());
    });
    let runningAt: number | undefined;
    let last: StatusBody | undefined;
    const deadline = t0 + timeoutMs;
    while (performance.now() < deadline && child.exitCode === null) {
      try {
        last = (await (await fetch(`${url}/api/capture/status`)).json()) as StatusBody;
      } catch {
        last = undefined;
      }
      if (last?.state === 'running' && runningAt === undefined) runningAt = performance.now();
      if (last?.state === 'finished' || last?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = performance.now();
    if (last?.state !== 'finished') return fail(`replay ${last?.state ?? 'status unknown'} after ${((end - t0) / 1000).toFixed(1)} s`);
    const cpu = child.pid === undefined ? undefined : processCpu(child.pid);
    const stats = (await (await fetch(`${url}/api/stats`)).json()) as StatsBody;
    const start = runningAt ?? t0;
    let maxGap = 0;
    for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
    return {
      ok: true,
      speed,
      wallSeconds: round((end - t0) / 1000, 3),
      replaySeconds: round((end - start) / 1000, 3),
      rollups: ticks.length,
      maxRollupGapSeconds: round(maxGap / 1000, 3),
      firstRollupAfterSeconds: ticks.length > 0 ? round((ticks[0] - start) / 1000, 3) : 0,
      ...(cpu ?? {}),
      finishedFlows: stats.finishedFlows,
      flowsDroppedByMain: stats.mainDrops.flowBook ?? 0,
    };
  } finally {
    ws?.terminate();
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Linux clock ticks per second, as /proc/PID/stat counts CPU time. */
const CLOCK_TICKS = 100;

function cpuOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds of `serve` and of its child processes (the capture helper), or nothing where /proc is not Linux's. */
function processCpu(pid: number): { mainCpuSeconds: number; helperCpuSeconds: number } | undefined {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return { mainCpuSeconds: round(cpuOf(pid), 3), helperCpuSeconds: round(children.reduce((sum, c) => sum + cpuOf(c), 0), 3) };
  } catch {
    return undefined;
  }
}

async function waitUntil<T>(timeoutMs: number, get: () => T | undefined, gaveUp: () => boolean): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined || gaveUp() || performance.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `node dist/bench/replay.js FILE [SPEED]`: one replay, its figures as JSON (for profiling runs). */
if (require.main === module) {
  const [file, speed = '0'] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/replay.js FILE [SPEED]\n');
    process.exitCode = 2;
  } else {
    void benchReplay(path.resolve(__dirname, '../src-main/cli/netmon.js'), path.resolve(file), Number(speed), 1_200_000).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  }
}
