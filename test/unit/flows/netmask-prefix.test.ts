import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { netmaskPrefix } from '../../../src-shared/ip';

/** The netmask of a prefix, written as libpcap lists interface masks. */
function v4Mask(prefix: number): string {
  const n = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

function v6Mask(prefix: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - g * 16));
    groups.push((bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  return groups.join(':');
}

describe('netmask prefix', () => {
  it('reads every IPv4 and IPv6 prefix length back from its mask', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 32 }), (p) => netmaskPrefix(v4Mask(p)) === p));
    fc.assert(fc.property(fc.integer({ min: 0, max: 128 }), (p) => netmaskPrefix(v6Mask(p)) === p));
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('ffff:ffff:ffff:ffff::')).toBe(64);
  });

  it('says null for a mask that is not contiguous or not an address', () => {
    expect(netmaskPrefix('255.0.255.0')).toBeNull();
    expect(netmaskPrefix('ffff::ffff')).toBeNull();
    expect(netmaskPrefix('not a mask')).toBeNull();
  });
});
