import { TcpFlag } from '../decode/decoded-packet';
import { startsNewTcpStream, tcpBaseSeq, tcpReverseBaseSeq } from '../flows/tcp-lifecycle';
import { formatIpv4Word, formatIpv6Words } from '../../src-shared/ip';
import type { JsonWriter } from '../util/write-json';

/** One row as tshark's `-z conv,...` prints it; `a` is the source of the row's first packet. */
export interface ConversationRow {
  a: string;
  port_a?: number;
  b: string;
  port_b?: number;
  frames_a_to_b: number;
  bytes_a_to_b: number;
  frames_b_to_a: number;
  bytes_b_to_a: number;
  frames: number;
  bytes: number;
  /** Seconds from the first packet of the file, 9 decimals. */
  rel_start: string;
  /** Seconds, 4 decimals. */
  duration: string;
}

// Per row, one cache line of 32-bit words: the key (low endpoint address (4), high
// endpoint address (4), low port << 16 | high port, address family), then flags
// and the TCP base sequence numbers of each direction, and the key's hash.
const KEY_WORDS = 10;
const ROW_WORDS = 16;
const W_FLAGS = 10;
const W_BASE_LO = 11;
const W_BASE_HI = 12;
/** The key's hash, so that growing rebuilds the index without hashing again. */
const W_HASH = 13;
const F_A_IS_HI = 1;
const F_BASE_LO = 2;
const F_BASE_HI = 4;
/** A newer TCP stream on the same 4-tuple has its own row; the index no longer leads here. */
const F_SUPERSEDED = 8;
// And one line of counters: frames/bytes from the low and the high endpoint, first and last time.
const NUM_STRIDE = 8;
const N_FRAMES_LO = 0;
const N_BYTES_LO = 1;
const N_FRAMES_HI = 2;
const N_BYTES_HI = 3;
const N_FIRST = 4;
const N_LAST = 5;

/** The JSON text between a row's values, in ConversationRow's member order. */
const J = Object.fromEntries(
  Object.entries({
    firstA: '{"a":"', nextA: ',{"a":"', b: '","b":"', framesAB: '","frames_a_to_b":', bytesAB: ',"bytes_a_to_b":', framesBA: ',"frames_b_to_a":',
    bytesBA: ',"bytes_b_to_a":', frames: ',"frames":', bytes: ',"bytes":', relStart: ',"rel_start":"', duration: '","duration":"',
    portA: '","port_a":', portB: ',"port_b":', end: '"}',
  }).map(([k, text]) => [k, new TextEncoder().encode(text)]),
) as Record<'firstA' | 'nextA' | 'b' | 'framesAB' | 'bytesAB' | 'framesBA' | 'bytesBA' | 'frames' | 'bytes' | 'relStart' | 'duration' | 'portA' | 'portB' | 'end', Uint8Array>;

/**
 * A conversation table in typed arrays: no object or string per packet, and
 * each row's key and counters in one cache line each, since a packet touches
 * rows at random. Keys are canonical (lower endpoint first); the index maps a
 * key to its latest row, so a TCP stream that starts again on the same 4-tuple
 * opens a new row. Bounded by `maxRows`: packets of conversations beyond it
 * are counted in `droppedPackets`.
 *
 * Why one file of this length: the row layout, the per-packet path that
 * writes rows and the row output that reads them share module-local layout
 * constants (the same reason as flows/flow-table.ts); the file is that one
 * table and nothing else.
 */
export class ConversationTable {
  rowCount = 0;
  droppedPackets = 0;
  /** Rows a newer TCP stream on their 4-tuple replaced so far: a row kept elsewhere since an earlier count may be stale. */
  supersededRows = 0;
  private capacity = 0;
  private words = new Uint32Array(0);
  private nums = new Float64Array(0);
  private index = new Int32Array(0);
  private mask = 0;
  private readonly k = new Uint32Array(KEY_WORDS);
  /** One row's printed numbers, and where its addresses are in `words`: reused row after row. */
  private readonly fields = { aAt: 0, bAt: 0, v4: false, portA: 0, portB: 0, framesAB: 0, bytesAB: 0, framesBA: 0, bytesBA: 0, relStart: 0, duration: 0 };
  private keyHash = 0;
  private fromLo = true;

  constructor(
    private readonly withPorts: boolean,
    private readonly maxRows: number,
  ) {
    this.grow(Math.min(1024, maxRows));
  }

