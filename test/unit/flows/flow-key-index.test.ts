import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndedFlowRing } from '../../../src-capture-helper/flows/ended-flow-ring';
import { FlowKeyIndex, W_HASH, W_HI, W_KIND, W_LO, W_PORTS, keyHash, sourceIsHigh } from '../../../src-capture-helper/flows/flow-key-index';

const STRIDE = 16;

describe('FlowKeyIndex', () => {
  it('finds exactly the keys inserted and not removed, whatever the order of inserts and removals', () => {
    // Few distinct hashes' low bits in a small index: long probe chains that wrap around, where backward shift matters.
    const op = fc.record({ remove: fc.boolean(), key: fc.integer({ min: 0, max: 60 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const index = new FlowKeyIndex();
        index.resize(64);
        const words = new Uint32Array(64 * STRIDE);
        const scratch = new Uint32Array(8);
        const slotOfKey = new Map<number, number>();
        const free: number[] = [];
        let next = 0;
        const load = (key: number): number => {
          scratch.fill(0);
          scratch[3] = key % 7;
          scratch[7] = key;
          return keyHash(scratch, 0, 4, key * 3, 6);
        };
        for (const { remove, key } of ops) {
          const h = load(key);
          const found = index.find(words, STRIDE, h, scratch, 0, 4, key * 3, 6);
          expect(found).toBe(slotOfKey.get(key) ?? -1);
          if (remove && found >= 0) {
            index.remove(found, words, STRIDE);
            slotOfKey.delete(key);
            free.push(found);
          } else if (!remove && found < 0) {
            const slot = free.pop() ?? next++;
            const w = slot * STRIDE;
            words.set(scratch.subarray(0, 4), w + W_LO);
            words.set(scratch.subarray(4, 8), w + W_HI);
            words[w + W_PORTS] = key * 3;
            words[w + W_KIND] = 6;
            words[w + W_HASH] = h;
            index.insert(slot, h);
            slotOfKey.set(key, slot);
          }
        }
        for (let key = 0; key <= 60; key++) {
          expect(index.find(words, STRIDE, load(key), scratch, 0, 4, key * 3, 6)).toBe(slotOfKey.get(key) ?? -1);
        }
      }),
    );
  });

  it('orders endpoints by address, then port', () => {
    const k = new Uint32Array(8);
    k[3] = 10;
    k[7] = 9;
    expect(sourceIsHigh(k, 1, 2)).toBe(true);
    k[7] = 10;
    expect(sourceIsHigh(k, 1, 2)).toBe(false);
    expect(sourceIsHigh(k, 2, 1)).toBe(true);
    k[0] = 1;
    expect(sourceIsHigh(k, 1, 2)).toBe(true);
  });
});

describe('EndedFlowRing', () => {
  it('returns the ids ended after a cursor, and counts those it no longer holds', () => {
    const ring = new EndedFlowRing();
    for (let id = 0; id < 3; id++) ring.push(id, id + 1);
    const out: number[] = [];
    expect(ring.since(1, out)).toBe(0);
    expect(out).toEqual([1, 2]);
    // Past the ring's size (65,536) the oldest ids are forgotten.
    for (let id = 3; id < 70_000; id++) ring.push(id, id + 1);
    const all: number[] = [];
    expect(ring.since(0, all)).toBe(70_000 - 65_536);
    expect(all.length).toBe(65_536);
    expect(all[0]).toBe(70_000 - 65_536);
    const recent: number[] = [];
    expect(ring.since(69_990, recent)).toBe(0);
    expect(recent).toEqual([69_990, 69_991, 69_992, 69_993, 69_994, 69_995, 69_996, 69_997, 69_998, 69_999]);
  });
});
