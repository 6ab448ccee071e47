import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedMap } from '../../../src-shared/bounded-map';

/** What a BoundedMap must behave as: an array of [key, value] from the oldest to the newest. */
class ModelMap {
  entries: [number, number][] = [];
  evicted: [number, number][] = [];
  constructor(readonly capacity: number) {}

  private at(key: number): number {
    return this.entries.findIndex(([k]) => k === key);
  }

  private makeRoom(): number | undefined {
    if (this.entries.length < this.capacity) return undefined;
    const first = this.entries.shift();
    if (first) this.evicted.push(first);
    return first?.[0];
  }

  set(key: number, value: number): void {
    const i = this.at(key);
    if (i >= 0) this.entries[i] = [key, value];
    else {
      this.makeRoom();
      this.entries.push([key, value]);
    }
  }

  setNewest(key: number, value: number): number | undefined {
    const i = this.at(key);
    let evicted: number | undefined;
    if (i >= 0) this.entries.splice(i, 1);
    else evicted = this.makeRoom();
    this.entries.push([key, value]);
    return evicted;
  }

  delete(key: number): boolean {
    const i = this.at(key);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer() }),
  fc.record({ kind: fc.constant('setNewest' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ kind: fc.constant('clear' as const) }),
  fc.record({ kind: fc.constant('sweep' as const), modulo: fc.integer({ min: 1, max: 3 }) }),
);

describe('BoundedMap', () => {
  it('behaves as a list in age order under any sequence of sets, moves, deletes, sweeps and clears', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
        const seen: [number, number][] = [];
        const map = new BoundedMap<number, number>(capacity, (k, v) => seen.push([k, v]));
        const model = new ModelMap(capacity);
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'setNewest') {
            expect(map.setNewest(o.key, o.value)).toBe(model.setNewest(o.key, o.value));
          } else if (o.kind === 'delete') {
            expect(map.delete(o.key)).toBe(model.delete(o.key));
          } else if (o.kind === 'sweep') {
            // Deleting each entry as it is read, as an expiry sweep does.
            for (const [k, v] of map.entries()) if (v % o.modulo === 0) map.delete(k);
            model.entries = model.entries.filter(([, v]) => v % o.modulo !== 0);
          } else {
            map.clear();
            model.entries = [];
          }
          expect([...map.entries()]).toEqual(model.entries);
          expect([...map.keys()]).toEqual(model.entries.map(([k]) => k));
          expect([...map.values()]).toEqual(model.entries.map(([, v]) => v));
          expect(map.oldest()).toEqual(model.entries[0]);
          expect(map.size).toBe(model.entries.length);
          for (let k = 0; k <= 12; k++) {
            const hit = model.entries.find(([key]) => key === k);
            expect(map.get(k)).toBe(hit?.[1]);
            expect(map.has(k)).toBe(hit !== undefined);
          }
        }
        expect(seen).toEqual(model.evicted);
        expect(map.evicted).toBe(model.evicted.length);
      }),
    );
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
    expect(() => new BoundedMap(1.5)).toThrow(RangeError);
  });
});
