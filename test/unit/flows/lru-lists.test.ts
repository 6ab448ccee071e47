import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruLists } from '../../../src-capture-helper/flows/lru-lists';

type Op = { kind: 'use' | 'move' | 'remove' | 'pop'; slot: number; list: number };

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('use', 'use', 'use', 'move', 'remove', 'pop'),
  slot: fc.integer({ min: 0, max: 40 }),
  list: fc.integer({ min: 0, max: 2 }),
});

/** The model: each list an array of slots, least recently used first. */
class Model {
  readonly lists: number[][] = [[], [], []];
  listOf(slot: number): number {
    return this.lists.findIndex((l) => l.includes(slot));
  }
  take(slot: number): void {
    for (const l of this.lists) {
      const i = l.indexOf(slot);
      if (i >= 0) l.splice(i, 1);
    }
  }
  put(slot: number, list: number): void {
    this.take(slot);
    this.lists[list].push(slot);
  }
}

describe('LRU lists', () => {
  it('give the order of last use, like moving to the tail of a linked list, under uses, moves, removals and compaction', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 2000 }), (ops) => {
        const lru = new LruLists(3, 41);
        const model = new Model();
        for (const o of ops) {
          const current = model.listOf(o.slot);
          switch (o.kind) {
            case 'use':
              // touch() is for a slot already in the list; a slot not in any list enters with append().
              if (current >= 0) lru.touch(o.slot, current);
              else lru.append(o.slot, o.list);
              model.put(o.slot, current >= 0 ? current : o.list);
              break;
            case 'move':
              lru.append(o.slot, o.list);
              model.put(o.slot, o.list);
              break;
            case 'remove':
              lru.remove(o.slot);
              model.take(o.slot);
              break;
            case 'pop': {
              const oldest = lru.oldest(o.list);
              expect(oldest).toBe(model.lists[o.list][0] ?? -1);
              if (oldest >= 0) {
                lru.remove(oldest);
                model.take(oldest);
              }
              break;
            }
          }
        }
        for (let l = 0; l < 3; l++) expect(lru.slots(l)).toEqual(model.lists[l]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each log within four entries per live slot when one flow is used over and over', () => {
    const lru = new LruLists(1, 1000);
    for (let s = 0; s < 1000; s++) lru.append(s, 0);
    // Alternate two slots a million times: the log is compacted, never grown past what its live slots need.
    for (let i = 0; i < 1_000_000; i++) lru.touch(i & 1, 0);
    expect(lru.slots(0).length).toBe(1000);
    expect(lru.logLength(0)).toBeLessThanOrEqual(4 * 1000);
    expect(lru.slots(0).slice(-2)).toEqual([0, 1]);
  });
});
