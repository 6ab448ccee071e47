import type { SpawnSyncReturns } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { median, round } from './stats';

/** What `CommandTimer` measured of one command. */
export interface Timed {
  ok: boolean;
  /** Best wall time. */
  bestSeconds: number;
  medianSeconds: number;
  runs: number;
  /** Best CPU time (user + sys, children included). */
  bestCpuSeconds: number;
  bestUserSeconds: number;
  bestSysSeconds: number;
  /** From the best wall time. */
  packetsPerSecond: number;
  /** From the best CPU time. */
  packetsPerCpuSecond: number;
  megabytesPerSecond: number;
  peakRssMB?: number;
  error?: string;
}

/**
 * Times one command under GNU time, run by run: best and median wall time,
 * best CPU time (user + sys) and the largest peak RSS. Two commands being
 * compared take turns, so that a busy spell of a shared machine falls on both.
 */
export class CommandTimer {
  private readonly walls: number[] = [];
  private bestCpu = Infinity;
  private bestUser = 0;
  private bestSys = 0;
  private peakKB = 0;
  private error: string | undefined;

  constructor(
    private readonly cmd: string,
    private readonly args: string[],
  ) {}

  run(): void {
    if (this.error !== undefined) return;
    // Output goes to /dev/null, as tcpdump's does: a pipe read by this process would be part of the time.
    const devNull = fs.openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    let res: SpawnSyncReturns<string>;
    try {
      res = spawnSync('/usr/bin/time', ['-f', 'netmon-bench maxrss=%M user=%U sys=%S', this.cmd, ...this.args], { encoding: 'utf8', stdio: ['ignore', devNull, 'pipe'], maxBuffer: 16 << 20 });
    } finally {
      fs.closeSync(devNull);
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = /netmon-bench maxrss=(\d+) user=([\d.]+) sys=([\d.]+)/.exec(res.stderr ?? '');
    if (res.status !== 0 || res.error || !m) {
      const why = res.error?.message ?? (res.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('netmon-bench ')).slice(-3).join(' | ');
      this.error = `exit ${res.status}: ${why}`;
      return;
    }
    this.walls.push(s);
    const user = Number(m[2]);
    const sys = Number(m[3]);
    if (user + sys < this.bestCpu) {
      this.bestCpu = user + sys;
      this.bestUser = user;
      this.bestSys = sys;
    }
    this.peakKB = Math.max(this.peakKB, Number(m[1]));
  }

  result(packets: number, fileBytes: number): Timed {
    if (this.error !== undefined || this.walls.length === 0) {
      return { ok: false, bestSeconds: 0, medianSeconds: 0, runs: 0, bestCpuSeconds: 0, bestUserSeconds: 0, bestSysSeconds: 0, packetsPerSecond: 0, packetsPerCpuSecond: 0, megabytesPerSecond: 0, error: this.error ?? 'not run' };
    }
    const walls = [...this.walls].sort((x, y) => x - y);
    const best = walls[0];
    return {
      ok: true,
      bestSeconds: round(best, 3),
      medianSeconds: round(median(walls), 3),
      runs: walls.length,
      bestCpuSeconds: round(this.bestCpu, 2),
      bestUserSeconds: this.bestUser,
      bestSysSeconds: this.bestSys,
      packetsPerSecond: Math.round(packets / best),
      packetsPerCpuSecond: Math.round(packets / Math.max(this.bestCpu, 0.01)),
      megabytesPerSecond: round(fileBytes / 1e6 / best, 1),
      peakRssMB: round(this.peakKB / 1024, 1),
    };
  }
}
