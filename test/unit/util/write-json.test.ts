import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonWriter } from '../../../src-capture-helper/util/write-json';
import { writeJson } from '../../../src-capture-helper/util/write-json';

function chunksOf(value: unknown): Buffer[] {
  const out: Buffer[] = [];
  // Copies: a test must see what the sink saw at the time.
  writeJson(value, (chunk) => out.push(Buffer.from(chunk)));
  return out;
}

const textOf = (value: unknown) => Buffer.concat(chunksOf(value)).toString('utf8');

/** Writes its numbers one by one through the writer's own number and ASCII paths. */
class Numbers {
  constructor(readonly values: number[]) {}
  writeJson(out: JsonWriter): void {
    out.byte(0x5b);
    this.values.forEach((v, i) => {
      if (i > 0) out.ascii(',');
      out.number(v);
    });
    out.byte(0x5d);
  }
  toJSON(): number[] {
    return this.values;
  }
}

describe('writeJson', () => {
  it('writes the text of JSON.stringify for any JSON value, in UTF-8', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(textOf(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('leaves out what JSON.stringify leaves out and calls toJSON', () => {
    const value = { a: undefined, b: () => 1, c: Symbol('c'), d: new Date(0), e: [undefined, 1, () => 2], f: null, g: { h: undefined, toJSON: () => 'g' } };
    expect(textOf(value)).toBe(JSON.stringify(value));
  });

  it('lets a value write its own text, the same as its toJSON gives', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.double({ noNaN: true }), fc.integer({ min: -1e6, max: -1 }))), (values) => {
        const value = { n: new Numbers(values), list: [new Numbers(values.slice(0, 2)), 'x'] };
        expect(textOf(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('writes a large value in chunks of about a megabyte', () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ a: `10.0.${i >> 8}.${i & 255}`, port_a: i, frames: i * 3, rel_start: (i / 7).toFixed(9) }));
    const value = { packets: 1, conversations: { tcp: rows, udp: rows.slice(0, 5000), ipv4: [] }, names: { 'é.example': ['2001:db8::1'], 'long': 'x'.repeat(3 << 20) } };
    const chunks = chunksOf(value);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(JSON.stringify(value));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(0, -2)) expect(chunk.length).toBeLessThanOrEqual(1 << 20);
  });

  it('takes long arrays apart at any length around the slice size', () => {
    for (const n of [2047, 2048, 2049, 4096, 4097]) {
      const value = { list: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i)) };
      expect(textOf(value)).toBe(JSON.stringify(value));
    }
  });
});
