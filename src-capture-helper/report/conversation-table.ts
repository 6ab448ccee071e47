import { TcpFlag } from '../decode/decoded-packet';
import { startsNewTcpStream, tcpBaseSeq, tcpReverseBaseSeq } from '../flows/tcp-lifecycle';
import { ipv4Text, ipv6Text } from './address-text';

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

// Key layout in 32-bit words: low endpoint address (4), high endpoint address (4),
// low port << 16 | high port, address family.
const KEY_WORDS = 10;
const BASE_LO_KNOWN = 1;
const BASE_HI_KNOWN = 2;

/**
 * A conversation table in typed arrays: no object or string per packet. Keys
 * are canonical (lower endpoint first); the index maps a key to its latest row,
 * so a TCP stream that starts again on the same 4-tuple opens a new row.
 * Bounded by `maxRows`: packets of conversations beyond it are counted in
 * `droppedPackets`.
 */
export class ConversationTable {
  rowCount = 0;
  droppedPackets = 0;
  private capacity = 0;
  private keys = new Uint32Array(0);
  private framesLo = new Float64Array(0);
  private bytesLo = new Float64Array(0);
  private framesHi = new Float64Array(0);
  private bytesHi = new Float64Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private aIsHi = new Uint8Array(0);
  private baseKnown = new Uint8Array(0);
  private baseLo = new Uint32Array(0);
  private baseHi = new Uint32Array(0);
  private index = new Int32Array(0);
  private mask = 0;
  private readonly k = new Uint32Array(KEY_WORDS);
  private fromLo = true;

  constructor(
    private readonly withPorts: boolean,
    private readonly maxRows: number,
  ) {
    this.grow(256);
  }

  /**
   * Count one packet. Addresses are four words each (`srcW`/`dstW` at `srcAt`/`dstAt`).
   * `time` is seconds since the epoch, NaN without a timestamp.
   */
  observe(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number, wireLength: number, time: number): number {
    this.loadKey(family, srcW, srcAt, sport, dstW, dstAt, dport);
    let row = this.find();
    if (row < 0) row = this.insert(time);
    if (row < 0) this.droppedPackets++;
    else this.count(row, wireLength, time);
    return row;
  }

  /**
   * Count one TCP segment, opening a new row when it starts a new stream on a
   * known 4-tuple. `analyze`: tshark runs its sequence analysis (which learns
   * the base sequence numbers) only for unfragmented segments.
   */
  observeTcp(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number, flags: number, seq: number, ack: number, analyze: boolean, wireLength: number, time: number): number {
    this.loadKey(family, srcW, srcAt, sport, dstW, dstAt, dport);
    let row = this.find();
    if (row >= 0) {
      const known = this.baseKnown[row];
      const mine = this.fromLo ? BASE_LO_KNOWN : BASE_HI_KNOWN;
      const base = this.fromLo ? this.baseLo[row] : this.baseHi[row];
      if (startsNewTcpStream(flags, seq, (known & mine) !== 0, base)) row = this.insert(time);
    } else {
      row = this.insert(time);
    }
    if (row < 0) {
      this.droppedPackets++;
      return row;
    }
    if (analyze) {
      let known = this.baseKnown[row];
      const mine = this.fromLo ? BASE_LO_KNOWN : BASE_HI_KNOWN;
      const other = this.fromLo ? BASE_HI_KNOWN : BASE_LO_KNOWN;
      if ((known & mine) === 0) {
        if (this.fromLo) this.baseLo[row] = tcpBaseSeq(flags, seq);
        else this.baseHi[row] = tcpBaseSeq(flags, seq);
        known |= mine;
      }
      if ((known & other) === 0 && (flags & TcpFlag.ack) !== 0) {
        if (this.fromLo) this.baseHi[row] = tcpReverseBaseSeq(ack);
        else this.baseLo[row] = tcpReverseBaseSeq(ack);
        known |= other;
      }
      this.baseKnown[row] = known;
    }
    this.count(row, wireLength, time);
    return row;
  }

  /** Rows by total frames, descending (tshark's order), then by first packet. */
  rows(fileStart: number): ConversationRow[] {
    const order: number[] = [];
    for (let r = 0; r < this.rowCount; r++) order.push(r);
    const frames = (r: number) => this.framesLo[r] + this.framesHi[r];
    order.sort((x, y) => frames(y) - frames(x) || x - y);
    return order.map((r) => this.row(r, fileStart));
  }

  private row(r: number, fileStart: number): ConversationRow {
    const kw = r * KEY_WORDS;
    const family = this.keys[kw + 9];
    const text = (at: number) => (family === 4 ? ipv4Text(this.keys[at + 3]) : ipv6Text(this.keys, at));
    const lo = text(kw);
    const hi = text(kw + 4);
    const loPort = this.keys[kw + 8] >>> 16;
    const hiPort = this.keys[kw + 8] & 0xffff;
    const aHi = this.aIsHi[r] === 1;
    const fa = aHi ? this.framesHi[r] : this.framesLo[r];
    const ba = aHi ? this.bytesHi[r] : this.bytesLo[r];
    const fb = aHi ? this.framesLo[r] : this.framesHi[r];
    const bb = aHi ? this.bytesLo[r] : this.bytesHi[r];
    const first = this.first[r];
    const start = Number.isNaN(first) || Number.isNaN(fileStart) ? 0 : first - fileStart;
    const duration = Number.isNaN(first) ? 0 : this.last[r] - first;
    const out: ConversationRow = {
      a: aHi ? hi : lo,
      b: aHi ? lo : hi,
      frames_a_to_b: fa,
      bytes_a_to_b: ba,
      frames_b_to_a: fb,
      bytes_b_to_a: bb,
      frames: fa + fb,
      bytes: ba + bb,
      rel_start: start.toFixed(9),
      duration: duration.toFixed(4),
    };
    if (this.withPorts) {
      out.port_a = aHi ? hiPort : loPort;
      out.port_b = aHi ? loPort : hiPort;
    }
    return out;
  }

