import type { DecodedPacket } from './decoded-packet';

const EMPTY = new Uint8Array(0);

/**
 * The cursor every decoder reads through: the buffer of the record being
 * decoded, where its captured bytes end, and the packet being filled. Each
 * DecodedPacket owns one, so decoding needs no module state and allocates
 * nothing per packet. Reads do not check bounds: callers check with `has`
 * (or against `cap`) before every read, as tshark would raise an exception.
 */
export class PacketReader {
  /** The buffer; every offset in the decoded packet indexes into it. */
  d: Uint8Array = EMPTY;
  /** End of the record's captured bytes in `d`. */
  cap = 0;

  constructor(readonly pkt: DecodedPacket) {}

  /** `n` captured bytes from `o` on. */
  has(o: number, n: number): boolean {
    return this.cap - o >= n;
  }

  u8(o: number): number {
    return this.d[o];
  }

  u16(o: number): number {
    const d = this.d;
    return (d[o] << 8) | d[o + 1];
  }

  u32(o: number): number {
    const d = this.d;
    return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
  }

  u16le(o: number): number {
    const d = this.d;
    return d[o] | (d[o + 1] << 8);
  }

  u32le(o: number): number {
    const d = this.d;
    return (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
  }

  /** 16 bytes from `o` into `dst`. */
  copy16(dst: Uint8Array, o: number): void {
    const d = this.d;
    for (let i = 0; i < 16; i++) dst[i] = d[o + i];
  }
}
