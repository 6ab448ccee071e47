/**
 * TCP stream directions whose message (ClientHello, HTTP request head, DNS
 * message) did not fit in one segment, buffered by sequence number until it
 * is whole. Bounded in count (the least recently fed goes first), in bytes a
 * direction and in idle time; dropped buffers are kept for reuse.
 */
import type { IpLayer } from '../decode/decoded-packet';
import { FLOW_SLOT_SPACE } from '../flows/flow-types';
import { BoundedMap } from '../../src-shared/bounded-map';
import { OffsetAssembler } from './offset-assembler';

export const StreamKind = { tls: 0, http: 1, dns: 2 } as const;
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

export interface TcpStream {
  kind: StreamKind;
  /** TCP sequence number of buffer offset 0. */
  baseSeq: number;
  asm: OffsetAssembler;
  lastSec: number;
  flowId: number;
  /**
   * A DNS stream whose first message is longer than the buffer: no message in
   * it can be read, so its bytes are not kept, only where they fall (which
   * still decides when the stream overflows and ends, as it did with them).
   */
  skip: boolean;
}

/** Dropped streams kept for reuse (each with a buffer of up to the stream buffer size). */
const SPARE_STREAMS = 16;

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
  private readonly streams: BoundedMap<number, TcpStream>;
  /** Per flow slot: bit 0 or 1 set when direction 0 or 1 may have a buffered stream (see `find`). */
  private hints: Uint8Array = new Uint8Array(0);
  /** Streams dropped, kept for reuse. */
  private readonly spares: TcpStream[] = [];
  /** Streams given up because a message outgrew the buffer or had too many holes. */
  overflowed = 0;
  /** Streams dropped after `idleSec` without completing. */
  timedOut = 0;

  constructor(
    maxStreams: number,
    private readonly bufferBytes: number,
    private readonly idleSec: number,
  ) {
    this.streams = new BoundedMap(maxStreams, (_key, st) => this.spare(st));
  }

  /** Stream directions dropped because `maxStreams` were buffered. */
  get evicted(): number {
    return this.streams.evicted;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Starts buffering direction `key` at sequence number `seq` with `data[start, end)`. */
  open(key: number, kind: StreamKind, seq: number, data: Uint8Array, start: number, end: number, flowId: number, sec: number): void {
    if (key < 0) return;
    this.expire(sec);
    // Over TCP a DNS message follows its 2-byte length.
    const skip = kind === StreamKind.dns && end - start >= 2 && 2 + ((data[start] << 8) | data[start + 1]) > this.bufferBytes;
    let st = this.spares.pop();
    if (st) {
      st.kind = kind;
      st.baseSeq = seq;
      st.lastSec = sec;
      st.flowId = flowId;
      st.skip = skip;
      st.asm.reset();
    } else {
      st = { kind, baseSeq: seq, asm: new OffsetAssembler(this.bufferBytes), lastSec: sec, flowId, skip };
    }
    this.streams.setNewest(key, st);
    const slot = Math.floor(key / 2) % FLOW_SLOT_SPACE;
    if (slot >= this.hints.length) this.hints = grownBytes(this.hints, slot);
    this.hints[slot] |= 1 << (key & 1);
    if (skip) st.asm.cover(0, end - start);
    else st.asm.write(0, data, start, end);
  }

  /**
   * The buffered stream of a flow direction. Most segments belong to none:
   * a bit per flow slot and direction, set when a stream starts and cleared
   * when a lookup finds none, spares them the map lookup.
   */
  find(key: number): TcpStream | undefined {
    if (key < 0) return undefined;
    const slot = Math.floor(key / 2) % FLOW_SLOT_SPACE;
    const bit = 1 << (key & 1);
    if (slot >= this.hints.length || (this.hints[slot] & bit) === 0) return undefined;
    const st = this.streams.get(key);
    if (st === undefined) this.hints[slot] &= ~bit;
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
    st.lastSec = sec;
    this.streams.setNewest(key, st);
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

  /** Drops a buffered stream, keeping a few for the next ones (their buffers are reused). */
  delete(key: number): void {
    const st = this.streams.get(key);
    if (st === undefined) return;
    this.streams.delete(key);
    this.spare(st);
  }

  /** Gives up a stream whose message outgrew its buffer (counted). */
  drop(key: number): void {
    this.delete(key);
    this.overflowed++;
  }

  expire(nowSec: number): void {
    for (;;) {
      const oldest = this.streams.oldest();
      if (!oldest || nowSec - oldest[1].lastSec <= this.idleSec) return;
      this.delete(oldest[0]);
      this.timedOut++;
    }
  }

  private spare(st: TcpStream): void {
    if (this.spares.length < SPARE_STREAMS) this.spares.push(st);
  }
}

/** A copy of `a`, zero-filled, large enough for index `at`. */
function grownBytes(a: Uint8Array, at: number): Uint8Array {
  let size = Math.max(1024, a.length);
  while (size <= at) size *= 2;
  const out = new Uint8Array(size);
  out.set(a);
  return out;
}
