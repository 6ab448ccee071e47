import type { ByteCount, FlowProto, FlowRate, HostRate, RollupTick } from '../transport/api-types';
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
  const s: TrafficSample = { ts: t.tsMs, inBps: 0, outBps: 0, inPps: 0, outPps: 0 };
  for (const i of t.interfaces) {
    s.inBps += i.in.bytes * 8;
    s.outBps += i.out.bytes * 8;
    s.inPps += i.in.packets;
    s.outPps += i.out.packets;
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

/** Averages 1 s samples into buckets of `resolutionSeconds` over the last `spanSeconds` up to `endTs`. A second
 *  without a sample counts as silence (zero), so a stalled capture shows as a dip, not as a smoothed line. */
export function bucketSamples(
  samples: readonly TrafficSample[],
  resolutionSeconds: number,
  spanSeconds: number,
  endTs: number,
): ChartPoint[] {
  const step = resolutionSeconds * 1000;
  const lastBucket = Math.floor(endTs / step) * step;
  const count = Math.max(1, Math.ceil(spanSeconds / resolutionSeconds));
  const firstBucket = lastBucket - (count - 1) * step;
  const points: ChartPoint[] = [];
  for (let i = 0; i < count; i++) points.push({ t: firstBucket + i * step, inBps: 0, outBps: 0, inPps: 0, outPps: 0 });
  for (const s of samples) {
    const i = Math.floor((s.ts - firstBucket) / step);
    if (i < 0 || i >= count) continue;
    const p = points[i];
    p.inBps += s.inBps / resolutionSeconds;
    p.outBps += s.outBps / resolutionSeconds;
    p.inPps += s.inPps / resolutionSeconds;
    p.outPps += s.outPps / resolutionSeconds;
  }
  return points;
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
  bytes: number;
  packets: number;
}

/** Top talkers summed over the given ticks (each tick carries its own bounded top-K), biggest first. */
export function topHosts(ticks: readonly RollupTick[], limit: number): Talker[] {
  const sums = new Map<string, Talker>();
  const addHost = (h: HostRate): void => {
    const t = sums.get(h.ip);
    if (t) {
      t.bytes += h.bytes;
      t.packets += h.packets;
      t.name = t.name ?? h.name;
    } else sums.set(h.ip, { key: h.ip, label: h.ip, name: h.name, bytes: h.bytes, packets: h.packets });
  };
  for (const tick of ticks) for (const h of tick.topHosts) addHost(h);
  return [...sums.values()].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, limit);
}

export function topFlows(ticks: readonly RollupTick[], limit: number): Talker[] {
  const sums = new Map<string, Talker>();
  const addFlow = (f: FlowRate): void => {
    const t = sums.get(f.flowId);
    if (t) {
      t.bytes += f.bytes;
      t.packets += f.packets;
      t.label = f.label;
    } else sums.set(f.flowId, { key: f.flowId, label: f.label, name: null, bytes: f.bytes, packets: f.packets });
  };
  for (const tick of ticks) for (const f of tick.topFlows) addFlow(f);
  return [...sums.values()].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, limit);
}
