import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeJson } from '../../../src-capture-helper/util/write-json';

function pieces(value: unknown): string[] {
  const out: string[] = [];
  writeJson(value, (text) => out.push(text));
  return out;
}

describe('writeJson', () => {
  it('writes the text of JSON.stringify for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(pieces(value).join('')).toBe(JSON.stringify(value));
      }),
    );
  });

  it('leaves out what JSON.stringify leaves out and keeps toJSON', () => {
    const value = { a: undefined, b: () => 1, c: Symbol('c'), d: new Date(0), e: [undefined, 1], f: null, g: { h: undefined } };
    expect(pieces(value).join('')).toBe(JSON.stringify(value));
  });

  it('writes a report-sized value in pieces of about a megabyte, each in order', () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ a: `10.0.${i >> 8}.${i & 255}`, port_a: i, frames: i * 3, rel_start: (i / 7).toFixed(9) }));
    const report = { packets: 1, conversations: { tcp: rows, udp: rows.slice(0, 5000), ipv4: [] }, names: { 'é.example': ['2001:db8::1'] } };
    const out = pieces(report);
    expect(out.join('')).toBe(JSON.stringify(report));
    expect(out.length).toBeGreaterThan(3);
    for (const piece of out) expect(piece.length).toBeLessThan(2 * (1 << 20));
  });

  it('takes long arrays apart at any length around the slice size', () => {
    for (const n of [2047, 2048, 2049, 4096, 4097]) {
      const value = { list: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i)) };
      expect(pieces(value).join('')).toBe(JSON.stringify(value));
    }
  });
});
