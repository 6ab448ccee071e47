import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RotatedFlows } from '../../../src-capture-helper/spool/rotated-flows';

interface Counts {
  packets: number;
  bytes: number;
  minTs: number;
  maxTs: number;
}

/** The behaviour the table must keep: a map in first-rotation order, the oldest forgotten past the bound. */
class Model {
  readonly flows = new Map<number, Counts>();
  constructor(private readonly max: number) {}
  add(id: number, packets: number, bytes: number, minTs: number, maxTs: number): boolean {
    const known = this.flows.get(id);
    if (known) {
      known.packets += packets;
      known.bytes += bytes;
      known.minTs = Math.min(known.minTs, minTs);
      known.maxTs = Math.max(known.maxTs, maxTs);
      return false;
    }
    if (this.max === 0) return true;
    let forgot = false;
    if (this.flows.size >= this.max) {
      this.flows.delete(this.flows.keys().next().value as number);
      forgot = true;
    }
    this.flows.set(id, { packets, bytes, minTs, maxTs });
    return forgot;
  }
}

function contents(table: RotatedFlows): [number, Counts][] {
  const out: [number, Counts][] = [];
  for (let n = 0; n < table.size; n++) {
    const id = table.idAt(n);
    const slot = table.find(id);
    out.push([id, { packets: table.packetsAt(slot), bytes: table.bytesAt(slot), minTs: table.minTsAt(slot), maxTs: table.maxTsAt(slot) }]);
  }
  return out;
}

describe('rotated-out flow counts', () => {
  it('merges, bounds and forgets in first-rotation order exactly as a map would, through growth and deletions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        // Ids from a small range (many merges, long probe runs) and large ones (generation * 2^24 + slot).
        fc.array(
          fc.tuple(fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2 ** 40 })), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 100 })),
          { maxLength: 3000 },
        ),
        (max, adds) => {
          const table = new RotatedFlows(max);
          const model = new Model(max);
          for (const [i, [id, packets, t]] of adds.entries()) {
            expect(table.add(id, packets, packets * 60, t, t + 1), `add #${i}`).toBe(model.add(id, packets, packets * 60, t, t + 1));
          }
          expect(contents(table)).toEqual([...model.flows]);
          expect(table.size).toBe(model.flows.size);
          for (const [id] of adds) if (!model.flows.has(id)) expect(table.find(id)).toBe(-1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a million flows behind a bound of 200,000 with the newest exact', () => {
    const table = new RotatedFlows(200_000);
    let forgotten = 0;
    for (let id = 1; id <= 1_000_000; id++) if (table.add(id * 16_777_216 + (id % 977), 3, 180, id, id)) forgotten++;
    expect(forgotten).toBe(800_000);
    expect(table.size).toBe(200_000);
    expect(table.find(800_000 * 16_777_216 + (800_000 % 977))).toBe(-1);
    const newest = table.find(1_000_000 * 16_777_216 + (1_000_000 % 977));
    expect([table.packetsAt(newest), table.bytesAt(newest), table.minTsAt(newest)]).toEqual([3, 180, 1_000_000]);
    expect(table.idAt(0)).toBe(800_001 * 16_777_216 + (800_001 % 977));
  });
});
