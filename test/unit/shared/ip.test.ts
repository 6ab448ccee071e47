import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains, cidrContainsWords, formatIp, formatIpv6, formatIpv6Words, formatIpWords, ipWords, isCidr, netmaskPrefix, parseCidr, parseIp, type Cidr,
} from '../../../src-shared/ip';
import { compileFlowFilter } from '../../../src-shared/flow-query';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));
const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (!isCidr(c)) throw new Error(c.error);
  return c;
};
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('the one address module (src-shared/ip.ts)', () => {
  it('maps IPv4 into IPv6, expands :: forms and drops a zone', () => {
    expect(hex(parseIp('192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(parseIp('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(parseIp('2001:db8::1'))).toBe('20010db8000000000000000000000001');
    expect(hex(parseIp('::1'))).toBe('00000000000000000000000000000001');
    expect(hex(parseIp('fe80::1%eth0'))).toBe('fe800000000000000000000000000001');
    for (const bad of ['999.1.1.1', '1.2.3', '1.2.3.4.5', '1:2:3:4:5:6:7:8:9', '1::2::3', 'host.example', '', ':::', '12345::']) expect(parseIp(bad), bad).toBeNull();
  });

  it('formats IPv6 as tshark does (RFC 5952: longest zero run of two or more, the first on ties, lower case)', () => {
    expect(formatIp(parseIp('2001:0DB8:0:0:1:0:0:1') as Uint8Array)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1') as Uint8Array)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('::') as Uint8Array)).toBe('::');
    expect(formatIp(parseIp('::ffff:10.0.0.1') as Uint8Array)).toBe('10.0.0.1');
  });

  it('reads every address Node reads, to the same text Node writes for IPv6 (fast-check)', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const bytes = parseIp(text);
      expect(bytes, text).not.toBeNull();
      const formatted = formatIp(bytes as Uint8Array);
      expect(parseIp(formatted)).toEqual(bytes);
      // Node's URL host serialiser writes RFC 5952 too; mapped IPv4 is ours to write as a dotted quad.
      if (net.isIPv6(text) && !formatted.includes('.')) expect(formatted).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
    }), { numRuns: 2000 });
  });

  it('formats and parses any 16 bytes back to themselves (fast-check)', () => {
    fc.assert(fc.property(bytes16, (b) => {
      expect(parseIp(formatIp(b))).toEqual(b);
    }), { numRuns: 2000 });
  });

  it('refuses what Node refuses, never throwing (fast-check)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 48 }), (text) => {
      const bytes = parseIp(text);
      const plain = text.trim().replace(/%.*$/, '');
      if (bytes !== null) expect(net.isIP(plain) !== 0 || /^(\d{1,3}\.){3}\d{1,3}$/.test(plain), text).toBe(true);
    }), { numRuns: 3000 });
  });

  it('matches CIDR blocks of both families', () => {
    const in24 = cidr('10.1.2.0/24');
    expect(cidrContains(in24, parseIp('10.1.2.255') as Uint8Array)).toBe(true);
    expect(cidrContains(in24, parseIp('10.1.3.0') as Uint8Array)).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), parseIp('8.8.8.8') as Uint8Array)).toBe(true);
    expect(cidrContains(cidr('0.0.0.0/0'), parseIp('2001:db8::1') as Uint8Array)).toBe(false);
    expect(cidrContains(cidr('2001:db8::/48'), parseIp('2001:db8:1::5') as Uint8Array)).toBe(false);
    expect(cidrContains(cidr('2001:db8::/32'), parseIp('2001:db8:0:1::5') as Uint8Array)).toBe(true);
    expect(cidrContains(cidr('::ffff:10.0.0.0/104'), parseIp('10.9.9.9') as Uint8Array)).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toEqual({ error: "prefix length '33' must be a whole number from 0 to 32" });
  });

  it('a network contains exactly the addresses that share its prefix, and its text reads back to it (fast-check)', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 128 }), bytes16, (address, n, other) => {
      const v4 = !address.includes(':');
      const bits = v4 ? n % 33 : n;
      const probe = parseCidr(`${address}/${bits}`);
      const text = isCidr(probe) ? probe.text : /did you mean (\S+)\?$/.exec(probe.error)?.[1];
      expect(text, probe && JSON.stringify(probe)).toBeDefined();
      const network = cidr(text as string);
      expect(network.text).toBe(text);
      expect(cidrContains(network, parseIp(address) as Uint8Array)).toBe(true);
      // Another address is inside exactly when its first `bits` bits equal the network's.
      const total = network.bits;
      const prefixBits = (b: Uint8Array) => [...b].map((x) => x.toString(2).padStart(8, '0')).join('').slice(0, total);
      expect(cidrContains(network, other)).toBe(prefixBits(other) === prefixBits(network.bytes));
    }), { numRuns: 2000 });
  });

  it('reads 10.1.2.3/8 the same way in the flow filter and in alert rules: refused, naming the network meant', () => {
    const meant = "host bits are set in '10.1.2.3/8'; did you mean 10.0.0.0/8?";
    expect(parseCidr('10.1.2.3/8')).toEqual({ error: meant });
    expect(() => compileFlowFilter({ ip: '10.1.2.3/8' })).toThrow(meant);
    const rule = validateRuleSpec({ name: 'r', metric: 'bps', direction: 'both', comparison: 'above', threshold: 1, scope: { kind: 'cidr', cidr: '10.1.2.3/8' }, windowSec: 10, forSec: 0, cooldownSec: 60, severity: 'warning', channels: [], enabled: true });
    expect(JSON.stringify(rule)).toContain(meant);
    expect(() => compileFlowFilter({ ip: '10.0.0.0/8' })).not.toThrow();
  });

  it('ends IPv4-compatible and IPv4-mapped IPv6 in a dotted quad, as tshark (inet_ntop) does', () => {
    expect(formatIpv6(parseIp('::ffff:192.0.2.1') as Uint8Array)).toBe('::ffff:192.0.2.1');
    expect(formatIp(parseIp('::192.0.2.1') as Uint8Array)).toBe('::192.0.2.1');
    expect(formatIp(parseIp('::0.1.0.0') as Uint8Array)).toBe('::0.1.0.0');
    expect(formatIp(parseIp('::1') as Uint8Array)).toBe('::1');
    expect(formatIp(parseIp('::1:0:0') as Uint8Array)).toBe('::1:0:0');
    expect(formatIp(parseIp('::ffff:0:102:304') as Uint8Array)).toBe('::ffff:0:102:304');
  });

  it('formats the word layout of the flow table to the same text as the bytes, at any offset, and reads it back (fast-check)', () => {
    fc.assert(fc.property(bytes16, fc.boolean(), fc.nat(8), (raw, mapped, at) => {
      const b = Uint8Array.from(raw);
      if (mapped) b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
      const words = new Uint32Array(at + 4);
      ipWords(b, words, at);
      const padded = new Uint8Array(at + 16);
      padded.set(b, at);
      expect(formatIpWords(words, at)).toBe(formatIp(b));
      expect(formatIp(padded, at)).toBe(formatIp(b));
      expect(formatIpv6Words(words, at)).toBe(formatIpv6(b));
      expect(formatIpv6(padded, at)).toBe(formatIpv6(b));
      expect(parseIp(formatIpWords(words, at))).toEqual(b);
      expect(parseIp(formatIpv6Words(words, at))).toEqual(b);
    }), { numRuns: 3000 });
  });

  it('matches a CIDR block against the word layout exactly as against bytes (fast-check)', () => {
    const block = fc.tuple(bytes16, fc.integer({ min: 0, max: 128 }), fc.boolean()).map(([raw, n, v4]) => {
      const address = v4 ? `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}` : formatIpv6(raw);
      const bits = v4 ? n % 33 : n;
      const probe = parseCidr(`${address}/${bits}`);
      return cidr(isCidr(probe) ? probe.text : (/did you mean (\S+)\?$/.exec(probe.error)?.[1] as string));
    });
    // Addresses near the block as well as anywhere, so both answers are exercised.
    const address = fc.oneof(bytes16, fc.tuple(block, bytes16, fc.nat(128)).map(([c, raw, keep]) => {
      const b = Uint8Array.from(raw);
      for (let bit = 0; bit < Math.min(keep, c.bits); bit++) {
        const mask = 0x80 >> (bit & 7);
        b[bit >> 3] = (b[bit >> 3] & ~mask) | (c.bytes[bit >> 3] & mask);
      }
      return b;
    }));
    fc.assert(fc.property(block, address, fc.nat(8), (c, b, at) => {
      const words = new Uint32Array(at + 4);
      ipWords(b, words, at);
      expect(cidrContainsWords(c, words, at)).toBe(cidrContains(c, b));
    }), { numRuns: 5000 });
  });

  it('reads netmasks as prefix lengths', () => {
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('255.255.255.255')).toBe(32);
    expect(netmaskPrefix('0.0.0.0')).toBe(0);
    expect(netmaskPrefix('ffff:ffff::')).toBe(32);
    expect(netmaskPrefix('255.0.255.0')).toBeNull();
    expect(netmaskPrefix('nonsense')).toBeNull();
  });
});
