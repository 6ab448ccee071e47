import { geoText } from '../format/geo';
import type { ByteCount, FlowProto, RollupTick } from '../transport/api-types';
import { PROTOCOLS } from '../transport/api-types';
import type { Ring } from './ring';
import { createRing, ringPush } from './ring';

/** One second of traffic over the captured interfaces, as rates. */
export interface TrafficSample {
  ts: number;
  inBps: number;
  outBps: number;
  inPps: number;
  outPps: number;
  kernelDrops: number;
  helperDrops: number;
}

/** 60 minutes at 1 s resolution: the history the overview keeps without asking main. */
export const HISTORY_SECONDS = 3600;
export const SPARKLINE_SECONDS = 60;
/** Ticks kept whole, for top talkers over the last minute. */
export const RECENT_TICKS = 60;

export interface TrafficState {
  captureId: string | null;
  series: Ring<TrafficSample>;
  /** Bits per second per interface over the last minute, for the interface picker. */
  sparklines: Readonly<Record<string, Ring<number>>>;
  latest: RollupTick | null;
  recent: Ring<RollupTick>;
  /** Since the capture started. */
  totals: { in: ByteCount; out: ByteCount };
  protocols: Record<FlowProto, ByteCount>;
  drops: { kernel: number; helper: number };
  /** Ticks for a second already shown (late or repeated): ignored, and counted. */
  outOfOrder: number;
}

function zeroProtocols(): Record<FlowProto, ByteCount> {
  const out = {} as Record<FlowProto, ByteCount>;
  for (const p of PROTOCOLS) out[p] = { bytes: 0, packets: 0 };
  return out;
}

export function emptyTraffic(captureId: string | null = null, capacity = HISTORY_SECONDS): TrafficState {
  return {
    captureId,
    series: createRing<TrafficSample>(capacity),
    sparklines: {},
    latest: null,
    recent: createRing<RollupTick>(RECENT_TICKS),
    totals: { in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 } },
    protocols: zeroProtocols(),
    drops: { kernel: 0, helper: 0 },
    outOfOrder: 0,
  };
}

const add = (a: ByteCount, b: ByteCount | undefined): ByteCount =>
  b ? { bytes: a.bytes + b.bytes, packets: a.packets + b.packets } : a;

/** The tick summed over its interfaces, as rates. */
export function sampleOf(t: RollupTick): TrafficSample {
  const s: TrafficSample = { ts: t.tsMs, inBps: 0, outBps: 0, inPps: 0, outPps: 0, kernelDrops: 0, helperDrops: 0 };
  for (const i of t.interfaces) {
    s.inBps += i.in.bytes * 8;
    s.outBps += i.out.bytes * 8;
    s.inPps += i.in.packets;
    s.outPps += i.out.packets;
    s.kernelDrops += i.kernelDrops;
    s.helperDrops += i.helperDrops;
  }
  return s;
}

/** Folds one tick in. A tick of a new capture starts a fresh history, as Sniffnet drops batches of a stale one. */
export function applyTick(state: TrafficState, tick: RollupTick): TrafficState {
  const base = state.captureId === tick.captureId ? state : emptyTraffic(tick.captureId, state.series.capacity);
  if (base.latest && tick.tsMs <= base.latest.tsMs) return { ...base, outOfOrder: base.outOfOrder + 1 };
  const protocols = { ...base.protocols };
  for (const p of PROTOCOLS) protocols[p] = add(protocols[p], tick.protocols[p]);
  const totals = { ...base.totals };
  const drops = { ...base.drops };
  const sparklines: Record<string, Ring<number>> = { ...base.sparklines };
  for (const i of tick.interfaces) {
    totals.in = add(totals.in, i.in);
    totals.out = add(totals.out, i.out);
    drops.kernel += i.kernelDrops;
    drops.helper += i.helperDrops;
    sparklines[i.iface] = ringPush(sparklines[i.iface] ?? createRing<number>(SPARKLINE_SECONDS), (i.in.bytes + i.out.bytes) * 8);
  }
  return {
    captureId: tick.captureId,
    series: ringPush(base.series, sampleOf(tick)),
    sparklines,
    latest: tick,
    recent: ringPush(base.recent, tick),
    totals,
    protocols,
    drops,
    outOfOrder: base.outOfOrder,
  };
}

export interface ChartPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  inBps: number;
  outBps: number;
  inPps: number;
  outPps: number;
}

export interface ChartWindow {
  points: ChartPoint[];
  /** The window's time axis, first to last bucket start: it stays the full span while the points start later. */
  domain: [number, number];
}

