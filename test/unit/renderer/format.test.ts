import { describe, expect, it } from 'vitest';
import { formatBitRate, formatBitRateAxis, formatBytes, formatByteRateAsBits, formatCount, formatPacketRate } from '../../../src-renderer/format/units';
import { formatClock, formatDuration, formatLocalDateTime, formatSeen, parseLocalDateTime } from '../../../src-renderer/format/time';
import { cidrContains, isCidr, parseCidr, parseIp } from '../../../src-shared/ip';

describe('bit rates (SI, as links are sold)', () => {
  it.each([
    [0, '0 bit/s'],
    [999, '999 bit/s'],
    [1000, '1.00 kbit/s'],
    [1250, '1.25 kbit/s'],
    [12_500_000, '12.5 Mbit/s'],
    [999_600, '1.00 Mbit/s'],
    [1e9, '1.00 Gbit/s'],
    [123_400_000_000, '123 Gbit/s'],
  ])('%d bit/s reads %s', (v, text) => expect(formatBitRate(v)).toBe(text));

  it('converts bytes per second to bits', () => expect(formatByteRateAsBits(125_000)).toBe('1.00 Mbit/s'));
  it('shows a dash for a missing value', () => expect(formatBitRate(Number.NaN)).toBe('–'));
  it('labels axes compactly', () => {
    expect(formatBitRateAxis(0)).toBe('0');
    expect(formatBitRateAxis(1_500_000)).toBe('1.5M');
    expect(formatBitRateAxis(2e9)).toBe('2G');
  });
});

describe('byte sizes (IEC)', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [12 * 1024 * 1024, '12.0 MiB'],
    [5 * 1024 ** 3, '5.00 GiB'],
  ])('%d bytes reads %s', (v, text) => expect(formatBytes(v)).toBe(text));

  it('packet rates and counts', () => {
    expect(formatPacketRate(12)).toBe('12 pkt/s');
    expect(formatPacketRate(1200)).toBe('1.20 kpkt/s');
    expect(formatCount(1234567)).toBe((1234567).toLocaleString());
  });
});

describe('local time', () => {
  const t = new Date(2026, 10, 25, 9, 5, 7, 42).getTime();
  it('shows clock and date in the local zone', () => {
    expect(formatClock(t)).toBe('09:05:07');
    expect(formatLocalDateTime(t)).toBe('2026-11-25 09:05:07');
    expect(formatLocalDateTime(t, true)).toBe('2026-11-25 09:05:07.042');
  });
  it('drops the date for today only', () => {
    expect(formatSeen(t, t + 3600_000)).toBe('09:05:07');
    expect(formatSeen(t, t + 86_400_000)).toBe('2026-11-25 09:05:07');
  });
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
  });
});

describe('typed local dates and times (ISO, as the app shows them)', () => {
  it('reads what the app writes, back to the same instant', () => {
    const t = new Date(2025, 0, 31, 14, 3, 27, 250).getTime();
    expect(parseLocalDateTime(formatLocalDateTime(t, true))).toBe(t);
    expect(parseLocalDateTime('2025-01-31 14:03:27')).toBe(t - 250);
    expect(parseLocalDateTime('2025-01-31T14:03:27.25')).toBe(t);
    expect(parseLocalDateTime(' 2025-01-31 14:03 ')).toBe(t - 27_250);
    expect(parseLocalDateTime('2025-01-31')).toBe(new Date(2025, 0, 31).getTime());
  });
  it('explains what it cannot read', () => {
    expect(parseLocalDateTime('01/31/2025')).toEqual({ error: expect.stringMatching(/like 2025-01-31 14:03:27/) });
    expect(parseLocalDateTime('2025-13-01')).toEqual({ error: 'month 13 must be 01 to 12' });
    expect(parseLocalDateTime('2025-02-30')).toEqual({ error: 'day 30 must be 01 to 28 in 2025-02' });
    expect(parseLocalDateTime('2024-02-29 24:00')).toEqual({ error: expect.stringMatching(/must be 00:00:00 to 23:59:59/) });
    expect(parseLocalDateTime('2025-01-31 14:03:27.1234')).toHaveProperty('error');
  });
});

describe('addresses and CIDR blocks', () => {
  const cidr = (s: string) => {
    const c = parseCidr(s);
    if (!isCidr(c)) throw new Error(c.error);
    return c;
  };
  const ip = (s: string) => {
    const b = parseIp(s);
    if (!b) throw new Error(`bad ${s}`);
    return b;
  };
  it('matches IPv4 prefixes', () => {
    expect(cidrContains(cidr('10.0.0.0/8'), ip('10.200.3.4'))).toBe(true);
    expect(cidrContains(cidr('10.0.0.0/8'), ip('11.0.0.1'))).toBe(false);
    expect(cidrContains(cidr('192.168.1.128/25'), ip('192.168.1.200'))).toBe(true);
    expect(cidrContains(cidr('192.168.1.128/25'), ip('192.168.1.100'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), ip('8.8.8.8'))).toBe(true);
    expect(cidrContains(cidr('0.0.0.0/0'), ip('2001:db8::1'))).toBe(false);
  });
  it('matches IPv6 prefixes, compressed forms and mapped IPv4', () => {
    expect(cidrContains(cidr('2001:db8::/32'), ip('2001:0db8:ffff::1'))).toBe(true);
    expect(cidrContains(cidr('2001:db8::/32'), ip('2001:db9::1'))).toBe(false);
    expect(cidrContains(cidr('fe80::/10'), ip('fe80::1%eth0'))).toBe(true);
    expect(cidrContains(cidr('10.1.2.3'), ip('::ffff:10.1.2.3'))).toBe(true);
    expect(cidrContains(cidr('::1'), ip('0:0:0:0:0:0:0:1'))).toBe(true);
  });
  it('explains what is wrong with bad input', () => {
    expect(parseCidr('10.0.0.0/33')).toEqual({ error: "prefix length '33' must be a whole number from 0 to 32" });
    expect(parseCidr('300.1.1.1')).toHaveProperty('error');
    expect(parseCidr('1::2::3')).toHaveProperty('error');
    expect(parseCidr('example.com')).toHaveProperty('error');
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeNull();
  });
});