  /**
   * Count one packet. Addresses are four words each (`srcW`/`dstW` at `srcAt`/`dstAt`).
   * The packet's time is `sec` + `nsec` (NaN seconds without a timestamp): two
   * integers, since a fractional number passed to a call is boxed, once per packet.
   */
  observe(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number, wireLength: number, sec: number, nsec: number): number {
    this.loadKey(family, srcW, srcAt, sport, dstW, dstAt, dport);
    let row = this.find();
    if (row < 0) row = this.insert(sec, nsec);
    if (row < 0) this.droppedPackets++;
    else this.count(row, this.fromLo, wireLength, sec, nsec);
    return row;
  }

  /**
   * Count one TCP segment, opening a new row when it starts a new stream on a
   * known 4-tuple. `analyze`: tshark runs its sequence analysis (which learns
   * the base sequence numbers) only for unfragmented segments. `seq` and `ack`
   * may come as signed 32-bit integers (`x | 0`): half of all sequence numbers
   * are beyond a small integer unsigned, and would be boxed on every call.
   */
  observeTcp(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number, flags: number, seq: number, ack: number, analyze: boolean, wireLength: number, sec: number, nsec: number): number {
    this.loadKey(family, srcW, srcAt, sport, dstW, dstAt, dport);
    const fromLo = this.fromLo;
    let row = this.find();
    if (row >= 0) {
      const w = this.words;
      const at = row * ROW_WORDS;
      if (startsNewTcpStream(flags, seq, (w[at + W_FLAGS] & (fromLo ? F_BASE_LO : F_BASE_HI)) !== 0, w[at + (fromLo ? W_BASE_LO : W_BASE_HI)] | 0)) {
        w[at + W_FLAGS] |= F_SUPERSEDED;
        this.supersededRows++;
        row = this.insert(sec, nsec);
      }
    } else {
      row = this.insert(sec, nsec);
    }
    if (row < 0) {
      this.droppedPackets++;
      return row;
    }
    this.tcpSegment(row, fromLo, flags, seq, ack, analyze, wireLength, sec, nsec);
    return row;
  }

  /**
   * Adds packets counted elsewhere to a row: `framesLo`/`bytesLo` from its
   * lower endpoint, `framesHi`/`bytesHi` from the higher one, between times
   * `first` and `last` (NaN when none had a timestamp): the same as counting
   * each of them here.
   */
  addToRow(row: number, framesLo: number, bytesLo: number, framesHi: number, bytesHi: number, first: number, last: number): void {
    const n = this.nums;
    const nb = row * NUM_STRIDE;
    n[nb + N_FRAMES_LO] += framesLo;
    n[nb + N_BYTES_LO] += bytesLo;
    n[nb + N_FRAMES_HI] += framesHi;
    n[nb + N_BYTES_HI] += bytesHi;
    if (first === first) {
      const f = n[nb + N_FIRST];
      if (f !== f || first < f) n[nb + N_FIRST] = first;
      const l = n[nb + N_LAST];
      if (l !== l || last > l) n[nb + N_LAST] = last;
    }
  }

  /**
   * True once a TCP row knows the base sequence numbers of both directions:
   * then only a pure SYN can still change it (by starting a new stream), and
   * any other segment just counts.
   */
  tcpBasesKnown(row: number): boolean {
    return (this.words[row * ROW_WORDS + W_FLAGS] & (F_BASE_LO | F_BASE_HI)) === (F_BASE_LO | F_BASE_HI);
  }

  private tcpSegment(row: number, fromLo: boolean, flags: number, seq: number, ack: number, analyze: boolean, wireLength: number, sec: number, nsec: number): void {
    if (analyze) {
      const mine = fromLo ? F_BASE_LO : F_BASE_HI;
      const other = fromLo ? F_BASE_HI : F_BASE_LO;
      const words = this.words;
      const at = row * ROW_WORDS;
      let f = words[at + W_FLAGS];
      if ((f & mine) === 0) {
        words[at + (fromLo ? W_BASE_LO : W_BASE_HI)] = tcpBaseSeq(flags, seq);
        f |= mine;
      }
      if ((f & other) === 0 && (flags & TcpFlag.ack) !== 0) {
        words[at + (fromLo ? W_BASE_HI : W_BASE_LO)] = tcpReverseBaseSeq(ack);
        f |= other;
      }
      words[at + W_FLAGS] = f;
    }
    this.count(row, fromLo, wireLength, sec, nsec);
  }

