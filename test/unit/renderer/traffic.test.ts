import { describe, expect, it } from 'vitest';
import { createRing, ringLast, ringPush, ringToArray } from '../../../src-renderer/state/ring';
import { applyTick, bucketSamples, emptyTraffic, protocolShares, topFlows, topHosts } from '../../../src-renderer/state/traffic';
import type { RollupTick } from '../../../src-renderer/transport/api-types';

function tick(captureId: string, tsMs: number, inBytes: number, outBytes: number, kernelDrops = 0): RollupTick {
  const zero = { bytes: 0, packets: 0 };
  return {
    captureId,
    tsMs,
    interfaces: [{ iface: 'eth0', in: { bytes: inBytes, packets: inBytes ? 1 : 0 }, out: { bytes: outBytes, packets: outBytes ? 1 : 0 }, kernelDrops, helperDrops: 1 }],
    protocols: { tcp: { bytes: inBytes, packets: 1 }, udp: { bytes: outBytes, packets: 1 }, icmp: zero, icmpv6: zero, other: zero },
    topHosts: [],
    topFlows: [],
    activeFlows: 1,
    newFlows: 0,
  };
}

describe('ring buffer', () => {
  it('keeps the newest items in order within its capacity and counts what it overwrote', () => {
    let r = createRing<number>(3);
    for (let i = 1; i <= 5; i++) r = ringPush(r, i);
    expect(ringToArray(r)).toEqual([3, 4, 5]);
    expect(ringToArray(r, 2)).toEqual([4, 5]);
    expect(ringLast(r)).toBe(5);
    expect(r.overwritten).toBe(2);
    expect(r.buffer.length).toBe(3);
    expect(() => createRing(0)).toThrow(/positive/);
  });
});

describe('traffic from rollup ticks', () => {
  it('accumulates totals, protocols and drops, and converts bytes to bit rates', () => {
    let t = emptyTraffic();
    t = applyTick(t, tick('c1', 1000, 125, 250, 3));
    t = applyTick(t, tick('c1', 2000, 125, 0, 2));
    expect(t.totals.in.bytes).toBe(250);
    expect(t.totals.out.bytes).toBe(250);
    expect(t.drops).toEqual({ kernel: 5, helper: 2 });
    expect(t.protocols.tcp.bytes).toBe(250);
    expect(ringToArray(t.series).map((s) => s.inBps)).toEqual([1000, 1000]);
    expect(ringToArray(t.sparklines.eth0)).toEqual([3000, 1000]);
  });
  it('ignores repeated seconds and starts over for a new capture', () => {
    let t = applyTick(emptyTraffic(), tick('c1', 1000, 1, 1));
    t = applyTick(t, tick('c1', 1000, 1, 1));
    expect(t.outOfOrder).toBe(1);
    expect(t.series.length).toBe(1);
    t = applyTick(t, tick('c2', 500, 7, 0));
    expect(t.captureId).toBe('c2');
    expect(t.totals.in.bytes).toBe(7);
    expect(t.series.length).toBe(1);
  });
  it('keeps at most an hour of seconds', () => {
    let t = emptyTraffic();
    for (let s = 0; s < 3700; s++) t = applyTick(t, tick('c', s * 1000, 1, 0));
    expect(t.series.length).toBe(3600);
    expect(t.series.buffer.length).toBe(3600);
  });
});

describe('chart buckets', () => {
  const samples = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((s) => ({ ts: s * 1000, inBps: 100, outBps: s, inPps: 1, outPps: 0, kernelDrops: 0, helperDrops: 0 }));
  it('draws nothing before the capture started, while the axis keeps the whole span', () => {
    const { points, domain } = bucketSamples(samples, 10, 30, 11_000);
    expect(domain).toEqual([-10_000, 10_000]);
    expect(points.map((p) => p.t)).toEqual([0, 10_000]);
    const minute = bucketSamples(samples, 1, 300, 11_000);
    expect(minute.domain).toEqual([-288_000, 11_000]);
    expect(minute.points[0].t).toBe(0);
    expect(minute.points).toHaveLength(12);
  });
  it('averages each bucket over the seconds it covers: the bucket still filling is not diluted', () => {
    const { points } = bucketSamples(samples, 10, 30, 11_000);
    expect(points.map((p) => p.inBps)).toEqual([100, 100]);
    expect(points[0].outBps).toBeCloseTo(4.5);
    expect(points[1].outBps).toBeCloseTo(10.5);
  });
  it('nor is the first bucket after a start in the middle of a bucket', () => {
    const late = samples.filter((s) => s.ts >= 7000);
    const { points } = bucketSamples(late, 10, 60, 11_000);
    expect(points.map((p) => [p.t, p.inBps])).toEqual([[0, 100], [10_000, 100]]);
  });
  it('counts a missing second inside the capture as silence', () => {
    const gap = samples.filter((s) => s.ts !== 3000 && s.ts !== 4000);
    const { points } = bucketSamples(gap, 10, 30, 11_000);
    expect(points[0].inBps).toBe(80);
  });
  it('gives one point per second at 1 s resolution', () => {
    const { points } = bucketSamples(samples, 1, 5, 11_000);
    expect(points.map((p) => p.outBps)).toEqual([7, 8, 9, 10, 11]);
  });
});

describe('top talkers', () => {
  const second = (s: number, hosts: Array<[string, number, string | null]>, flows: Array<[string, number, string]>): RollupTick => ({
    ...tick('c', s * 1000, 0, 0),
    topHosts: hosts.map(([ip, bytes, name]) => ({ ip, bytes, packets: 1, name })),
    topFlows: flows.map(([flowId, bytes, label]) => ({ flowId, bytes, packets: 1, label })),
  });
  const ticks = [
    second(1, [['10.0.0.1', 900, null], ['10.0.0.2', 100, 'nas.lab']], [['f1', 900, 'udp a → b']]),
    second(2, [['10.0.0.2', 500, 'other'], ['10.0.0.1', 0, 'late']], [['f1', 50, 'udp a → b (name)'], ['f2', 500, 'tcp c → d']]),
  ];
  it('ranks by bytes over the ticks and gives the rate of the last second apart', () => {
    expect(topHosts(ticks, 10)).toEqual([
      { key: '10.0.0.1', label: '10.0.0.1', name: 'late', bytes: 900, packets: 2, lastSecondBytes: 0 },
      { key: '10.0.0.2', label: '10.0.0.2', name: 'nas.lab', bytes: 600, packets: 2, lastSecondBytes: 500 },
    ]);
    expect(topFlows(ticks, 1)).toEqual([{ key: 'f1', label: 'udp a → b (name)', name: null, bytes: 950, packets: 2, lastSecondBytes: 50 }]);
    expect(topHosts([], 10)).toEqual([]);
  });
});

describe('protocol breakdown', () => {
  it('lists protocols with traffic, biggest first, with shares', () => {
    const t = applyTick(emptyTraffic(), tick('c', 0, 300, 100));
    const rows = protocolShares(t.protocols);
    expect(rows.map((r) => [r.proto, r.share])).toEqual([['tcp', 0.75], ['udp', 0.25]]);
  });
});
