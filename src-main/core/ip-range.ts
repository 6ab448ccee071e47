import net from 'node:net';

/** An address as 16 bytes (IPv4 as IPv4-mapped IPv6), so v4 and v6 sort and compare in one space. */
export function ipToBytes(text: string): Buffer | null {
  const kind = net.isIP(text);
  if (kind === 4) {
    const out = Buffer.alloc(16);
    out[10] = 0xff;
    out[11] = 0xff;
    text.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
    return out;
  }
  if (kind !== 6) return null;
  let address = text.replace(/%.*$/, '');
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4Tail !== null) {
    const v4 = ipToBytes(v4Tail[1]);
    if (v4 === null) return null;
    address = `${address.slice(0, -v4Tail[1].length)}${v4.readUInt16BE(12).toString(16)}:${v4.readUInt16BE(14).toString(16)}`;
  }
  const [head, tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export interface IpRange {
  lo: Buffer;
  hi: Buffer;
}

/** Parses `ADDRESS` or `ADDRESS/PREFIX` (v4 or v6) into the inclusive range of 16-byte addresses it covers. */
export function parseIpRange(text: string): IpRange | { error: string } {
  const [addr, prefixText, extra] = text.trim().split('/');
  const bytes = ipToBytes(addr);
  if (bytes === null || extra !== undefined) return { error: `${JSON.stringify(text)} is not an IP address or CIDR block` };
  const v4 = net.isIPv4(addr);
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return { error: `prefix of ${JSON.stringify(text)} must be 0..${max}` };
    }
    prefix = Number(prefixText);
  }
  const bits = v4 ? prefix + 96 : prefix;
  const lo = Buffer.from(bytes);
  const hi = Buffer.from(bytes);
  for (let bit = bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte] &= ~mask;
    hi[byte] |= mask;
  }
  return { lo, hi };
}

export function inRange(address: Buffer, range: IpRange): boolean {
  return Buffer.compare(address, range.lo) >= 0 && Buffer.compare(address, range.hi) <= 0;
}
