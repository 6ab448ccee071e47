/**
 * Figures every benchmark reports the same way: the middle of repeated runs, the time one call takes, rounding, and
 * the CPU time a process has used.
 */
import fs from 'node:fs';

/** The middle value; for an even count, the mean of the two middle values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Wall milliseconds one call of `run` takes, by the monotonic clock. */
export function ms(run: () => void): number {
  const t = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** `x` to `digits` decimals, for figures printed and saved. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Measures how long the event loop is held: timers due every `everyMs`, and the longest wait between two of them.
 * `stop()` ends the watch and returns that longest stretch, ms.
 */
export function watchEventLoopStalls(everyMs: number): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(ticker);
      return longest;
    },
  };
}

/** CPU time (user + system) a process has used, in clock ticks (100 a second on Linux), from /proc/PID/stat. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
