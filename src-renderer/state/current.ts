import type { ByteCount, CaptureStatus, Stats } from '../transport/api-types';
import { ringLast, ringToArray } from './ring';
import type { TrafficSample, TrafficState } from './traffic';

/** What the rate cards show: one second of one capture, and the totals up to and including that second. */
export interface CurrentTraffic {
  /** A capture is running (or starting): otherwise nothing flows and the rates are zero. */
  flowing: boolean;
  /** Start of the second the cards show (the latest shown), null before the first. */
  second: number | null;
  inBps: number;
  outBps: number;
  inPps: number;
  outPps: number;
  activeFlows: number;
  newFlows: number;
  totals: { in: ByteCount; out: ByteCount };
  drops: { kernel: number; helper: number };
}

export function isFlowing(capture: CaptureStatus | null): boolean {
  return capture?.state === 'running' || capture?.state === 'starting';
}

type Totals = Pick<CurrentTraffic, 'totals' | 'drops'>;

function addSample(t: Totals, s: TrafficSample, sign: 1 | -1): void {
  t.totals.in.bytes += (sign * s.inBps) / 8;
  t.totals.in.packets += sign * s.inPps;
  t.totals.out.bytes += (sign * s.outBps) / 8;
  t.totals.out.packets += sign * s.outPps;
  t.drops.kernel += sign * s.kernelDrops;
  t.drops.helper += sign * s.helperDrops;
}

/**
 * Totals since the capture started, up to the second on screen. Main's stats are exact even when the page opened
 * late, but they are polled and may include a second or two the page has not shown yet (or, paused, many): the
 * seconds between are taken from the samples this page has, so the totals and the rates are of the same second.
 * Without stats of this capture, what the page's seconds add up to.
 */
export function totalsAtShownSecond(shown: TrafficState, live: TrafficState, stats: Stats | null): Totals {
  const own: Totals = { totals: shown.totals, drops: shown.drops };
  if (!stats || stats.capture.captureId === null || stats.capture.captureId !== shown.captureId) return own;
  const sum: Totals = { totals: { in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 } }, drops: { kernel: 0, helper: 0 } };
  // Main's stats may still list the interfaces of an earlier capture: count those this capture's ticks named.
  for (const i of stats.interfaces) {
    if (!(i.iface in shown.sparklines)) continue;
    sum.totals.in.bytes += i.in.bytes;
    sum.totals.in.packets += i.in.packets;
    sum.totals.out.bytes += i.out.bytes;
    sum.totals.out.packets += i.out.packets;
    sum.drops.kernel += i.kernelDrops;
    sum.drops.helper += i.helperDrops;
  }
  const shownSecond = shown.latest?.tsMs ?? null;
  const statsSecond = stats.lastTickMs ?? null;
  if (shownSecond === null || statsSecond === null || shownSecond === statsSecond) return sum;
  if (statsSecond < shownSecond) {
    for (const s of ringToArray(shown.series)) if (s.ts > statsSecond && s.ts <= shownSecond) addSample(sum, s, 1);
    return sum;
  }
  // Stats are ahead (the page is paused, or the poll answered between two ticks): take back the seconds after the
  // one shown, when this page still has all of them; otherwise main's exact totals, a little ahead.
  const liveSamples = ringToArray(live.series);
  if (!liveSamples.some((x) => x.ts === shownSecond) || !liveSamples.some((x) => x.ts === statsSecond)) return sum;
  for (const x of liveSamples) if (x.ts > shownSecond && x.ts <= statsSecond) addSample(sum, x, -1);
  return sum;
}

export function currentTraffic(shown: TrafficState, live: TrafficState, stats: Stats | null, capture: CaptureStatus | null): CurrentTraffic {
  const flowing = isFlowing(capture);
  const last = ringLast(shown.series);
  const { totals, drops } = totalsAtShownSecond(shown, live, stats);
  return {
    flowing,
    second: last?.ts ?? null,
    inBps: flowing ? (last?.inBps ?? 0) : 0,
    outBps: flowing ? (last?.outBps ?? 0) : 0,
    inPps: flowing ? (last?.inPps ?? 0) : 0,
    outPps: flowing ? (last?.outPps ?? 0) : 0,
    activeFlows: flowing ? (shown.latest?.activeFlows ?? 0) : 0,
    newFlows: flowing ? (shown.latest?.newFlows ?? 0) : 0,
    totals,
    drops,
  };
}
