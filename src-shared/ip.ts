/** IP addresses and CIDR blocks, once for the capture helper, main (flow filter and sort, alert rules, history) and
 *  the dashboard: parsing, formatting (as tshark writes addresses) and matching. Addresses become 16-byte arrays (IPv4 as IPv4-mapped IPv6, as the capture
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
  return isV4MappedAt(bytes, 0);
}

function isV4MappedAt(bytes: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[off + i] !== 0) return false;
  return bytes[off + 10] === 0xff && bytes[off + 11] === 0xff;
}

/** Dotted quad for IPv4 (and mapped IPv4), IPv6 as tshark writes it (see formatIpv6Words). */
export function formatIp(bytes: IpBytes, off = 0): string {
  return isV4MappedAt(bytes, off) ? formatIpv4(bytes, off + 12) : formatIpv6(bytes, off);
}

/** Dotted quad of the four bytes at `off`. */
export function formatIpv4(bytes: Uint8Array, off: number): string {
  return `${bytes[off]}.${bytes[off + 1]}.${bytes[off + 2]}.${bytes[off + 3]}`;
}

const scratchWords = new Uint32Array(4);

/** IPv6 text of the 16 bytes at `off`, always in IPv6 form (a mapped address stays `::ffff:a.b.c.d`). */
export function formatIpv6(bytes: Uint8Array, off = 0): string {
  ipWords(bytes, scratchWords, 0, off);
  return formatIpv6Words(scratchWords, 0);
}

/*
 * The capture engine keys flows by addresses as four big-endian 32-bit words (IPv4 as mapped IPv6), so the helper
 * formats, parses and matches in that layout without going through bytes: formatting runs per flow in `analyze`.
 */

/** Word 2 of an IPv4-mapped address (::ffff:a.b.c.d). */
export const V4_MAPPED_WORD2 = 0x0000ffff;

export function isV4MappedWords(words: ArrayLike<number>, at: number): boolean {
  return words[at] === 0 && words[at + 1] === 0 && words[at + 2] === V4_MAPPED_WORD2;
}

/** Dotted quad of an IPv4 address held in one 32-bit number. */
export function formatIpv4Word(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Text of the address at `words[at..at+4]`: dotted quad for mapped IPv4, IPv6 as tshark writes it otherwise. */
export function formatIpWords(words: ArrayLike<number>, at: number): string {
  return isV4MappedWords(words, at) ? formatIpv4Word(words[at + 3] >>> 0) : formatIpv6Words(words, at);
}

/**
 * IPv6 text exactly as tshark prints it (glibc/BIND inet_ntop, RFC 5952 plus one legacy rule): the longest run of
 * two or more zero groups becomes "::" (the first on ties), lower-case hex, and IPv4-compatible (::a.b.c.d) and
 * IPv4-mapped (::ffff:a.b.c.d) addresses end in a dotted quad.
 */
export function formatIpv6Words(words: ArrayLike<number>, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[at + i] >>> 0;
    g.push(w >>> 16, w & 0xffff);
  }
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (g[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase >= 0) {
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && curLen > bestLen) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      out += formatIpv4Word(words[at + 3] >>> 0);
      break;
    }
    out += g[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** The 16 address bytes at `off` (IPv4 as mapped IPv6) as four big-endian words at `out[at..at+4]`. */
export function ipWords(bytes: Uint8Array, out: Uint32Array, at: number, off = 0): void {
  for (let i = 0; i < 4; i++) {
    const o = off + i * 4;
    out[at + i] = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  }
}

/** Whether the address at `words[at..at+4]` lies in `cidr`. */
export function cidrContainsWords(cidr: Cidr, words: ArrayLike<number>, at: number): boolean {
  const b = cidr.bytes;
  for (let i = 0; i < 4; i++) {
    const inWord = cidr.bits - i * 32;
    if (inWord <= 0) return true;
    const mask = inWord >= 32 ? 0xffffffff : (0xffffffff << (32 - inWord)) >>> 0;
    const net = ((b[i * 4] << 24) | (b[i * 4 + 1] << 16) | (b[i * 4 + 2] << 8) | b[i * 4 + 3]) >>> 0;
    if (((words[at + i] & mask) >>> 0) !== net) return false;
  }
  return true;
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
