import { compareWords, parseIpWords } from './ip-words';

/** An autonomous system: its number and the name its registry gives. */
export interface AsnRecord {
  asn: number;
  name: string;
}

/** Thrown for a line of an AS range file that cannot be read; names the line. */
export class AsnFileError extends Error {
  override readonly name = 'AsnFileError';
}

/** Ranges in one set of files at most: the shipped one has about half a million. */
const MAX_RANGES = 5_000_000;

/** Growable words of addresses. */
class WordList {
  words = new Uint32Array(4 * 1024);
  size = 0;
  /** Makes room for one more address and returns where it goes. */
  slot(): number {
    if ((this.size + 1) * 4 > this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    return this.size * 4;
  }
}

/**
 * AS ranges in the CSV layout of the ip-location-db `asn` package:
 * `first,last,asn,name` per line, addresses IPv4 or IPv6, the name quoted
 * when it holds a comma. Kept as sorted typed arrays (addresses as four
 * 32-bit words, IPv4 mapped) and searched by bisection: 36 bytes a range and
 * no object per range.
 */
export class AsnRanges {
  private constructor(
    private readonly first: Uint32Array,
    private readonly last: Uint32Array,
    private readonly record: Uint32Array,
    private readonly records: AsnRecord[],
  ) {}

  get size(): number {
    return this.record.length;
  }

  /** Reads CSV text (one or more files' contents); throws AsnFileError naming the first bad line. */
  static parse(texts: ReadonlyArray<{ text: string; source: string }>): AsnRanges {
    const reader = new AsnCsvReader(texts.map(({ text, source }) => ({ bytes: Buffer.from(text, 'utf8'), source })));
    while (!reader.read(Number.POSITIVE_INFINITY));
    return reader.ranges();
  }

  /**
   * As parse, from the files' bytes, about `sliceMs` of work at a time with the event loop free in between: the
   * shipped files hold half a million ranges, seconds of work that would otherwise stall every request and event
   * of the process reading them. The bytes are decoded a chunk at a time for the same reason.
   */
  static async parseInSlices(files: ReadonlyArray<{ bytes: Buffer; source: string }>, sliceMs = 10): Promise<AsnRanges> {
    const reader = new AsnCsvReader(files);
    for (;;) {
      const until = performance.now() + sliceMs;
      let done = false;
      while (!done && performance.now() < until) done = reader.read(512);
      if (done) return reader.ranges();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Orders the ranges by first address (the shipped files are in order already: then nothing moves). */
  static sorted(first: Uint32Array, last: Uint32Array, recordOf: Uint32Array, records: AsnRecord[]): AsnRanges {
    const n = recordOf.length;
    let inOrder = true;
    for (let i = 1; i < n && inOrder; i++) inOrder = compareWords(first, (i - 1) * 4, first, i * 4) <= 0;
    if (inOrder) return new AsnRanges(first.slice(), last.slice(), recordOf.slice(), records);
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => compareWords(first, x * 4, first, y * 4));
    const f = new Uint32Array(n * 4);
    const l = new Uint32Array(n * 4);
    const r = new Uint32Array(n);
    order.forEach((src, dst) => {
      f.set(first.subarray(src * 4, src * 4 + 4), dst * 4);
      l.set(last.subarray(src * 4, src * 4 + 4), dst * 4);
      r[dst] = recordOf[src];
    });
    return new AsnRanges(f, l, r, records);
  }

  /** The AS of the address at `words[at..]`, or null when no range holds it. */
  lookup(words: Uint32Array, at: number): AsnRecord | null {
    // The last range whose first address is at or before the address.
    let lo = 0;
    let hi = this.record.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWords(this.first, mid * 4, words, at) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || compareWords(this.last, found * 4, words, at) < 0) return null;
    return this.records[this.record[found]];
  }
}

/** Bytes decoded to text at a time; a chunk ends at a line's end. */
const CHUNK_BYTES = 1 << 20;

/** The CSV lines of AS range files read into typed arrays, resumable after any line. */
class AsnCsvReader {
  private readonly first = new WordList();
  private readonly last = new WordList();
  private recordOf = new Uint32Array(1024);
  private readonly records: AsnRecord[] = [];
  // Keyed by the line's text after the addresses ("asn,name"), so a repeated AS costs one map lookup.
  private readonly recordIds = new Map<string, number>();
  private file = 0;
  /** Next byte of the current file to decode. */
  private bytePos = 0;
  private lineNo = 0;
  /** The decoded chunk, and where its next line starts. */
  private text = '';
  private start = 0;

