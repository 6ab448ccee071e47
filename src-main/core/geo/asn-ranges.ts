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
    const first = new WordList();
    const last = new WordList();
    let recordOf = new Uint32Array(1024);
    const records: AsnRecord[] = [];
    // Keyed by the line's text after the addresses ("asn,name"), so a repeated AS costs one map lookup.
    const recordIds = new Map<string, number>();
    for (const { text, source } of texts) {
      let lineNo = 0;
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        lineNo++;
        const lineStart = start;
        const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
        start = end + 1;
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
          records.push({ asn: Number(asnText), name });
          recordIds.set(key, id);
        }
        if (n >= recordOf.length) {
          const bigger = new Uint32Array(recordOf.length * 2);
          bigger.set(recordOf);
          recordOf = bigger;
        }
        recordOf[n] = id;
        first.size++;
        last.size++;
      }
    }
    if (first.size === 0) throw new AsnFileError(`${texts.map((t) => t.source).join(', ')}: no AS ranges`);
    return AsnRanges.sorted(first.words.subarray(0, first.size * 4), last.words.subarray(0, last.size * 4), recordOf.subarray(0, first.size), records);
  }

  /** Orders the ranges by first address (the shipped files are in order already: then nothing moves). */
  private static sorted(first: Uint32Array, last: Uint32Array, recordOf: Uint32Array, records: AsnRecord[]): AsnRanges {
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