  /**
   * Rows by total frames, descending (tshark's order), then by first packet.
   * `ipv4Texts` caches address text across calls (rows share endpoints).
   */
  rows(fileStart: number, ipv4Texts = new Map<number, string>()): ConversationRow[] {
    const order = this.rowOrder();
    const out: ConversationRow[] = new Array<ConversationRow>(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.row(order[i], fileStart, ipv4Texts);
    return out;
  }

  /**
   * The text of `JSON.stringify(this.rows(...))`, without a row object or a
   * string in between: IPv4 addresses, counts and times are written as digits.
   */
  writeRowsJson(out: JsonWriter, fileStart: number): void {
    const order = this.rowOrder();
    const w = this.words;
    const f = this.fields;
    out.byte(0x5b);
    for (let i = 0; i < order.length; i++) {
      this.loadFields(order[i], fileStart);
      out.bytes(i === 0 ? J.firstA : J.nextA);
      writeAddress(out, w, f.aAt, f.v4);
      out.bytes(J.b);
      writeAddress(out, w, f.bAt, f.v4);
      out.bytes(J.framesAB);
      out.number(f.framesAB);
      out.bytes(J.bytesAB);
      out.number(f.bytesAB);
      out.bytes(J.framesBA);
      out.number(f.framesBA);
      out.bytes(J.bytesBA);
      out.number(f.bytesBA);
      out.bytes(J.frames);
      out.number(f.framesAB + f.framesBA);
      out.bytes(J.bytes);
      out.number(f.bytesAB + f.bytesBA);
      out.bytes(J.relStart);
      writeFixed(out, f.relStart, 9);
      out.bytes(J.duration);
      writeFixed(out, f.duration, 4);
      if (this.withPorts) {
        out.bytes(J.portA);
        out.number(f.portA);
        out.bytes(J.portB);
        out.number(f.portB);
        out.byte(0x7d);
      } else {
        out.bytes(J.end);
      }
    }
    out.byte(0x5d);
  }

  /** Row numbers in output order. */
  private rowOrder(): Int32Array {
    const n = this.nums;
    const frames = (r: number) => n[r * NUM_STRIDE + N_FRAMES_LO] + n[r * NUM_STRIDE + N_FRAMES_HI];
    const order = new Int32Array(this.rowCount);
    // Sort keys that order by frames descending, then row ascending, as plain numbers.
    const keys = new Float64Array(this.rowCount);
    for (let r = 0; r < this.rowCount; r++) keys[r] = -frames(r) * 2 ** 24 + r;
    if (!this.sortKeysExact(keys)) {
      const idx: number[] = [];
      for (let r = 0; r < this.rowCount; r++) idx.push(r);
      idx.sort((x, y) => frames(y) - frames(x) || x - y);
      order.set(idx);
      return order;
    }
    keys.sort();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      order[i] = key + Math.ceil(-key / 2 ** 24) * 2 ** 24;
    }
    return order;
  }

  /** Combined keys are exact while rows < 2^24 and frames * 2^24 stays below 2^53. */
  private sortKeysExact(keys: Float64Array): boolean {
    if (this.rowCount >= 2 ** 24) return false;
    for (let i = 0; i < keys.length; i++) if (keys[i] < -(2 ** 52)) return false;
    return true;
  }

  private row(r: number, fileStart: number, ipv4Texts: Map<number, string>): ConversationRow {
    this.loadFields(r, fileStart);
    const f = this.fields;
    const w = this.words;
    const text = (at: number) => {
      if (!f.v4) return formatIpv6Words(w, at);
      const v = w[at + 3];
      let t = ipv4Texts.get(v);
      if (t === undefined) {
        t = formatIpv4Word(v);
        ipv4Texts.set(v, t);
      }
      return t;
    };
    const a = text(f.aAt);
    const b = text(f.bAt);
    const { framesAB, bytesAB, framesBA, bytesBA } = f;
    const frames = framesAB + framesBA;
    const bytes = bytesAB + bytesBA;
    const relStart = f.relStart.toFixed(9);
    const duration = f.duration.toFixed(4);
    // One literal per table kind: every row of a table gets the same shape (ports last, as always printed).
    if (!this.withPorts) {
      return { a, b, frames_a_to_b: framesAB, bytes_a_to_b: bytesAB, frames_b_to_a: framesBA, bytes_b_to_a: bytesBA, frames, bytes, rel_start: relStart, duration };
    }
    return {
      a, b, frames_a_to_b: framesAB, bytes_a_to_b: bytesAB, frames_b_to_a: framesBA, bytes_b_to_a: bytesBA, frames, bytes, rel_start: relStart, duration,
      port_a: f.portA,
      port_b: f.portB,
    };
  }

