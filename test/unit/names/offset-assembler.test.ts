import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OffsetAssembler } from '../../../src-capture-helper/names/offset-assembler';

/** What an OffsetAssembler must hold: the bytes written and which offsets are covered, a byte at a time. */
class ModelAssembler {
  bytes: number[] = [];
  covered: boolean[] = [];
  overflowed = false;
  tooFragmented = false;

  constructor(readonly capacity: number) {}

  runs(covered: boolean[]): number {
    let n = 0;
    for (let i = 0; i < covered.length; i++) if (covered[i] && !covered[i - 1]) n++;
    return n;
  }

  write(offset: number, data: number[]): void {
    if (data.length === 0) return;
    let last = offset + data.length;
    if (last > this.capacity) {
      this.overflowed = true;
      last = this.capacity;
      if (offset >= last) return;
    }
    const covered = [...this.covered];
    for (let i = offset; i < last; i++) covered[i] = true;
    if (this.runs(covered) > OffsetAssembler.MAX_RANGES) {
      this.tooFragmented = true;
      return;
    }
    this.covered = covered;
    for (let i = offset; i < last; i++) this.bytes[i] = data[i - offset];
  }

  consume(n: number): void {
    this.bytes = this.bytes.slice(n);
    this.covered = this.covered.slice(n);
  }

  get contiguous(): number {
    let n = 0;
    while (this.covered[n]) n++;
    return n;
  }

  get highest(): number {
    return this.covered.lastIndexOf(true) + 1;
  }
}

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), offset: fc.integer({ min: 0, max: 700 }), data: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('consume' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

describe('OffsetAssembler', () => {
  it('holds what was written where it was written, merges what touches, and caps bytes and holes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 640 }), fc.array(op, { maxLength: 120 }), (capacity, ops) => {
        const asm = new OffsetAssembler(capacity, 16);
        const model = new ModelAssembler(capacity);
        for (const o of ops) {
          if (o.kind === 'write') {
            // A piece of a larger packet, as the callers pass them.
            const packet = Uint8Array.from([7, ...o.data, 9]);
            asm.write(o.offset, packet, 1, 1 + o.data.length);
            model.write(o.offset, o.data);
          } else {
            // Callers consume only bytes they have read, from the contiguous start.
            const n = Math.floor(o.fraction * asm.contiguous);
            asm.consume(n);
            model.consume(n);
          }
          expect(asm.contiguous).toBe(model.contiguous);
          expect(asm.highest).toBe(model.highest);
          expect(Array.from(asm.bytes.subarray(0, asm.contiguous))).toEqual(model.bytes.slice(0, model.contiguous));
          expect(asm.overflowed).toBe(model.overflowed);
          expect(asm.tooFragmented).toBe(model.tooFragmented);
        }
        asm.reset();
        expect(asm.contiguous).toBe(0);
        expect(asm.highest).toBe(0);
        expect(asm.overflowed || asm.tooFragmented).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('covers a piece as writing it would, without its bytes', () => {
    const piece = fc.record({ offset: fc.integer({ min: 0, max: 700 }), length: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 640 }), fc.array(piece, { maxLength: 150 }), (capacity, pieces) => {
        const written = new OffsetAssembler(capacity, 16);
        const covered = new OffsetAssembler(capacity, 16);
        for (const { offset, length } of pieces) {
          written.write(offset, new Uint8Array(length + 2), 1, 1 + length);
          covered.cover(offset, length);
          expect([covered.contiguous, covered.highest, covered.overflowed, covered.tooFragmented]).toEqual([
            written.contiguous, written.highest, written.overflowed, written.tooFragmented,
          ]);
        }
        expect(covered.bytes.length).toBe(Math.min(16, capacity)); // never grown
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a piece that would make more than MAX_RANGES holes, and keeps what it had', () => {
    const asm = new OffsetAssembler(10_000);
    const byte = Uint8Array.from([1]);
    for (let i = 0; i < OffsetAssembler.MAX_RANGES; i++) asm.write(2 * i + 1, byte, 0, 1);
    expect(asm.tooFragmented).toBe(false);
    asm.write(5000, byte, 0, 1);
    expect(asm.tooFragmented).toBe(true);
    expect(asm.highest).toBe(2 * OffsetAssembler.MAX_RANGES);
    // A piece that fills a hole merges two ranges into one: still accepted.
    asm.write(0, Uint8Array.from([5, 6, 7]), 0, 3);
    expect(asm.tooFragmented).toBe(true);
    expect(asm.contiguous).toBe(4);
    expect(Array.from(asm.bytes.subarray(0, 4))).toEqual([5, 6, 7, 1]);
  });
});