/** Averages 1 s samples into buckets of `resolutionSeconds` over the last `spanSeconds` up to `endTs`. Nothing is
 *  drawn before `startTs` (the capture's first second): the axis keeps the whole span, the series starts with the
 *  capture. Each bucket averages the seconds it covers, so the bucket still filling and the first one after the
 *  start are not diluted by seconds that did not happen yet. A second without a sample inside the capture counts
 *  as silence (zero), so a stalled capture shows as a dip, not as a smoothed line. */
export function bucketSamples(
  samples: readonly TrafficSample[],
  resolutionSeconds: number,
  spanSeconds: number,
  endTs: number,
  startTs: number = samples.length > 0 ? samples[0].ts : endTs,
): ChartWindow {
  const step = resolutionSeconds * 1000;
  const lastBucket = Math.floor(endTs / step) * step;
  const count = Math.max(1, Math.ceil(spanSeconds / resolutionSeconds));
  const firstBucket = lastBucket - (count - 1) * step;
  const from = Math.max(startTs, firstBucket);
  const firstShown = Math.floor(from / step) * step;
  const shown = Math.max(1, Math.round((lastBucket - firstShown) / step) + 1);
  const points: ChartPoint[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < shown; i++) {
    const t = firstShown + i * step;
    points.push({ t, inBps: 0, outBps: 0, inPps: 0, outPps: 0 });
    const lo = Math.max(t, from);
    const hi = Math.min(t + step - 1000, endTs);
    seconds.push(Math.max(1, Math.floor((hi - lo) / 1000) + 1));
  }
  for (const s of samples) {
    if (s.ts < from || s.ts > endTs) continue;
    const i = Math.floor((s.ts - firstShown) / step);
    if (i < 0 || i >= shown) continue;
    const p = points[i];
    p.inBps += s.inBps / seconds[i];
    p.outBps += s.outBps / seconds[i];
    p.inPps += s.inPps / seconds[i];
    p.outPps += s.outPps / seconds[i];
  }
  return { points, domain: [firstBucket, lastBucket] };
}

export interface ProtocolShare {
  proto: FlowProto;
  bytes: number;
  packets: number;
  share: number;
}

/** Protocol shares for the breakdown, biggest first, without empty rows. */
export function protocolShares(protocols: Record<FlowProto, ByteCount>): ProtocolShare[] {
  const total = PROTOCOLS.reduce((s, p) => s + protocols[p].bytes, 0);
  return PROTOCOLS.map((proto) => ({ proto, ...protocols[proto], share: total > 0 ? protocols[proto].bytes / total : 0 }))
    .filter((r) => r.packets > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

export interface Talker {
  key: string;
  label: string;
  name: string | null;
  /** Over all the given ticks: what ranks the talkers. */
  bytes: number;
  packets: number;
  /** In the last of the given ticks: the same second the rate cards show. */
  lastSecondBytes: number;
}

/** Top talkers summed over the given ticks (each tick carries its own bounded top-K), biggest first. */
function rankTalkers<T extends { bytes: number; packets: number }>(
  ticks: readonly RollupTick[],
  limit: number,
  itemsOf: (tick: RollupTick) => readonly T[],
  keyOf: (item: T) => string,
  describe: (item: T, earlier: Talker | undefined) => Pick<Talker, 'label' | 'name'>,
): Talker[] {
  const sums = new Map<string, Talker>();
  const last = ticks[ticks.length - 1];
  for (const tick of ticks) {
    for (const item of itemsOf(tick)) {
      const key = keyOf(item);
      const earlier = sums.get(key);
      const lastSecondBytes = tick === last ? item.bytes : 0;
      sums.set(key, {
        key,
        ...describe(item, earlier),
        bytes: (earlier?.bytes ?? 0) + item.bytes,
        packets: (earlier?.packets ?? 0) + item.packets,
        lastSecondBytes: (earlier?.lastSecondBytes ?? 0) + lastSecondBytes,
      });
    }
  }
  return [...sums.values()].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, limit);
}

/** A host keeps the first name seen for it. */
export function topHosts(ticks: readonly RollupTick[], limit: number): Talker[] {
  return rankTalkers(ticks, limit, (t) => t.topHosts, (h) => h.ip, (h, earlier) => ({
    label: h.geo === undefined ? h.ip : `${h.ip} · ${geoText(h.geo)}`,
    name: earlier?.name ?? h.name,
  }));
}

/** A flow keeps its latest label (names learnt meanwhile). */
export function topFlows(ticks: readonly RollupTick[], limit: number): Talker[] {
  return rankTalkers(ticks, limit, (t) => t.topFlows, (f) => f.flowId, (f) => ({ label: f.label, name: null }));
}
