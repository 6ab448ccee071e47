import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../../src-main/core/ring';

type Op = { kind: 'push'; value: number } | { kind: 'clear' };

describe('Ring', () => {
  it('keeps the newest `capacity` items in order, counting the ones pushed out, across clears', () => {
    const op = fc.oneof(
      { weight: 20, arbitrary: fc.integer().map((value): Op => ({ kind: 'push', value })) },
      { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), fc.nat(15), (capacity, ops, n) => {
      const ring = new Ring<number>(capacity);
      let model: number[] = [];
      let overwritten = 0;
      for (const o of ops) {
        if (o.kind === 'clear') {
          ring.clear();
          model = [];
          continue;
        }
        ring.push(o.value);
        model.push(o.value);
        if (model.length > capacity) {
          model.shift();
          overwritten++;
        }
        expect(ring.last()).toBe(o.value);
      }
      expect(ring.size).toBe(model.length);
      expect(ring.toArray()).toEqual(model);
      expect(ring.tail(n)).toEqual(model.slice(Math.max(0, model.length - n)));
      expect(ring.overwritten).toBe(overwritten);
    }));
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new Ring(bad)).toThrow(/positive integer/);
  });
});
