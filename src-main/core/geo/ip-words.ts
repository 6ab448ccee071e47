/**
 * Addresses as four 32-bit words (IPv4 as IPv4-mapped IPv6), parsed from text
 * without allocating: the geo lookups and the AS file reader parse hundreds of
 * thousands of addresses and compare them word by word.
 */

/** Parses `text[start, end)` into `out[at..at+3]`; false when it is no IPv4 or IPv6 address. */
export function parseIpWords(text: string, start: number, end: number, out: Uint32Array, at: number): boolean {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) !== 58 /* : */) continue;
    // A zone (fe80::1%eth0) names an interface, not part of the address.
    for (let z = i; z < end; z++) {
      if (text.charCodeAt(z) === 37 /* % */) return validZone(text, z + 1, end) && parseV6(text, start, z, out, at);
    }
    return parseV6(text, start, end, out, at);
  }
  const v4 = parseV4(text, start, end);
  if (v4 < 0) return false;
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = 0xffff;
  out[at + 3] = v4;
  return true;
}

/** A zone is one or more of 0-9 a-z A-Z - . : (as node:net reads them). */
function validZone(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!/[0-9A-Za-z\-.:]/.test(text[i])) return false;
  return true;
}

/** An IPv4 dotted quad as an unsigned number, or -1. */
function parseV4(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46 /* . */) {
      if (digits === 0 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

const groups = new Uint16Array(8);

function parseV6(text: string, start: number, end: number, out: Uint32Array, at: number): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    // A dotted IPv4 tail (::ffff:1.2.3.4) fills the last two groups.
    let j = i;
    let value = 0;
    let digits = 0;
    let dot = false;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 46) dot = true;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
      j++;
    }
    if (dot || (j < end && text.charCodeAt(j) === 46)) {
      const v4 = parseV4(text, i, end);
      if (v4 < 0 || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || count >= 8) return false;
    groups[count++] = value;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const fill = gap < 0 ? 0 : 8 - count;
  for (let w = 0; w < 4; w++) {
    let word = 0;
    for (let h = 0; h < 2; h++) {
      const g = w * 2 + h;
      let v: number;
      if (gap < 0 || g < gap) v = groups[g];
      else if (g < gap + fill) v = 0;
      else v = groups[g - fill];
      word = word * 65536 + v;
    }
    out[at + w] = word;
  }
  return true;
}

/** Compares the address at `a[i..]` with the one at `b[j..]`. */
export function compareWords(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let w = 0; w < 4; w++) {
    const d = a[i + w] - b[j + w];
    if (d !== 0) return d;
  }
  return 0;
}
