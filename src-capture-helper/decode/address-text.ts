/**
 * Address text exactly as tshark prints it (glibc/BIND inet_ntop): dotted quad
 * for IPv4; for IPv6 the longest run of two or more zero groups becomes "::",
 * lowercase hex, and IPv4-compatible (::a.b.c.d) or IPv4-mapped
 * (::ffff:a.b.c.d) addresses end in a dotted quad. Made only when a row is
 * output, never per packet.
 */

export function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** `words`: four big-endian 32-bit words of the address starting at `at`. */
export function ipv6Text(words: ArrayLike<number>, at: number): string {
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
      out += ipv4Text(words[at + 3] >>> 0);
      break;
    }
    out += g[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** 16 address bytes (IPv4 as mapped IPv6) to four big-endian words. */
export function wordsOf(bytes: Uint8Array, out: Uint32Array, at: number): void {
  for (let i = 0; i < 4; i++) {
    const o = i * 4;
    out[at + i] = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  }
}
