import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../src-capture-helper/flows/flow-table';
import { RollupEngine } from '../../src-capture-helper/rollups/rollup-engine';
import type { PacketSpec } from '../unit/flows/packets';
import { decodeFrame, frameBytes } from '../unit/flows/packets';

const addr = fc.oneof(
  fc.constantFrom('10.0.0.1', '10.0.0.2', '192.168.5.5', '0.0.0.0', '255.255.255.255'),
  fc.constantFrom('2001:db8::1', '2001:db8::2', '::1', 'fe80::1'),
);

const spec: fc.Arbitrary<PacketSpec> = fc.record({
  src: addr,
  dst: addr,
  proto: fc.constantFrom('tcp', 'udp', 'icmp'),
  sport: fc.integer({ min: 0, max: 3 }),
  dport: fc.integer({ min: 0, max: 3 }),
  flags: fc.constantFrom('S', 'SA', 'A', 'FA', 'R', 'PA', ''),
  seq: fc.integer({ min: 0, max: 3 }),
  vlan: fc.constantFrom(-1, 1, 4095),
  t: fc.double({ min: 0, max: 400, noNaN: true }),
  icmpType: fc.constantFrom(0, 3, 8, 11, 128, 129, 1, 135, 250),
  icmpId: fc.integer({ min: 0, max: 2 }),
  payload: fc.integer({ min: 0, max: 60 }),
  ifIndex: fc.integer({ min: 0, max: 2 }),
});

/** A well-formed frame, one with random bytes flipped, or random bytes. */
const frame = fc.oneof(
  spec.map((s) => ({ bytes: frameBytes({ ...s, src: s.src.includes(':') === s.dst.includes(':') ? s.src : s.dst }), t: s.t ?? 0, ifIndex: s.ifIndex ?? 0 })),
  fc.tuple(spec, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([s, flips]) => {
    const bytes = frameBytes({ ...s, src: s.src.includes(':') === s.dst.includes(':') ? s.src : s.dst });
    for (const [at, v] of flips) bytes[at % bytes.length] = v;
    return { bytes, t: s.t ?? 0, ifIndex: s.ifIndex ?? 0 };
  }),
  fc.record({ bytes: fc.uint8Array({ maxLength: 120 }), t: fc.double({ min: 0, max: 400, noNaN: true }), ifIndex: fc.constant(0) }),
);

describe('flow table under random traffic', () => {
  it('never throws, stays under its cap, and accounts for every packet exactly once', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 150 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), (frames, maxFlows, sortTime) => {
        let finishedPackets = 0;
        let finishedFlows = 0;
        const table = new FlowTable({
          maxFlows,
          initialCapacity: 1,
          timeouts: { udp: 20, icmp: 5, tcpClosed: 1 },
          onFinish: (f) => {
            finishedPackets += f.packetsAB + f.packetsBA;
            finishedFlows++;
          },
        });
        const engine = new RollupEngine(table);
        if (sortTime) frames.sort((x, y) => x.t - y.t);
        for (const f of frames) {
          const { pkt, rec } = decodeFrame(f.bytes, f.t, f.ifIndex);
          engine.observe(pkt, rec);
          expect(table.activeCount).toBeLessThanOrEqual(maxFlows);
        }
        engine.finish();
        const rollupPackets = engine.window(60)?.packets ?? 0;
        let activePackets = 0;
        for (let s = 0; s < table.slotLimit; s++) {
          if (!table.isActive(s)) continue;
          const f = table.snapshot(s);
          activePackets += f.packetsAB + f.packetsBA;
        }
        const stats = table.getStats();
        expect(stats.packetsObserved).toBe(frames.length);
        expect(activePackets + finishedPackets + stats.nonIpPackets).toBe(frames.length);
        expect(stats.created).toBe(stats.active + finishedFlows);
        // Within one 60 s window of packet time every packet is in the rollups too.
        const span = frames.length ? Math.max(...frames.map((f) => Math.floor(f.t))) - Math.min(...frames.map((f) => Math.floor(f.t))) : 0;
        if (span < 60) expect(rollupPackets).toBe(frames.length);
        table.flush();
        expect(finishedPackets + stats.nonIpPackets).toBe(frames.length);
      }),
      { numRuns: 300 },
    );
  });
});
