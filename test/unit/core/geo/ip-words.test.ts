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
