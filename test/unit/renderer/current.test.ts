import { describe, expect, it } from 'vitest';
import { currentTraffic, totalsAtShownSecond } from '../../../src-renderer/state/current';
import { freezeTraffic } from '../../../src-renderer/state/store';
import type { TrafficState } from '../../../src-renderer/state/traffic';
import { applyTick, emptyTraffic } from '../../../src-renderer/state/traffic';
import type { CaptureStatus, RollupTick, Stats } from '../../../src-renderer/transport/api-types';
import { makeCaptureStatus } from './make-flow';

const zero = { bytes: 0, packets: 0 };
const tick = (second: number, inBytes: number, outBytes = 0): RollupTick => ({
  captureId: 'c1',
  tsMs: second * 1000,
  interfaces: [{ iface: 'eth0', in: { bytes: inBytes, packets: 1 }, out: { bytes: outBytes, packets: outBytes ? 1 : 0 }, kernelDrops: 1, helperDrops: 0 }],
  protocols: { tcp: { bytes: inBytes + outBytes, packets: 1 }, udp: zero, icmp: zero, icmpv6: zero, other: zero },
  topHosts: [],
  topFlows: [],
  activeFlows: 3,
  newFlows: 1,
});
const capture = (state: CaptureStatus['state']) => makeCaptureStatus('c1', state);
/** Main's totals of seconds 1..`upTo` of the same traffic: 100 bytes in a second, plus what came before the page. */
const stats = (upTo: number, before = 0): Stats => ({
  uptimeSec: 1,
  capture: capture('running'),
  lastTickMs: upTo * 1000,
  interfaces: [{ iface: 'eth0', in: { bytes: before + 100 * upTo, packets: upTo }, out: zero, kernelDrops: upTo, helperDrops: 0 }],
  protocols: { tcp: zero, udp: zero, icmp: zero, icmpv6: zero, other: zero },
  activeFlows: 3,
  finishedFlows: 0,
  evictedFlows: 0,
  flowsBeyondBook: 0,
  mainDrops: {},
});
const seconds = (from: number, to: number, t: TrafficState = emptyTraffic()): TrafficState => {
  for (let s = from; s <= to; s++) t = applyTick(t, tick(s, 100));
  return t;
};

describe('the second the cards show', () => {
  it('main totals of that very second when the page opened late', () => {
    // The page saw seconds 8..10 only; main counted 1..10 and 5000 bytes before.
    const t = seconds(8, 10);
    expect(totalsAtShownSecond(t, t, stats(10, 5000)).totals.in).toEqual({ bytes: 6000, packets: 10 });
  });
  it('adds the seconds shown since main answered, and takes back those main counted ahead of the screen', () => {
    const t = seconds(1, 10);
    expect(totalsAtShownSecond(t, t, stats(8)).totals.in).toEqual({ bytes: 1000, packets: 10 });
    expect(totalsAtShownSecond(t, t, stats(8)).drops.kernel).toBe(10);
    const paused = freezeTraffic(seconds(1, 6));
    expect(totalsAtShownSecond(paused, t, stats(10)).totals.in).toEqual({ bytes: 600, packets: 6 });
  });
  it('ignores stats of another capture', () => {
    const t = seconds(1, 3);
    expect(totalsAtShownSecond(t, t, { ...stats(9, 777), capture: { ...capture('running'), captureId: 'other' } }).totals.in.bytes).toBe(300);
  });
  it('shows zero rates and no active flows once the capture stopped, and keeps the totals', () => {
    const t = seconds(1, 4);
    const running = currentTraffic(t, t, stats(4), capture('running'));
    expect(running).toMatchObject({ flowing: true, inBps: 800, activeFlows: 3, second: 4000 });
    for (const state of ['idle', 'finished', 'stopping', 'error'] as const) {
      const stopped = currentTraffic(t, t, stats(4), capture(state));
      expect(stopped).toMatchObject({ flowing: false, inBps: 0, outBps: 0, inPps: 0, outPps: 0, activeFlows: 0, newFlows: 0 });
      expect(stopped.totals.in.bytes).toBe(400);
    }
    expect(currentTraffic(t, t, null, null).flowing).toBe(false);
  });
});