  /** Row `r`'s numbers as printed (times in seconds, before their fixed-point text), into `this.fields`. */
  private loadFields(r: number, fileStart: number): void {
    const w = this.words;
    const at = r * ROW_WORDS;
    const loPort = w[at + 8] >>> 16;
    const hiPort = w[at + 8] & 0xffff;
    const aHi = (w[at + W_FLAGS] & F_A_IS_HI) !== 0;
    const n = this.nums;
    const nb = r * NUM_STRIDE;
    const first = n[nb + N_FIRST];
    const f = this.fields;
    f.aAt = aHi ? at + 4 : at;
    f.bAt = aHi ? at : at + 4;
    f.v4 = w[at + 9] === 4;
    f.portA = aHi ? hiPort : loPort;
    f.portB = aHi ? loPort : hiPort;
    f.framesAB = n[nb + (aHi ? N_FRAMES_HI : N_FRAMES_LO)];
    f.bytesAB = n[nb + (aHi ? N_BYTES_HI : N_BYTES_LO)];
    f.framesBA = n[nb + (aHi ? N_FRAMES_LO : N_FRAMES_HI)];
    f.bytesBA = n[nb + (aHi ? N_BYTES_LO : N_BYTES_HI)];
    // Seconds from the file's first packet, and to the row's last (0 where there is no timestamp).
    f.relStart = Number.isNaN(first) || Number.isNaN(fileStart) ? 0 : first - fileStart;
    f.duration = Number.isNaN(first) ? 0 : n[nb + N_LAST] - first;
  }

