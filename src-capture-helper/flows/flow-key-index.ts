/**
 * The flow table's hash index: canonical flow key → slot.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones). An entry is `slot + 1` in its low bits with the top bits of
 * the key's hash above, so a probe rarely reads a record that is not the one.
 * The keys themselves live in the flow records (their first words, laid out
 * here); the index reads them through the record words it is handed, since
 * the table replaces that buffer when it grows.
 *
 * Also here: the canonical order of a key's two endpoints and its hash, the
 * two things every lookup of a key agrees on.
 */

// The key part of a flow record, in 32-bit words from the record's start.
/** Canonical low endpoint address (4 big-endian words), then the high one. */
export const W_LO = 0;
export const W_HI = 4;
/** The key's hash (`keyHash`), for deletion and rebuilding. */
export const W_HASH = 8;
/** Low endpoint port << 16 | high endpoint port. */
export const W_PORTS = 9;
/** IP protocol | ICMP type family << 8 | (VLAN id + 1, 0 without tag) << 16. */
export const W_KIND = 10;

/** Word 2 of an IPv4-mapped IPv6 address. */
export const V4_MAPPED = 0xffff;

const NIL = -1;
/** Index entries: slot + 1 in the low bits, the top bits of the key's hash above. */
const INDEX_SLOT_BITS = 25;
const INDEX_SLOT_MASK = (1 << INDEX_SLOT_BITS) - 1;

/**
 * Canonical order (Zeek's convention: the lower endpoint first, by address,
 * then port) of a key in scratch words, source address at 0, destination at
 * 4: true when the source is the higher endpoint, so the key is flipped.
 * For two IPv4-mapped addresses this is `src4 !== dst4 ? src4 > dst4 : sport > dport`.
 */
export function sourceIsHigh(k: Uint32Array, sport: number, dport: number): boolean {
  for (let i = 0; i < 4; i++) {
    if (k[i] !== k[4 + i]) return k[i] > k[4 + i];
  }
  return sport > dport;
}

function mix(h: number, v: number): number {
  let k = Math.imul(v, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** One number for an address (four words at `at`): a mapped IPv4 address is its last word. */
function endpointHash(k: Uint32Array, at: number): number {
  if (k[at] === 0 && k[at + 1] === 0 && k[at + 2] === V4_MAPPED) return k[at + 3];
  return mix(mix(mix(mix(0x2545f491, k[at]), k[at + 1]), k[at + 2]), k[at + 3]);
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // Signed: an unsigned result above 2^31 would be boxed on its way out.
  return h | 0;
}

/**
 * Hash of a canonical key: each endpoint's address folded to one number
 * (a mapped IPv4 address is its own fold, so `v4KeyHash` hashes alike
 * without building the words), then the kind and ports.
 */
export function keyHash(k: Uint32Array, lo: number, hi: number, ports: number, kind: number): number {
  return finalMix(mix(mix(mix(kind, endpointHash(k, lo)), endpointHash(k, hi)), ports));
}

/** `keyHash` of a key whose endpoints are the IPv4-mapped addresses `lo4` and `hi4`. */
export function v4KeyHash(lo4: number, hi4: number, ports: number, kind: number): number {
  return finalMix(mix(mix(mix(kind, lo4), hi4), ports));
}

export class FlowKeyIndex {
  private index = new Int32Array(0);
  private mask = 0;

  /**
   * Sizes the index for `capacity` flows (load factor at most 1/2 keeps
   * linear probes short). Returns true when it was replaced by an empty one,
   * which the caller refills with `insert`.
   */
  resize(capacity: number): boolean {
    let size = 1;
    while (size < capacity * 2) size *= 2;
    if (size === this.index.length) return false;
    this.index = new Int32Array(size);
    this.mask = size - 1;
    return true;
  }

  /** Slot of the key with hash `h` whose endpoints are the mapped IPv4 addresses `lo4` and `hi4`, or -1. */
  findV4(kw: Uint32Array, stride: number, h: number, lo4: number, hi4: number, ports: number, kind: number): number {
    const tag = h >>> INDEX_SLOT_BITS;
    const index = this.index;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i];
      if (e === 0) return NIL;
      if (e >>> INDEX_SLOT_BITS !== tag) continue;
      const c = (e & INDEX_SLOT_MASK) - 1;
      const w = c * stride;
      if (
        kw[w + W_LO + 3] === lo4 && kw[w + W_HI + 3] === hi4 && kw[w + W_PORTS] === ports && kw[w + W_KIND] === kind &&
        kw[w + W_LO + 2] === V4_MAPPED && kw[w + W_HI + 2] === V4_MAPPED &&
        kw[w + W_LO] === 0 && kw[w + W_LO + 1] === 0 && kw[w + W_HI] === 0 && kw[w + W_HI + 1] === 0
      ) {
        return c;
      }
    }
  }

  /** Slot of the key with hash `h`, its endpoints at `lo` and `hi` in the scratch words `k`, or -1. */
  find(kw: Uint32Array, stride: number, h: number, k: Uint32Array, lo: number, hi: number, ports: number, kind: number): number {
    const tag = h >>> INDEX_SLOT_BITS;
    const index = this.index;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i];
      if (e === 0) return NIL;
      if (e >>> INDEX_SLOT_BITS !== tag) continue;
      const s = (e & INDEX_SLOT_MASK) - 1;
      const w = s * stride;
      if (
        kw[w + W_PORTS] === ports && kw[w + W_KIND] === kind &&
        kw[w + W_LO] === k[lo] && kw[w + W_LO + 1] === k[lo + 1] && kw[w + W_LO + 2] === k[lo + 2] && kw[w + W_LO + 3] === k[lo + 3] &&
        kw[w + W_HI] === k[hi] && kw[w + W_HI + 1] === k[hi + 1] && kw[w + W_HI + 2] === k[hi + 2] && kw[w + W_HI + 3] === k[hi + 3]
      ) {
        return s;
      }
    }
  }

  insert(slot: number, hash: number): void {
    const mask = this.mask;
    let i = hash & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = ((hash >>> INDEX_SLOT_BITS) << INDEX_SLOT_BITS) | (slot + 1);
  }

  /** Takes `slot` out; every record's key hash is read from `kw` (`stride` words a record). */
  remove(slot: number, kw: Uint32Array, stride: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = kw[slot * stride + W_HASH] & mask;
    while ((index[i] & INDEX_SLOT_MASK) !== slot + 1) i = (i + 1) & mask;
    index[i] = 0;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j];
      if (e === 0) return;
      const home = kw[((e & INDEX_SLOT_MASK) - 1) * stride + W_HASH] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      index[i] = e;
      index[j] = 0;
      i = j;
    }
  }
}
