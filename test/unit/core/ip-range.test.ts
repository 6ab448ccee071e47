import { describe, expect, it } from 'vitest';
import { inRange, ipToBytes, parseIpRange, type IpRange } from '../../../src-main/core/ip-range';

function range(text: string): IpRange {
  const r = parseIpRange(text);
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('ip ranges', () => {
  it('maps IPv4 into IPv6 and expands :: forms', () => {
    expect(ipToBytes('192.0.2.1')?.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipToBytes('::ffff:192.0.2.1')?.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipToBytes('2001:db8::1')?.toString('hex')).toBe('20010db8000000000000000000000001');
    expect(ipToBytes('::1')?.toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipToBytes('fe80::1%eth0')?.toString('hex')).toBe('fe800000000000000000000000000001');
    expect(ipToBytes('999.1.1.1')).toBeNull();
  });

  it('matches CIDR blocks of both families', () => {
    const net24 = range('10.1.2.0/24');
    expect(inRange(ipToBytes('10.1.2.255')!, net24)).toBe(true);
    expect(inRange(ipToBytes('10.1.3.0')!, net24)).toBe(false);
    expect(inRange(ipToBytes('10.1.2.7')!, range('10.1.2.7'))).toBe(true);
    expect(inRange(ipToBytes('8.8.8.8')!, range('0.0.0.0/0'))).toBe(true);
    expect(inRange(ipToBytes('2001:db8::1')!, range('0.0.0.0/0'))).toBe(false);
    expect(inRange(ipToBytes('2001:db8:0:1::5')!, range('2001:db8::/48'))).toBe(true);
    expect(inRange(ipToBytes('2001:db9::5')!, range('2001:db8::/32'))).toBe(false);
  });

  it('explains bad input', () => {
    expect(parseIpRange('10.0.0.0/33')).toEqual({ error: expect.stringMatching(/0\.\.32/) });
    expect(parseIpRange('host.example')).toEqual({ error: expect.stringMatching(/not an IP/) });
  });
});
