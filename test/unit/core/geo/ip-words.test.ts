import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsnFileError, AsnRanges } from '../../../../src-main/core/geo/asn-ranges';
import { parseIpWords } from '../../../../src-main/core/geo/ip-words';
import { parseIp } from '../../../../src-shared/ip';

function words(text: string): number[] | null {
  const out = new Uint32Array(4);
  return parseIpWords(text, 0, text.length, out, 0) ? [...out] : null;
}

function expected(text: string): number[] | null {
  const bytes = parseIp(text);
  if (bytes === null) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return [0, 4, 8, 12].map((o) => view.getUint32(o));
}

describe('parseIpWords', () => {
  it('reads every IPv4 and IPv6 address as the shared address parser does', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
      expect(words(ip)).toEqual(expected(ip));
    }), { numRuns: 3000 });
  });

  it('refuses what is no address, and accepts only what node:net accepts', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.x /%'.split(''));
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 45 }).map((cs) => cs.join('')), (text) => {
      const got = words(text);
      if (net.isIP(text) === 0) expect(got).toBeNull();
      else expect(got).toEqual(expected(text));
    }), { numRuns: 20_000 });
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', ':::', '1:2:3:4:5:6:7:8:9', '::1::', '12345::', 'g::1', '1.2.3.4:']) {
      expect(words(bad), bad).toBeNull();
    }
  });
});

describe('AsnRanges', () => {
  it('finds ranges given out of order and leaves gaps unanswered', () => {
    const ranges = AsnRanges.parse([{ source: 't', text: '9.0.0.0,9.0.0.255,3,C\r\n1.0.0.0,1.0.0.255,1,"A, ""quoted"""\n2001::,2001::ff,2,\n' }]);
    const at = (ip: string) => {
      const w = new Uint32Array(4);
      parseIpWords(ip, 0, ip.length, w, 0);
      return ranges.lookup(w, 0);
    };
    expect(at('1.0.0.7')).toEqual({ asn: 1, name: 'A, "quoted"' });
    expect(at('9.0.0.255')).toEqual({ asn: 3, name: 'C' });
    expect(at('2001::80')).toEqual({ asn: 2, name: '' });
    expect(at('1.0.1.0')).toBeNull();
    expect(at('0.255.255.255')).toBeNull();
    expect(at('2001::100')).toBeNull();
  });

  it('reads files of many chunks in slices as parse reads them whole, and names a bad line by its number in its file', async () => {
    // 60,000 lines (over 2 MiB, several decoded chunks), one far longer than a chunk, and a second file.
    const lines = Array.from({ length: 60_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0,10.${i >> 8}.${i & 255}.255,${64_512 + (i % 1000)},AS number ${i % 1000}`);
    lines[30_000] = `10.117.48.0,10.117.48.255,65000,"${'x'.repeat(1_500_000)}"`;
    const files = [{ source: 'a.csv', text: `${lines.join('\n')}\n` }, { source: 'b.csv', text: '2001:db8::,2001:db8::ffff,64496,Doc' }];
    const whole = AsnRanges.parse(files);
    const sliced = await AsnRanges.parseInSlices(files.map((f) => ({ source: f.source, bytes: Buffer.from(f.text) })), 1);
    expect(sliced.size).toBe(60_001);
    const words = new Uint32Array(4);
    for (const ip of ['10.0.0.1', '10.117.48.9', '10.234.95.255', '2001:db8::5']) {
      parseIpWords(ip, 0, ip.length, words, 0);
      expect(sliced.lookup(words, 0), ip).toEqual(whole.lookup(words, 0));
    }
    expect(sliced.lookup((parseIpWords('10.117.48.9', 0, 11, words, 0), words), 0)?.name).toHaveLength(1_500_000);
    const broken = [...lines];
    broken[54_321] = '10.0.0.0,oops,1,x';
    await expect(AsnRanges.parseInSlices([{ source: 'c.csv', bytes: Buffer.from(broken.join('\r\n')) }])).rejects.toThrow(/^c\.csv line 54322: /);
  });

  it('names the bad line of any garbage instead of throwing something else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      try {
        AsnRanges.parse([{ source: 'fuzz', text }]);
      } catch (err) {
        expect(err).toBeInstanceOf(AsnFileError);
        expect((err as Error).message).toMatch(/^fuzz/);
      }
    }), { numRuns: 5000 });
  });
});