  private loadKey(family: number, srcW: Uint32Array, srcAt: number, sport: number, dstW: Uint32Array, dstAt: number, dport: number): void {
    let cmp = 0;
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = srcW[srcAt + i] - dstW[dstAt + i];
    if (cmp === 0) cmp = sport - dport;
    const k = this.k;
    this.fromLo = cmp <= 0;
    const loW = this.fromLo ? srcW : dstW;
    const loAt = this.fromLo ? srcAt : dstAt;
    const hiW = this.fromLo ? dstW : srcW;
    const hiAt = this.fromLo ? dstAt : srcAt;
    for (let i = 0; i < 4; i++) {
      k[i] = loW[loAt + i];
      k[4 + i] = hiW[hiAt + i];
    }
    k[8] = this.fromLo ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
    k[9] = family;
  }

  private hash(): number {
    const k = this.k;
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[i], 0x01000193);
      h ^= h >>> 15;
    }
    return h >>> 0;
  }

  private find(): number {
    const k = this.k;
    for (let s = this.hash() & this.mask; ; s = (s + 1) & this.mask) {
      const r = this.index[s] - 1;
      if (r < 0) return -1;
      const kw = r * KEY_WORDS;
      let same = true;
      for (let i = 0; i < KEY_WORDS; i++) {
        if (this.keys[kw + i] !== k[i]) {
          same = false;
          break;
        }
      }
      if (same) return r;
    }
  }

  /** New row for the loaded key; the index then points at it (a reused 4-tuple replaces the old row there). */
  private insert(time: number): number {
    if (this.rowCount >= this.maxRows) return -1;
    if (this.rowCount >= this.capacity) this.grow(Math.min(this.capacity * 2, this.maxRows));
    const r = this.rowCount++;
    this.keys.set(this.k, r * KEY_WORDS);
    this.framesLo[r] = 0;
    this.bytesLo[r] = 0;
    this.framesHi[r] = 0;
    this.bytesHi[r] = 0;
    this.first[r] = time;
    this.last[r] = time;
    this.aIsHi[r] = this.fromLo ? 0 : 1;
    this.baseKnown[r] = 0;
    this.indexPut(r);
    return r;
  }

  private indexPut(r: number): void {
    const k = this.k;
    for (let s = this.hash() & this.mask; ; s = (s + 1) & this.mask) {
      const cur = this.index[s] - 1;
      if (cur < 0) {
        this.index[s] = r + 1;
        return;
      }
      const kw = cur * KEY_WORDS;
      let same = true;
      for (let i = 0; i < KEY_WORDS; i++) {
        if (this.keys[kw + i] !== k[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.index[s] = r + 1;
        return;
      }
    }
  }

  private count(r: number, wireLength: number, time: number): void {
    if (this.fromLo) {
      this.framesLo[r]++;
      this.bytesLo[r] += wireLength;
    } else {
      this.framesHi[r]++;
      this.bytesHi[r] += wireLength;
    }
    if (!Number.isNaN(time)) {
      if (Number.isNaN(this.first[r]) || time < this.first[r]) this.first[r] = time;
      if (Number.isNaN(this.last[r]) || time > this.last[r]) this.last[r] = time;
    }
  }

  private grow(capacity: number): void {
    const copy = <T extends Float64Array | Uint32Array | Uint8Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(capacity * per);
      next.set(old.subarray(0, this.rowCount * per) as never);
      return next;
    };
    this.keys = copy(this.keys, (n) => new Uint32Array(n), KEY_WORDS);
    this.framesLo = copy(this.framesLo, (n) => new Float64Array(n));
    this.bytesLo = copy(this.bytesLo, (n) => new Float64Array(n));
    this.framesHi = copy(this.framesHi, (n) => new Float64Array(n));
    this.bytesHi = copy(this.bytesHi, (n) => new Float64Array(n));
    this.first = copy(this.first, (n) => new Float64Array(n));
    this.last = copy(this.last, (n) => new Float64Array(n));
    this.aIsHi = copy(this.aIsHi, (n) => new Uint8Array(n));
    this.baseKnown = copy(this.baseKnown, (n) => new Uint8Array(n));
    this.baseLo = copy(this.baseLo, (n) => new Uint32Array(n));
    this.baseHi = copy(this.baseHi, (n) => new Uint32Array(n));
    this.capacity = capacity;
    // Index at most half full; rebuilt from the rows, latest row of each key last so it wins.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
    const saved = new Uint32Array(this.k);
    const savedFromLo = this.fromLo;
    for (let r = 0; r < this.rowCount; r++) {
      this.k.set(this.keys.subarray(r * KEY_WORDS, (r + 1) * KEY_WORDS));
      this.indexPut(r);
    }
    this.k.set(saved);
    this.fromLo = savedFromLo;
  }
}
