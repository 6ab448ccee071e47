/**
 * Reassembles the first bytes of a byte stream from pieces that arrive at
 * known offsets, in any order and with overlaps (TCP segments, IP fragments,
 * QUIC CRYPTO frames, DTLS handshake fragments). The buffer has a hard cap;
 * bytes beyond it are ignored and counted by the caller's logic through
 * `overflowed`.
 */
export class OffsetAssembler {
  /** At most this many disjoint holes are tracked; more means a hostile or broken stream. */
  static readonly MAX_RANGES = 64;

  private buf: Uint8Array;
  /** Covered ranges [start, end), sorted and merged: `rangeEnds` numbers of `ranges` are in use. */
  private readonly ranges = new Int32Array(2 * OffsetAssembler.MAX_RANGES);
  private rangeEnds = 0;
  /** Set when a piece reached past `capacity`. */
  overflowed = false;
  /** Set when a piece could not be recorded because the range list is full. */
  tooFragmented = false;

  constructor(readonly capacity: number, initialSize = Math.min(capacity, 2048)) {
    this.buf = new Uint8Array(Math.min(initialSize, capacity));
  }

  /** Bytes available from offset 0 without a hole. */
  get contiguous(): number {
    return this.rangeEnds > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** The buffer; bytes [0, contiguous) are valid. */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /** Highest offset written so far (end of the last range). */
  get highest(): number {
    return this.rangeEnds > 0 ? this.ranges[this.rangeEnds - 1] : 0;
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

  /**
   * Records `length` bytes at `offset` as `write` would (coverage, `overflowed`,
   * `tooFragmented`) without keeping them: for a stream whose bytes can no
   * longer be read but whose extent still decides when it ends.
   */
  cover(offset: number, length: number): void {
    if (offset < 0 || length <= 0) return;
    const last = Math.min(offset + length, this.capacity);
    if (offset + length > this.capacity) {
      this.overflowed = true;
      if (offset >= last) return;
    }
    if (!this.addRange(offset, last)) this.tooFragmented = true;
  }

  /** Drops the first `n` contiguous bytes and shifts the rest down. */
  consume(n: number): void {
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.buf.length);
    const r = this.ranges;
    let out = 0;
    for (let i = 0; i < this.rangeEnds; i += 2) {
      const s = Math.max(0, r[i] - n);
      const e = r[i + 1] - n;
      if (e > s) {
        r[out++] = s;
        r[out++] = e;
      }
    }
    this.rangeEnds = out;
  }

  /** Empties the assembler for another stream, keeping its buffer. */
  reset(): void {
    this.rangeEnds = 0;
    this.overflowed = false;
    this.tooFragmented = false;
  }

  /** Adds [s, e) to the covered ranges, merging those it overlaps or touches; false when that would exceed MAX_RANGES. */
  private addRange(s: number, e: number): boolean {
    const r = this.ranges;
    const n = this.rangeEnds;
    let i = 0;
    while (i < n && r[i + 1] < s) i += 2;
    let j = i;
    while (j < n && r[j] <= e) {
      if (r[j] < s) s = r[j];
      if (r[j + 1] > e) e = r[j + 1];
      j += 2;
    }
    if (j === i) {
      if (n === r.length) return false;
      if (i < n) r.copyWithin(i + 2, i, n);
      this.rangeEnds = n + 2;
    } else if (j > i + 2) {
      r.copyWithin(i + 2, j, n);
      this.rangeEnds = n - (j - i - 2);
    }
    r[i] = s;
    r[i + 1] = e;
    return true;
  }
}
