/**
 * TCP stream directions whose message (ClientHello, HTTP request head, DNS
 * message) did not fit in one segment, buffered by sequence number until it
 * is whole. Bounded in count (the least recently fed goes first), in bytes a
 * direction and in idle time.
 *
 * A full table evicts on every stream it opens (a busy DNS-over-TCP port
 * opens one for nearly every segment), so the streams live in a fixed pool
 * rather than a Map: a small hash table of pool indexes (a few KiB, which
 * stay in the cache every TCP segment looks into) finds them, typed arrays
 * link them from the least to the most recently fed, and an evicted entry
 * (with its buffer) carries the stream that replaces it.
 */
import type { IpLayer } from '../decode/decoded-packet';
import { OffsetAssembler } from './offset-assembler';

export const StreamKind = { tls: 0, http: 1, dns: 2 } as const;
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

export interface TcpStream {
  kind: StreamKind;
  /** TCP sequence number of buffer offset 0. */
  baseSeq: number;
  asm: OffsetAssembler;
  flowId: number;
  /**
   * A DNS stream whose first message is longer than the buffer: no message in
   * it can be read, so its bytes are not kept, only where they fall (which
   * still decides when the stream overflows and ends, as it did with them).
   */
  skip: boolean;
}

/** Free entries that keep their buffer for the next stream; the others give it back. */
const SPARE_STREAMS = 16;
const NONE = -1;
/** Bytes a stream's buffer starts with (it grows to the message, up to the stream buffer size). */
const INITIAL_BUFFER = 2048;

/**
 * Key of one direction of a flow: 2 * flowId, plus 1 for the direction from
 * the higher endpoint (by port, then address); -1 without a flow.
 */
export function streamKey(layer: IpLayer, flowId: number): number {
  if (flowId < 0) return -1;
  let dir = 0;
  if (layer.srcPort !== layer.dstPort) dir = layer.srcPort > layer.dstPort ? 1 : 0;
  else {
    for (let i = 0; i < 16; i++) {
      if (layer.src[i] !== layer.dst[i]) {
        dir = layer.src[i] > layer.dst[i] ? 1 : 0;
        break;
      }
    }
  }
  return flowId * 2 + dir;
}

export class TcpStreams {
  /** Entries by pool index; `keys` holds each one's key (-1 when free), `lastSecs` when it was last fed. */
  private readonly entries: TcpStream[] = [];
  private readonly keys: Float64Array;
  private readonly lastSecs: Float64Array;
  /** Least to most recently fed: the neighbours of each entry in use (NONE at the ends). */
  private readonly older: Int32Array;
  private readonly newer: Int32Array;
  private oldestAt = NONE;
  private newestAt = NONE;
  /** Open addressing, linear probing, at most half full: pool index plus 1 of each key (0 for none). */
  private readonly index: Int32Array;
  private readonly indexBits: number;
  /**
   * A DNS stream that cannot be read (`skip`) is opened for nearly every
   * segment of a busy DNS-over-TCP port, and most are evicted before their
   * next segment: until `find` asks for one, only these numbers of the pool
   * are written, not its cold entry. `skipFirst` is the length of its first
   * segment (0 when the entry itself is up to date).
   */
  private readonly skipFirst: Int32Array;
  private readonly skipSeqs: Float64Array;
  private readonly skipFlows: Float64Array;
  /** Free entries, last freed on top; `entries.length` entries were ever made. */
  private readonly free: number[] = [];
  private count = 0;
  /** Stream directions dropped because `maxStreams` were buffered. */
  evicted = 0;
  /** Streams given up because a message outgrew the buffer or had too many holes. */
  overflowed = 0;
  /** Streams dropped after `idleSec` without completing. */
  timedOut = 0;

  constructor(
    private readonly maxStreams: number,
    private readonly bufferBytes: number,
    private readonly idleSec: number,
  ) {
    if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError(`maxStreams must be a positive integer, got ${maxStreams}`);
    this.keys = new Float64Array(maxStreams).fill(-1);
    this.lastSecs = new Float64Array(maxStreams);
    this.older = new Int32Array(maxStreams);
    this.newer = new Int32Array(maxStreams);
    let bits = 4;
    while (1 << bits < 2 * maxStreams) bits++;
    this.indexBits = bits;
    this.index = new Int32Array(1 << bits);
    this.skipFirst = new Int32Array(maxStreams);
    this.skipSeqs = new Float64Array(maxStreams);
    this.skipFlows = new Float64Array(maxStreams);
  }

  get size(): number {
    return this.count;
  }

  /** Starts buffering direction `key` at sequence number `seq` with `data[start, end)`. */
  open(key: number, kind: StreamKind, seq: number, data: Uint8Array, start: number, end: number, flowId: number, sec: number): void {
    if (key < 0) return;
    this.expire(sec);
    // Over TCP a DNS message follows its 2-byte length.
    const skip = kind === StreamKind.dns && end - start >= 2 && 2 + ((data[start] << 8) | data[start + 1]) > this.bufferBytes;
    let at = this.indexOf(key);
    if (at !== NONE) this.unlink(at);
    else {
      if (this.count >= this.maxStreams) {
        // The least recently fed stream makes room, and its entry carries the new one.
        at = this.oldestAt;
        this.remove(at);
        this.evicted++;
      } else at = this.free.length > 0 ? (this.free.pop() as number) : this.make();
      this.insert(at, key);
    }
    this.linkNewest(at);
    this.lastSecs[at] = sec;
    if (skip) {
      this.skipFirst[at] = end - start;
      this.skipSeqs[at] = seq;
      this.skipFlows[at] = flowId;
      return;
    }
    this.skipFirst[at] = 0;
    const st = this.entries[at];
    st.kind = kind;
    st.baseSeq = seq;
    st.flowId = flowId;
    st.skip = false;
    st.asm.reset();
    st.asm.write(0, data, start, end);
  }

