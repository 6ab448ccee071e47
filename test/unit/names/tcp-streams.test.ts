import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOW_SLOT_SPACE } from '../../../src-capture-helper/flows/flow-types';
import { StreamKind, TcpStreams } from '../../../src-capture-helper/names/tcp-streams';

const BYTES = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: a.example\r\n');

function open(s: TcpStreams, key: number, sec = 0, seq = 1000): void {
  s.open(key, StreamKind.http, seq, BYTES, 0, 10, Math.floor(key / 2), sec);
}

function held(s: TcpStreams, keys: number[]): number[] {
  return keys.filter((k) => s.find(k) !== undefined);
}

describe('TcpStreams', () => {
  it('evicts the least recently fed stream when full, and counts it', () => {
    const s = new TcpStreams(3, 1024, 60);
    for (const k of [2, 4, 6]) open(s, k);
    // Feeding 2 makes 4 the least recently fed.
    const st = s.find(2);
    expect(st).toBeDefined();
    expect(s.write(2, st!, 1010, BYTES, 10, 20, 0)).toBe(true);
    open(s, 8);
    expect(held(s, [2, 4, 6, 8])).toEqual([2, 6, 8]);
    open(s, 10);
    expect(held(s, [2, 4, 6, 8, 10])).toEqual([2, 8, 10]);
    expect(s.evicted).toBe(2);
    expect(s.size).toBe(3);
    // The stream kept its bytes in order across the write.
    expect(new TextDecoder().decode(s.find(2)!.asm.bytes.subarray(0, s.find(2)!.asm.contiguous))).toBe('GET / HTTP/1.1\r\nHost');
  });

  it('keeps the streams of two flows in one slot (an older generation) and of both directions apart', () => {
    const s = new TcpStreams(8, 1024, 60);
    const older = 5 * 2;
    const newer = (FLOW_SLOT_SPACE + 5) * 2;
    const huge = (1000 * FLOW_SLOT_SPACE + 5) * 2 + 1; // past 2^31
    for (const k of [older, older + 1, newer, huge]) open(s, k);
    expect(held(s, [older, older + 1, newer, newer + 1, huge, huge - 1])).toEqual([older, older + 1, newer, huge]);
    s.delete(newer);
    expect(held(s, [older, older + 1, newer, huge])).toEqual([older, older + 1, huge]);
    s.delete(older);
    expect(held(s, [older, older + 1, newer, huge])).toEqual([older + 1, huge]);
    expect(s.size).toBe(2);
    expect(s.find(huge)!.flowId).toBe(Math.floor(huge / 2));
  });

  it('drops streams idle longer than idleSec, oldest first, when another opens or on sweep', () => {
    const s = new TcpStreams(8, 1024, 10);
    open(s, 2, 0);
    open(s, 4, 5);
    open(s, 6, 11);
    expect(held(s, [2, 4, 6])).toEqual([4, 6]);
    expect(s.timedOut).toBe(1);
    s.expire(16);
    expect(held(s, [2, 4, 6])).toEqual([6]);
    expect(s.timedOut).toBe(2);
    expect(s.evicted).toBe(0);
  });

  it('reuses the entries it freed: many streams opened and closed stay within maxStreams', () => {
    const s = new TcpStreams(4, 1024, 60);
    for (let i = 0; i < 10_000; i++) {
      open(s, i * 2);
      if (i % 3 === 0) s.delete(i * 2);
    }
    // 9996 and 9999 were closed again, and opening 9999 evicted 9994, the oldest of four.
    expect(s.size).toBe(3);
    expect(held(s, [19_998, 19_996, 19_994, 19_992, 19_990, 19_988])).toEqual([19_996, 19_994, 19_990]);
  });

  it('keeps where the segments of an unreadable DNS message fall, and ends it when they pass the buffer', () => {
    const s = new TcpStreams(4, 1024, 60);
    // A 2-byte length of 0x4000 announces a message longer than the 1024-byte buffer.
    const segment = new Uint8Array(600);
    segment[0] = 0x40;
    s.open(8, StreamKind.dns, 5000, segment, 0, 600, 4, 0);
    const st = s.find(8)!;
    expect(st.skip).toBe(true);
    expect(st.kind).toBe(StreamKind.dns);
    expect(st.flowId).toBe(4);
    expect(st.asm.contiguous).toBe(600);
    expect(st.asm.overflowed).toBe(false);
    expect(s.write(8, st, 5600, segment, 0, 300, 1)).toBe(true);
    expect(st.asm.contiguous).toBe(900);
    expect(s.write(8, st, 5900, segment, 0, 300, 1)).toBe(true);
    expect(st.asm.overflowed).toBe(true);
    // A stream opened again in the same entry starts from nothing.
    s.delete(8);
    s.open(8, StreamKind.dns, 7000, segment, 0, 100, 4, 2);
    const again = s.find(8)!;
    expect(again.baseSeq).toBe(7000);
    expect(again.asm.contiguous).toBe(100);
    expect(again.asm.overflowed).toBe(false);
  });

  it('holds, finds, ages and evicts as a list from the least to the most recently fed would (random operations)', () => {
    // Keys of both directions, of flows in one slot over generations, and past 2^31.
    const keyArb = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 1, 200), fc.integer({ min: 0, max: 1 }))
      .map(([slot, gen, dir]) => (gen * FLOW_SLOT_SPACE + slot) * 2 + dir);
    const opArb = fc.tuple(fc.constantFrom('open', 'delete', 'write', 'find'), keyArb);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(opArb, { minLength: 20, maxLength: 300, size: 'max' }), (capacity, ops) => {
        const s = new TcpStreams(capacity, 1024, 60);
        const order: number[] = []; // oldest first
        let evicted = 0;
        for (const [op, key] of ops) {
          const i = order.indexOf(key);
          if (op === 'open') {
            if (i >= 0) order.splice(i, 1);
            else if (order.length === capacity) {
              order.shift();
              evicted++;
            }
            order.push(key);
            open(s, key);
          } else if (op === 'delete') {
            if (i >= 0) order.splice(i, 1);
            s.delete(key);
          } else if (op === 'write') {
            const st = s.find(key);
            expect(st !== undefined).toBe(i >= 0);
            if (st) {
              s.write(key, st, 1010, BYTES, 10, 12, 0);
              order.splice(i, 1);
              order.push(key);
            }
          } else expect(s.find(key) !== undefined).toBe(i >= 0);
          expect(s.size).toBe(order.length);
        }
        expect(s.evicted).toBe(evicted);
        for (const key of order) expect(s.find(key)?.flowId).toBe(Math.floor(key / 2));
      }),
      { numRuns: 300 },
    );
  });
});
