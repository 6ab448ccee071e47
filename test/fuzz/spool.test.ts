import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportFromSpool } from '../../src-capture-helper/spool/export-stream';
import { PacketSpool } from '../../src-capture-helper/spool/packet-spool';
import type { TestPacket } from '../unit/spool/spool-helpers';
import { collect, essentials, makePacket, parseCapture, tempRuntimeDir } from '../unit/spool/spool-helpers';

const KiB = 1024;
const BASE = 1_700_000_000;

type Op =
  | { op: 'append'; flow: number; size: number; dt: number }
  | { op: 'tick'; dt: number }
  | { op: 'export'; flows: number[]; range: [number, number] | undefined };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constant('append' as const), flow: fc.integer({ min: -1, max: 6 }), size: fc.integer({ min: 1, max: 1600 }), dt: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 20_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('export' as const),
      flows: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      range: fc.option(fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 60_000 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]), { nil: undefined }),
    }),
  },
);

const settingsArb = fc.record({
  segmentBytes: fc.constantFrom(4 * KiB, 8 * KiB),
  buffers: fc.integer({ min: 2, max: 4 }),
  diskSegments: fc.integer({ min: 0, max: 5 }),
  maxAgeSeconds: fc.constantFrom(0, 5, 30),
  maxFlowsPerSegment: fc.constantFrom(16, 64),
});

/** Milliseconds after BASE, as seconds + nanoseconds. */
function at(ms: number): { tsSec: number; tsNsec: number } {
  return { tsSec: BASE + Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1_000_000 + 7 };
}

describe('packet spool properties', () => {
  it('random appends, clock moves and exports keep every bound, and exported + missing = packets of the flows', async () => {
    await fc.assert(
      fc.asyncProperty(settingsArb, fc.array(opArb, { minLength: 1, maxLength: 250 }), async (s, ops) => {
        const runtimeDir = tempRuntimeDir();
        const settings = {
          segmentBytes: s.segmentBytes,
          memoryBytes: s.buffers * s.segmentBytes,
          maxBytes: s.diskSegments * s.segmentBytes,
          maxAgeSeconds: s.maxAgeSeconds,
          maxFlowsPerSegment: s.maxFlowsPerSegment,
          snaplen: 1500,
          maxIndexBytes: 64 * KiB,
        };
        const spool = new PacketSpool({ settings, runtimeDir });
        const appended: TestPacket[] = [];
        let ms = 0;
        try {
          for (const op of ops) {
            switch (op.op) {
              case 'append': {
                ms += op.dt;
                const p = makePacket(appended.length, op.flow, { size: op.size, ...at(ms) });
                appended.push(p);
                spool.append(p, p.flowId);
                break;
              }
              case 'tick':
                ms += op.dt;
                spool.advanceTime(at(ms).tsSec + at(ms).tsNsec * 1e-9);
                break;
              case 'export': {
                const range = op.range === undefined ? undefined : { from: at(op.range[0]).tsSec + at(op.range[0]).tsNsec * 1e-9, to: at(op.range[1]).tsSec + at(op.range[1]).tsNsec * 1e-9 };
                const exp = exportFromSpool(spool, { selection: { kind: 'flows', flowIds: op.flows }, range, chunkBytes: 2 * KiB });
                const { packets } = parseCapture(await collect(exp));
                const st = spool.stats();
                // Rotation takes whole segments from the front: the spool holds a suffix of what was appended.
                const held = appended.slice(appended.length - st.packetsInSpool);
                const inRange = (p: TestPacket) => range === undefined || (p.tsSec + p.tsNsec * 1e-9 >= range.from && p.tsSec + p.tsNsec * 1e-9 <= range.to);
                const selected = (p: TestPacket) => op.flows.includes(p.flowId);
                // Captured bytes beyond the spool snaplen are cut; the wire length stays.
                const cut = (p: TestPacket) => essentials({ ...p, data: p.data.subarray(0, settings.snaplen) });
                expect(packets.map(essentials)).toEqual(held.filter((p) => selected(p) && inRange(p)).map(cut));
                const summary = exp.summary;
                if (summary === undefined) throw new Error('no summary');
                const wanted = appended.filter((p) => selected(p) && inRange(p)).length;
                if (summary.missingExact) expect(summary.packets + summary.missingPackets).toBe(wanted);
                else expect(summary.packets + summary.missingPackets).toBeGreaterThanOrEqual(wanted);
                if (range === undefined) {
                  expect(summary.missingExact).toBe(true);
                  expect(exp.plan.packets).toBe(summary.packets);
                }
                break;
              }
              default:
                throw new Error('unknown op');
            }
            const st = spool.stats();
            expect(st.memoryBytes).toBeLessThanOrEqual(settings.memoryBytes);
            expect(st.diskBytes).toBeLessThanOrEqual(settings.maxBytes);
            expect(st.packetsInSpool + st.rotatedPackets + st.notPackets).toBe(appended.length);
            if (spool.dir !== undefined) {
              const onDisk = fs.readdirSync(spool.dir).reduce((a, f) => a + fs.statSync(`${spool.dir}/${f}`).size, 0);
              expect(onDisk).toBe(st.diskBytes);
            }
          }
        } finally {
          spool.close();
          fs.rmSync(runtimeDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 100 },
    );
  });
});
