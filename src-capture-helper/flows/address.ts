import { ipv4Text, ipv6Text } from '../decode/address-text';

/**
 * Addresses as four big-endian 32-bit words (IPv4 as the mapped form
 * ::ffff:a.b.c.d), the layout of the flow table's key arrays: formatting,
 * parsing and CIDR matching.
 */

export const V4_MAPPED_WORD2 = 0x0000ffff;

export function isV4Mapped(words: Uint32Array, at: number): boolean {
  return words[at] === 0 && words[at + 1] === 0 && words[at + 2] === V4_MAPPED_WORD2;
}

/** Text form of the address at `words[at..at+4]`: dotted quad for mapped IPv4, RFC 5952 for IPv6. */
export function formatAddress(words: Uint32Array, at: number): string {
  return isV4Mapped(words, at) ? ipv4Text(words[at + 3]) : ipv6Text(words, at);
}

function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Parses an IPv4 or IPv6 address into four words; undefined when it is not one. */
export function parseAddress(text: string): Uint32Array | undefined {
  const out = new Uint32Array(4);
  const v4 = parseV4(text);
  if (v4 !== undefined) {
    out[2] = V4_MAPPED_WORD2;
    out[3] = v4;
    return out;
  }
  if (!text.includes(':')) return undefined;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const n = parseV4(p);
        if (n === undefined) return undefined;
        groups.push(n >>> 16, n & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        groups.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const h = toGroups(head);
  const t = toGroups(tail);
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (dbl >= 0 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...h, ...new Array<number>(missing).fill(0), ...t];
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return out;
}

/** An address prefix in the word layout; an IPv4 prefix /n is stored as /(96+n) of the mapped form. */
export interface Cidr {
  words: Uint32Array;
  /** Prefix length over the 128-bit form. */
  bits: number;
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a full-length prefix). Throws a clear error otherwise. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const words = parseAddress(addrText.trim());
  if (!words) throw new Error(`not an IP address or CIDR: ${JSON.stringify(text)}`);
  const v4 = parseV4(addrText.trim()) !== undefined;
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
    len = Number(lenText);
  }
  const bits = v4 ? 96 + len : len;
  const masked = new Uint32Array(4);
  for (let i = 0; i < 4; i++) masked[i] = (words[i] & wordMask(bits, i)) >>> 0;
  return { words: masked, bits };
}

function wordMask(bits: number, word: number): number {
  const inWord = bits - word * 32;
  if (inWord >= 32) return 0xffffffff;
  if (inWord <= 0) return 0;
  return (0xffffffff << (32 - inWord)) >>> 0;
}

export function cidrContains(cidr: Cidr, words: Uint32Array, at: number): boolean {
  for (let i = 0; i < 4; i++) {
    const m = wordMask(cidr.bits, i);
    if (m === 0) return true;
    if (((words[at + i] & m) >>> 0) !== cidr.words[i]) return false;
  }
  return true;
}

/**
 * Prefix length of a netmask as libpcap lists it (`255.255.255.0` is 24,
 * `ffff:ffff::` is 32); null when it is not a contiguous mask.
 */
export function netmaskPrefix(netmask: string): number | null {
  const words = parseAddress(netmask);
  if (words === undefined) return null;
  const v4 = isV4Mapped(words, 0);
  let bits = 0;
  let ended = false;
  for (let w = v4 ? 3 : 0; w < 4; w++) {
    for (let b = 31; b >= 0; b--) {
      const set = ((words[w] >>> b) & 1) === 1;
      if (set && ended) return null;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}