  private loadKey(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number): void {
    let cmp = 0;
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = srcW[srcAt + i] - dstW[dstAt + i];
    if (cmp === 0) cmp = sport - dport;
    const k = this.k;
    const fromLo = cmp <= 0;
    this.fromLo = fromLo;
    const loW = fromLo ? srcW : dstW;
    const loAt = fromLo ? srcAt : dstAt;
    const hiW = fromLo ? dstW : srcW;
    const hiAt = fromLo ? dstAt : srcAt;
    let h = 0x811c9dc5 ^ family;
    for (let i = 0; i < 4; i++) {
      const a = loW[loAt + i];
      const b = hiW[hiAt + i];
      k[i] = a;
      k[4 + i] = b;
      h = Math.imul(h ^ a, 0x01000193);
      h = Math.imul(h ^ b, 0x01000193);
    }
    const ports = fromLo ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
    k[8] = ports;
    k[9] = family;
    h = Math.imul(h ^ ports, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    this.keyHash = h >>> 0;
  }

  private sameKey(at: number): boolean {
    const w = this.words;
    const k = this.k;
    return (
      w[at] === k[0] && w[at + 1] === k[1] && w[at + 2] === k[2] && w[at + 3] === k[3] && w[at + 4] === k[4] &&
      w[at + 5] === k[5] && w[at + 6] === k[6] && w[at + 7] === k[7] && w[at + 8] === k[8] && w[at + 9] === k[9]
    );
  }

  private find(): number {
    const index = this.index;
    const mask = this.mask;
    for (let s = this.keyHash & mask; ; s = (s + 1) & mask) {
      const r = index[s] - 1;
      if (r < 0) return -1;
      if (this.sameKey(r * ROW_WORDS)) return r;
    }
  }

  /** New row for the loaded key; the index then points at it (a reused 4-tuple replaces the old row there). */
  private insert(sec: number, nsec: number): number {
    const time = sec + nsec / 1e9;
    if (this.rowCount >= this.maxRows) return -1;
    if (this.rowCount >= this.capacity) this.grow(Math.min(this.capacity * 2, this.maxRows));
    const r = this.rowCount++;
    const at = r * ROW_WORDS;
    this.words.set(this.k, at);
    this.words[at + W_FLAGS] = this.fromLo ? 0 : F_A_IS_HI;
    this.words[at + W_HASH] = this.keyHash;
    const nb = r * NUM_STRIDE;
    const n = this.nums;
    n[nb + N_FRAMES_LO] = 0;
    n[nb + N_BYTES_LO] = 0;
    n[nb + N_FRAMES_HI] = 0;
    n[nb + N_BYTES_HI] = 0;
    n[nb + N_FIRST] = time;
    n[nb + N_LAST] = time;
    this.indexPut(r);
    return r;
  }

  private indexPut(r: number): void {
    const index = this.index;
    const mask = this.mask;
    for (let s = this.keyHash & mask; ; s = (s + 1) & mask) {
      const cur = index[s] - 1;
      if (cur < 0 || this.sameKey(cur * ROW_WORDS)) {
        index[s] = r + 1;
        return;
      }
    }
  }

  private count(r: number, fromLo: boolean, wireLength: number, sec: number, nsec: number): void {
    const time = sec + nsec / 1e9;
    const n = this.nums;
    const nb = r * NUM_STRIDE;
    if (fromLo) {
      n[nb + N_FRAMES_LO]++;
      n[nb + N_BYTES_LO] += wireLength;
    } else {
      n[nb + N_FRAMES_HI]++;
      n[nb + N_BYTES_HI] += wireLength;
    }
    if (time === time) {
      const first = n[nb + N_FIRST];
      if (first !== first || time < first) n[nb + N_FIRST] = time;
      const last = n[nb + N_LAST];
      if (last !== last || time > last) n[nb + N_LAST] = time;
    }
  }

  private grow(capacity: number): void {
    const words = new Uint32Array(capacity * ROW_WORDS);
    words.set(this.words.subarray(0, this.rowCount * ROW_WORDS));
    const nums = new Float64Array(capacity * NUM_STRIDE);
    nums.set(this.nums.subarray(0, this.rowCount * NUM_STRIDE));
    this.words = words;
    this.nums = nums;
    this.capacity = capacity;
    // Index at most half full, rebuilt from the rows: each key's only row not superseded by a newer stream.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    const index = new Int32Array(size);
    const mask = size - 1;
    for (let r = 0; r < this.rowCount; r++) {
      const at = r * ROW_WORDS;
      if ((words[at + W_FLAGS] & F_SUPERSEDED) !== 0) continue;
      let slot = words[at + W_HASH] & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = r + 1;
    }
    this.index = index;
    this.mask = mask;
  }
}

/** The address at `w[at..at+4]` as the rows print it: IPv4 as digits, without a string in between. */
function writeAddress(out: JsonWriter, w: Uint32Array, at: number, v4: boolean): void {
  if (!v4) {
    out.ascii(formatIpv6Words(w, at));
    return;
  }
  const v = w[at + 3];
  out.number(v >>> 24);
  out.byte(0x2e);
  out.number((v >>> 16) & 0xff);
  out.byte(0x2e);
  out.number((v >>> 8) & 0xff);
  out.byte(0x2e);
  out.number(v & 0xff);
}

const POWERS_OF_TEN = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Exactly `v.toFixed(decimals)` (decimals 0-9), without the string. The
 * fraction `v - floor(v)` is exact; scaled by 10^decimals (below 2^30) in
 * floating point it is within 2^-24 of the exact product, so it rounds as
 * toFixed does (to nearest, halves up) unless it lies within 2^-20 of a
 * half: those, negative values and values from 2^31 up take toFixed itself.
 */
export function writeFixed(out: JsonWriter, v: number, decimals: number): void {
  const whole = Math.floor(v);
  const scale = POWERS_OF_TEN[decimals];
  const scaled = (v - whole) * scale;
  const below = Math.floor(scaled);
  const off = scaled - below - 0.5;
  if (!(v >= 0 && v < 2 ** 31) || (off < 2 ** -20 && off > -(2 ** -20))) {
    out.ascii(v.toFixed(decimals));
    return;
  }
  let fraction = off > 0 ? below + 1 : below;
  let integer = whole;
  if (fraction === scale) {
    integer++;
    fraction = 0;
  }
  out.number(integer);
  if (decimals === 0) return;
  out.byte(0x2e);
  for (let d = scale / 10; d >= 1; d /= 10) {
    const digit = Math.floor(fraction / d);
    out.byte(0x30 + digit);
    fraction -= digit * d;
  }
}
