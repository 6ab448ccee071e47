import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { CaptureEngine } from '../../../src-capture-helper/pipeline/engine';
import { writeFixed } from '../../../src-capture-helper/report/conversation-table';
import { JsonWriter, writeJson } from '../../../src-capture-helper/util/write-json';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');
const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.truth.json')).map((f) => f.slice(0, -'.truth.json'.length));

function streamed(value: unknown): string {
  const chunks: Buffer[] = [];
  writeJson(value, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

describe('the JSON report written from the tables', () => {
  it('finds the fixtures', () => {
    expect(captures.length).toBeGreaterThan(30);
  });

  for (const name of captures) {
    it(`is JSON.stringify's text of the report for ${name}`, () => {
      const engine = new CaptureEngine();
      const report = engine.finish(name, readCaptureFile(path.join(FIXTURES, name), engine));
      const text = streamed(report);
      expect(text).toBe(JSON.stringify(report));
      // And the rows are there: the streamed text is not an empty shell.
      const parsed = JSON.parse(text) as { conversations: Record<string, unknown[]> };
      for (const kind of ['tcp', 'udp', 'ipv4', 'ipv6'] as const) expect(parsed.conversations[kind]).toHaveLength(report.conversations.rows(kind).length);
    });
  }
});

describe('fixed-point times written as digits', () => {
  function fixed(v: number, decimals: number): string {
    const chunks: Buffer[] = [];
    const out = new JsonWriter((chunk) => chunks.push(Buffer.from(chunk)));
    writeFixed(out, v, decimals);
    out.end();
    return Buffer.concat(chunks).toString('utf8');
  }

  it('are toFixed of the same number, 9 and 4 decimals, halves and their neighbours included', () => {
    const decimals = fc.constantFrom(9, 4);
    // Times as the tables form them (a difference of two sec + nsec / 1e9), any double, and values next to a half.
    const times = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 999_999_999 }))
      .map(([s1, n1, s2, n2]) => s1 + n1 / 1e9 - (s2 + n2 / 1e9));
    const halves = fc.tuple(fc.integer({ min: 0, max: 10 ** 6 }), fc.integer({ min: 0, max: 10 ** 9 - 1 }), fc.integer({ min: -4, max: 4 }))
      .map(([whole, digits, ulps]) => {
        let v = whole + (digits + 0.5) / 1e9;
        for (let i = 0; i < Math.abs(ulps); i++) v = ulps > 0 ? nextUp(v) : -nextUp(-v);
        return v;
      });
    fc.assert(
      fc.property(fc.oneof(times, halves, fc.double({ noNaN: true })), decimals, (v, d) => fixed(v, d) === v.toFixed(d)),
      { numRuns: 5000 },
    );
    for (const v of [0, -0, 0.5, 0.00005, 0.99995, 1.99999999995, 2 ** 31 - 1e-9, 2 ** 31, 1e21, Infinity, -Infinity, NaN]) {
      expect(fixed(v, 9)).toBe(v.toFixed(9));
      expect(fixed(v, 4)).toBe(v.toFixed(4));
    }
  });
});

/** The next double above `v` (v finite). */
function nextUp(v: number): number {
  const b = new Float64Array([v]);
  const bits = new BigInt64Array(b.buffer);
  if (v === 0) return Number.MIN_VALUE;
  bits[0] += v > 0 ? 1n : -1n;
  return b[0];
}
