/** IP addresses and CIDR blocks, once for main (flow filter and sort, alert rules, history) and the dashboard:
 *  parsing, formatting and matching. Addresses become 16-byte arrays (IPv4 as IPv4-mapped IPv6, as the capture
 *  engine keys flows), so one prefix comparison serves both families. */

/** An address as 16 bytes, IPv4 stored as IPv4-mapped IPv6. */
export type IpBytes = Uint8Array;

export interface Cidr {
  /** The network: host bits are clear. */
  bytes: IpBytes;
  /** Prefix length in bits over the 16-byte form (an IPv4 /n is 96 + n). */
  bits: number;
  /** Canonical text: `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

function parseIpv6(s: string): number[] | null {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = fastIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = Array.from(v4.subarray(12));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Dotted quad straight into the mapped form, without allocating: the filter and sort parse 100k addresses. */
function fastIpv4(t: string): Uint8Array | null {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= t.length; i++) {
    const c = i < t.length ? t.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46 && digits > 0 && part < 4) {
      out[12 + part++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  return part === 4 ? out : null;
}

/** 16 bytes for an IPv4 or IPv6 address, or null when `s` is neither. */
export function parseIp(s: string): Uint8Array | null {
  const t = s.trim();
  if (t.includes(':')) {
    const v6 = parseIpv6(t);
    return v6 ? Uint8Array.from(v6) : null;
  }
  return fastIpv4(t);
}

export function isV4Mapped(bytes: IpBytes): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Dotted quad for IPv4 (and mapped IPv4), RFC 5952 for IPv6: the longest run of two or more zero groups
 *  compressed (the first on ties), lower-case hex, as tshark and inet_ntop write them. */
export function formatIp(bytes: IpBytes): string {
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function sameIp(a: IpBytes, b: IpBytes): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

function maskTo(address: IpBytes, bits: number): IpBytes {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = address[i] & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits set are refused with the
 * network meant, so `10.1.2.3/8` is never silently read as `10.0.0.0/8` (nor as the host): the flow filter
 * and alert rules give the same answer. Returns an error message for anything else.
 */
export function parseCidr(s: string): Cidr | { error: string } {
  const t = s.trim();
  const slash = t.indexOf('/');
  const addrText = slash >= 0 ? t.slice(0, slash) : t;
  const address = parseIp(addrText);
  if (!address) return { error: `'${addrText}' is not an IPv4 or IPv6 address` };
  const isV4 = !addrText.includes(':');
  const max = isV4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return { error: `prefix length '${p}' must be a whole number from 0 to ${max}` };
    prefix = Number(p);
  }
  const bits = isV4 ? 96 + prefix : prefix;
  const bytes = maskTo(address, bits);
  if (!sameIp(bytes, address)) return { error: `host bits are set in '${t}'; did you mean ${formatIp(bytes)}/${prefix}?` };
  // A mapped IPv4 network written in IPv6 form reads back as plain IPv4.
  const shown = isV4Mapped(bytes) && bits >= 96 ? bits - 96 : bits;
  return { bytes, bits, text: `${formatIp(bytes)}/${shown}` };
}

/** Prefix length of a netmask as libpcap lists it (`255.255.255.0` is 24, `ffff:ffff::` is 32); null when it is
 *  not an address or not a contiguous mask. */
export function netmaskPrefix(netmask: string): number | null {
  const bytes = parseIp(netmask);
  if (bytes === null) return null;
  let bits = 0;
  let ended = false;
  for (let i = isV4Mapped(bytes) ? 12 : 0; i < 16; i++) {
    for (let b = 7; b >= 0; b--) {
      const set = ((bytes[i] >> b) & 1) === 1;
      if (set && ended) return null;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}

export function cidrContains(cidr: Cidr, addr: Uint8Array): boolean {
  const full = cidr.bits >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== addr[i]) return false;
  const rem = cidr.bits & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (cidr.bytes[full] & mask) === (addr[full] & mask);
}

export function isCidr(v: Cidr | { error: string }): v is Cidr {
  return 'bytes' in v;
}

/** Parsed addresses, shared by the flow filter and sort: a table of 100k flows repeats its addresses on every
 *  keystroke and every update. Bounded: when full it starts over. */
const IP_CACHE_MAX = 262_144;
const ipCache = new Map<string, Uint8Array | null>();

export function parseIpCached(s: string): Uint8Array | null {
  let v = ipCache.get(s);
  if (v === undefined) {
    if (ipCache.size >= IP_CACHE_MAX) ipCache.clear();
    v = parseIp(s);
    ipCache.set(s, v);
  }
  return v;
}