  /** The buffered stream of a flow direction (most segments belong to none: a probe or two of the index says so). */
  find(key: number): TcpStream | undefined {
    if (key < 0) return undefined;
    const at = this.indexOf(key);
    if (at === NONE) return undefined;
    const st = this.entries[at];
    const first = this.skipFirst[at];
    if (first > 0) {
      // What `open` would have written for a skip stream.
      this.skipFirst[at] = 0;
      st.kind = StreamKind.dns;
      st.baseSeq = this.skipSeqs[at];
      st.flowId = this.skipFlows[at];
      st.skip = true;
      st.asm.reset();
      st.asm.cover(0, first);
    }
    return st;
  }

  /**
   * Adds a segment at sequence number `seq` to a buffered stream. Returns
   * false when there is nothing new to read: an old retransmission, or the
   * stream was dropped for too many holes (counted).
   */
  write(key: number, st: TcpStream, seq: number, data: Uint8Array, start: number, end: number, sec: number): boolean {
    // Signed distance in sequence space handles wrap-around at 2^32.
    let rel = (seq - st.baseSeq) | 0;
    if (rel < 0) {
      if (end - start <= -rel) return false; // an old retransmission
      start += -rel;
      rel = 0;
    }
    if (st.skip) st.asm.cover(rel, end - start);
    else st.asm.write(rel, data, start, end);
    const at = this.indexOf(key);
    if (at !== NONE) this.lastSecs[at] = sec;
    if (at !== NONE && at !== this.newestAt) {
      this.unlink(at);
      this.linkNewest(at);
    }
    if (st.asm.tooFragmented) {
      this.drop(key);
      return false;
    }
    return true;
  }

  /** Forgets the first `used` bytes of a stream: the next message starts after them. */
  consume(st: TcpStream, used: number): void {
    st.asm.consume(used);
    st.baseSeq = (st.baseSeq + used) >>> 0;
  }

  /** Drops a buffered stream (a few free entries keep their buffers for the next ones). */
  delete(key: number): void {
    if (key < 0) return;
    const at = this.indexOf(key);
    if (at === NONE) return;
    this.remove(at);
    this.release(at);
  }

  /** Gives up a stream whose message outgrew its buffer (counted). */
  drop(key: number): void {
    this.delete(key);
    this.overflowed++;
  }

  expire(nowSec: number): void {
    // Written as "not within" so that a time that compares as nothing (NaN) ends the stream, too.
    for (let at = this.oldestAt; at !== NONE && !(nowSec - this.lastSecs[at] <= this.idleSec); at = this.oldestAt) {
      this.remove(at);
      this.release(at);
      this.timedOut++;
    }
  }

  // --- pool ----------------------------------------------------------------

  /** Position of `key` in `index` when nothing is in the way. */
  private home(key: number): number {
    const lo = key % 4294967296;
    const hi = (key - lo) / 4294967296;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.indexBits);
  }

  private indexOf(key: number): number {
    const index = this.index;
    const mask = index.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const at = index[i] - 1;
      if (at === NONE || this.keys[at] === key) return at;
    }
  }

  private make(): number {
    const at = this.entries.length;
    this.entries.push({ kind: StreamKind.tls, baseSeq: 0, asm: new OffsetAssembler(this.bufferBytes, INITIAL_BUFFER), flowId: -1, skip: false });
    return at;
  }

  /** Enters free entry `at` under `key` (unlinked from the age order). */
  private insert(at: number, key: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = this.home(key);
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = at + 1;
    this.keys[at] = key;
    this.count++;
  }

  /** Takes entry `at` out of the index and the age order. */
  private remove(at: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = this.home(this.keys[at]);
    while (index[i] !== at + 1) i = (i + 1) & mask;
    // Backward-shift deletion: later keys of the run move into the gap when their home allows, so no probe meets a hole early.
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const h = this.home(this.keys[index[j] - 1]);
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        index[i] = index[j];
        i = j;
      }
    }
    index[i] = 0;
    this.keys[at] = -1;
    this.unlink(at);
    this.count--;
  }

  /** Returns a removed entry to the free list; past SPARE_STREAMS free entries, it gives its grown buffer back. */
  private release(at: number): void {
    this.skipFirst[at] = 0;
    if (this.free.length >= SPARE_STREAMS) {
      const st = this.entries[at];
      if (st.asm.bytes.length > INITIAL_BUFFER) st.asm = new OffsetAssembler(this.bufferBytes, INITIAL_BUFFER);
    }
    this.free.push(at);
  }

  private linkNewest(at: number): void {
    this.older[at] = this.newestAt;
    this.newer[at] = NONE;
    if (this.newestAt !== NONE) this.newer[this.newestAt] = at;
    else this.oldestAt = at;
    this.newestAt = at;
  }

  private unlink(at: number): void {
    const o = this.older[at];
    const n = this.newer[at];
    if (o !== NONE) this.newer[o] = n;
    else this.oldestAt = n;
    if (n !== NONE) this.older[n] = o;
    else this.newestAt = o;
    this.older[at] = NONE;
    this.newer[at] = NONE;
  }
}