  constructor(private readonly files: ReadonlyArray<{ bytes: Buffer; source: string }>) {}

  /** Reads up to `maxLines` more lines; true once every file is read. Throws AsnFileError naming a bad line. */
  read(maxLines: number): boolean {
    const { first, last, records, recordIds } = this;
    for (let lines = 0; lines < maxLines; lines++) {
      if (this.start >= this.text.length && !this.nextChunk()) return true;
      const { text } = this;
      const { source } = this.files[this.file];
      let end = text.indexOf('\n', this.start);
      if (end < 0) end = text.length;
      this.lineNo++;
      const lineNo = this.lineNo;
      const lineStart = this.start;
      const lineEnd = end > lineStart && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      this.start = end + 1;
      if (lineEnd === lineStart) continue;
      const bad = (why: string): never => {
        throw new AsnFileError(`${source} line ${lineNo}: ${why} (expected first,last,asn,name)`);
      };
      const c1 = text.indexOf(',', lineStart);
      const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
      if (c1 < 0 || c2 < 0 || c2 >= lineEnd) bad('fewer than 3 comma-separated fields');
      const n = first.size;
      if (n >= MAX_RANGES) bad(`more than ${MAX_RANGES} ranges`);
      const at = first.slot();
      last.slot();
      if (!parseIpWords(text, lineStart, c1, first.words, at) || !parseIpWords(text, c1 + 1, c2, last.words, at)) {
        bad(`${JSON.stringify(text.slice(lineStart, c2))} is not two IP addresses`);
      }
      if (compareWords(first.words, at, last.words, at) > 0) bad('first address after last');
      const key = text.slice(c2 + 1, lineEnd);
      let id = recordIds.get(key);
      if (id === undefined) {
        const fields = splitCsvLine(key);
        if (fields === null || fields.length > 2) bad('a badly quoted name or more than 4 fields');
        const [asnText, name = ''] = fields as string[];
        if (!/^\d{1,10}$/.test(asnText) || Number(asnText) > 0xffffffff) bad(`${JSON.stringify(asnText)} is not an AS number`);
        id = records.length;
        // A copy of its own: a slice would keep the whole decoded megabyte it came from (about 30 MB for the
        // shipped files).
        records.push({ asn: Number(asnText), name: Buffer.from(name, 'utf8').toString('utf8') });
        recordIds.set(key, id);
      }
      if (n >= this.recordOf.length) {
        const bigger = new Uint32Array(this.recordOf.length * 2);
        bigger.set(this.recordOf);
        this.recordOf = bigger;
      }
      this.recordOf[n] = id;
      first.size++;
      last.size++;
    }
    return false;
  }

  /** Decodes the next chunk of whole lines (moving to the next file at the end of one); false after the last file. */
  private nextChunk(): boolean {
    while (this.file < this.files.length) {
      const { bytes } = this.files[this.file];
      if (this.bytePos >= bytes.length) {
        this.file++;
        this.bytePos = 0;
        this.lineNo = 0;
        continue;
      }
      let end = Math.min(bytes.length, this.bytePos + CHUNK_BYTES);
      if (end < bytes.length) {
        const newline = bytes.lastIndexOf(10, end - 1);
        if (newline >= this.bytePos) end = newline + 1;
        else {
          // One line longer than a chunk: decode it whole.
          const next = bytes.indexOf(10, end);
          end = next < 0 ? bytes.length : next + 1;
        }
      }
      this.text = bytes.toString('utf8', this.bytePos, end);
      this.start = 0;
      this.bytePos = end;
      return true;
    }
    return false;
  }

  ranges(): AsnRanges {
    const { first, last } = this;
    if (first.size === 0) throw new AsnFileError(`${this.files.map((f) => f.source).join(', ')}: no AS ranges`);
    return AsnRanges.sorted(first.words.subarray(0, first.size * 4), last.words.subarray(0, last.size * 4), this.recordOf.subarray(0, first.size), this.records);
  }
}

/** Splits one CSV line (RFC 4180 quoting); null for an unterminated or misplaced quote. */
export function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= line.length) return fields;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, c));
      i = c + 1;
    }
  }
}
