import { isIPv4, isIPv6 } from 'node:net';

/** An address as 16 bytes, IPv4 stored as IPv4-mapped IPv6 (the flow key's convention). */
export type IpBytes = Uint8Array;

export interface Cidr {
  /** Network address with host bits cleared. */
  network: IpBytes;
  /** Prefix length counted over the 128-bit (mapped) form. */
  bits: number;
  /** The canonical text, e.g. `10.0.0.0/8` or `2001:db8::/32`. */
  text: string;
}

export function parseIp(text: string): IpBytes | undefined {
  const bare = text.trim();
  if (isIPv4(bare)) return mappedV4(bare);
  if (!isIPv6(bare) || bare.includes('%')) return undefined;
  return parseV6(bare);
}

export function isV4Mapped(bytes: IpBytes): boolean {
  for (let i = 0; i < 10; i += 1) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

export function formatIp(bytes: IpBytes): string {
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i += 1; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function sameIp(a: IpBytes, b: IpBytes): boolean {
  for (let i = 0; i < 16; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses `addr/bits`; refuses host bits set so that `10.1.2.3/8` is not silently read as `10.0.0.0/8`. */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const address = parseIp(addressText);
  if (address === undefined) return { ok: false, reason: `'${addressText}' is not an IPv4 or IPv6 address` };
  const v4 = isIPv4(addressText);
  const maxBits = v4 ? 32 : 128;
  let bits = maxBits;
  if (slash >= 0) {
    const bitsText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) {
      return { ok: false, reason: `prefix length '${bitsText}' must be a whole number from 0 to ${maxBits}` };
    }
    bits = Number(bitsText);
  }
  const totalBits = v4 ? bits + 96 : bits;
  const network = maskTo(address, totalBits);
  if (!sameIp(network, address)) {
    const suggestion = `${formatIp(network)}/${bits}`;
    return { ok: false, reason: `host bits are set in '${trimmed}'; did you mean ${suggestion}?` };
  }
  // A mapped IPv4 network written in IPv6 form reads back as plain IPv4.
  const shownBits = isV4Mapped(network) ? totalBits - 96 : totalBits;
  return { ok: true, cidr: { network, bits: totalBits, text: `${formatIp(network)}/${shownBits}` } };
}

export function cidrContains(cidr: Cidr, address: IpBytes): boolean {
  const whole = cidr.bits >> 3;
  for (let i = 0; i < whole; i += 1) if (cidr.network[i] !== address[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === cidr.network[whole];
}

function maskTo(address: IpBytes, bits: number): IpBytes {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i += 1) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = address[i] & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function mappedV4(text: string): IpBytes {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  text.split('.').forEach((part, i) => { out[12 + i] = Number(part); });
  return out;
}

function parseV6(text: string): IpBytes {
  // isIPv6 has already vouched for the syntax; expand `::` and a trailing dotted quad.
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = mappedV4(body.slice(lastColon + 1));
    tail.push((v4[12] << 8) | v4[13], (v4[14] << 8) | v4[15]);
    body = `${body.slice(0, lastColon + 1)}0`;
    // The placeholder group is replaced by the two groups of the dotted quad below.
  }
  const [head, rest] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  let groups: number[];
  if (rest === undefined) {
    groups = headGroups.map((g) => parseInt(g, 16));
  } else {
    const missing = 8 - headGroups.length - restGroups.length - (tail.length > 0 ? 1 : 0);
    groups = [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups].map((g) => parseInt(g, 16));
  }
  if (tail.length > 0) groups = [...groups.slice(0, groups.length - 1), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { out[i * 2] = g >> 8; out[i * 2 + 1] = g & 0xff; });
  return out;
}
