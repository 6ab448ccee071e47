/**
 * Reassembles the first bytes of a byte stream from pieces that arrive at
 * known offsets, in any order and with overlaps (TCP segments, IP fragments,
 * QUIC CRYPTO frames, DTLS handshake fragments). The buffer has a hard cap;
 * bytes beyond it are ignored and counted by the caller's logic through
 * `overflowed`.
 */
export class OffsetAssembler {
  private buf: Uint8Array;
  /** Covered ranges [start, end), sorted and merged. */
  private ranges: number[] = [];
  /** Set when a piece reached past `capacity`. */
  overflowed = false;
  /** Set when a piece could not be recorded because the range list is full. */
  tooFragmented = false;

  /** At most this many disjoint holes are tracked; more means a hostile or broken stream. */
  static readonly MAX_RANGES = 64;

  constructor(readonly capacity: number, initialSize = Math.min(capacity, 2048)) {
    this.buf = new Uint8Array(Math.min(initialSize, capacity));
  }

  /** Bytes available from offset 0 without a hole. */
  get contiguous(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** The buffer; bytes [0, contiguous) are valid. */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /** Highest offset written so far (end of the last range). */
  get highest(): number {
    return this.ranges.length ? this.ranges[this.ranges.length - 1] : 0;
  }

  /** Writes `data[start, end)` at stream offset `offset` (>= 0). */
  write(offset: number, data: Uint8Array, start: number, end: number): void {
    if (offset < 0 || end <= start) return;
    let last = offset + (end - start);
    if (last > this.capacity) {
      this.overflowed = true;
      last = this.capacity;
      if (offset >= last) return;
      end = start + (last - offset);
    }
    if (!this.addRange(offset, last)) {
      this.tooFragmented = true;
      return;
    }
    if (last > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < last) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.capacity));
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf.set(data.subarray(start, end), offset);
  }

  /** Drops the first `n` contiguous bytes and shifts the rest down. */
  consume(n: number): void {
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.buf.length);
    const out: number[] = [];
    for (let i = 0; i < this.ranges.length; i += 2) {
      const s = Math.max(0, this.ranges[i] - n);
      const e = this.ranges[i + 1] - n;
      if (e > s) out.push(s, e);
    }
    this.ranges = out;
  }

  private addRange(s: number, e: number): boolean {
    const r = this.ranges;
    const out: number[] = [];
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      const rs = r[i];
      const re = r[i + 1];
      if (re < s) out.push(rs, re);
      else if (rs > e) {
        if (!placed) {
          out.push(s, e);
          placed = true;
        }
        out.push(rs, re);
      } else {
        s = Math.min(s, rs);
        e = Math.max(e, re);
      }
    }
    if (!placed) out.push(s, e);
    if (out.length / 2 > OffsetAssembler.MAX_RANGES) return false;
    this.ranges = out;
    return true;
  }
}
