import type { ValidationIssue } from '../api/types/results';
import type { InterfaceSecond } from '../api/types/rollups';
import type { CounterPoint, CounterQuery } from '../api/types/stats';

/** Longest series one query may return; a wider range needs a larger step. */
export const MAX_SERIES_POINTS = 10_000;

export function emptyPoint(tsMs: number): CounterPoint {
  return { tsMs, in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 }, kernelDrops: 0, helperDrops: 0 };
}

export function addInto(target: CounterPoint, from: Omit<CounterPoint, 'tsMs'>): void {
  target.in.bytes += from.in.bytes;
  target.in.packets += from.in.packets;
  target.out.bytes += from.out.bytes;
  target.out.packets += from.out.packets;
  target.kernelDrops += from.kernelDrops;
  target.helperDrops += from.helperDrops;
}

export function pointOfSecond(tsMs: number, s: InterfaceSecond): CounterPoint {
  return {
    tsMs,
    in: { ...s.in },
    out: { ...s.out },
    kernelDrops: s.kernelDrops,
    helperDrops: s.helperDrops,
  };
}

export function checkCounterQuery(q: CounterQuery): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!Number.isFinite(q.fromMs)) issues.push({ path: 'from', message: 'expected a time in milliseconds since the epoch' });
  if (!Number.isFinite(q.toMs)) issues.push({ path: 'to', message: 'expected a time in milliseconds since the epoch' });
  if (!Number.isInteger(q.stepSec) || q.stepSec < 1) issues.push({ path: 'step', message: 'expected a whole number of seconds >= 1' });
  if (issues.length === 0 && q.toMs <= q.fromMs) issues.push({ path: 'to', message: 'must be after from' });
  if (issues.length === 0 && (q.toMs - q.fromMs) / (q.stepSec * 1000) > MAX_SERIES_POINTS) {
    issues.push({ path: 'step', message: `range/step gives more than ${MAX_SERIES_POINTS} points; use a larger step` });
  }
  return issues;
}

/**
 * Sums stored points into buckets of `stepSec` aligned to the epoch, covering [fromMs, toMs),
 * with a zero point for every bucket without data, so a chart and a sum see the same thing.
 */
export function bucketise(points: Iterable<CounterPoint>, q: CounterQuery): CounterPoint[] {
  const stepMs = q.stepSec * 1000;
  const first = Math.floor(q.fromMs / stepMs) * stepMs;
  const out: CounterPoint[] = [];
  for (let t = first; t < q.toMs; t += stepMs) out.push(emptyPoint(t));
  for (const p of points) {
    if (p.tsMs < q.fromMs || p.tsMs >= q.toMs) continue;
    const index = Math.floor((p.tsMs - first) / stepMs);
    addInto(out[index], p);
  }
  return out;
}
