import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src-capture-helper/capture-file/capture-file-error';
import { CaptureParser, MAX_PCAPNG_BLOCK } from '../../src-capture-helper/capture-file/capture-parser';
import { readCaptureFile } from '../../src-capture-helper/capture-file/read-capture-file';
import { CaptureEngine } from '../../src-capture-helper/pipeline/engine';
import type { PacketRecord } from '../../src-capture-helper/pipeline/packet-sink';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/pcap');
const files = readdirSync(FIXTURES).filter((f) => !f.endsWith('.json') && !f.endsWith('.md'));
const samples = files.map((f) => new Uint8Array(readFileSync(path.join(FIXTURES, f))));

/** Parse a whole buffer, possibly in pieces, checking every record as it arrives. */
function parseAll(bytes: Uint8Array, piece: number): CaptureParser {
  const check = {
    packet(rec: PacketRecord) {
      expect(rec.length).toBeLessThanOrEqual(MAX_PCAPNG_BLOCK);
      expect(rec.offset + rec.length).toBeLessThanOrEqual(rec.bytes.length);
      expect(Number.isFinite(rec.tsSec) && rec.tsNsec >= 0 && rec.tsNsec < 1e9).toBe(true);
    },
  };
  const parser = new CaptureParser(check);
  // Feed growing prefixes the way the file reader does: unconsumed bytes are offered again.
  let start = 0;
  let end = Math.min(piece, bytes.length);
  for (;;) {
    const eof = end === bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    start = parser.parse(bytes, view, start, end, start, eof);
    if (eof || parser.done) break;
    end = Math.min(end + piece, bytes.length);
  }
  if (parser.error !== undefined) expect(parser.error).toBeInstanceOf(CaptureFileError);
  return parser;
}

const mutated = fc
  .tuple(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), fc.option(fc.nat()))
  .map(([base, edits, cut]) => {
    const b = Uint8Array.from(base);
    for (const [at, v] of edits) b[at % b.length] = v;
    return cut === null ? b : b.subarray(0, cut % (b.length + 1));
  });

describe('capture file reader on hostile input', () => {
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 512 }), (bytes, piece) => {
        parseAll(bytes, piece);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes behind a valid pcap or pcapng magic never throw', () => {
    const heads = [
      Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]),
      Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0]),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 1, max: 256 }), (head, tail, piece) => {
        const b = new Uint8Array(head.length + tail.length);
        b.set(head);
        b.set(tail, head.length);
        parseAll(b, piece);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated and cut fixtures never throw, and a cut file reports the packets before the cut', () => {
    fc.assert(
      fc.property(mutated, fc.integer({ min: 1, max: 4096 }), (bytes, piece) => {
        const whole = parseAll(bytes, bytes.length || 1);
        const pieces = parseAll(bytes, piece);
        expect(pieces.packets).toBe(whole.packets);
        expect(pieces.error?.kind).toBe(whole.error?.kind);
      }),
      { numRuns: 300 },
    );
  });

  it('a hostile record length is refused before anything is allocated for it', () => {
    const header = Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]);
    const rec = new Uint8Array(16);
    new DataView(rec.buffer).setUint32(8, 0xfffffff0, true);
    new DataView(rec.buffer).setUint32(12, 0xfffffff0, true);
    const b = new Uint8Array(40);
    b.set(header);
    b.set(rec, 24);
    const p = parseAll(b, 40);
    expect(p.error?.kind).toBe('bad-file');
    expect(p.packets).toBe(0);
  });

  it('whole engine on mutated fixtures read from disk never throws', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netmon-fuzz-'));
    try {
      const file = path.join(dir, 'capture');
      fc.assert(
        fc.property(mutated, (bytes) => {
          writeFileSync(file, bytes);
          const engine = new CaptureEngine();
          const read = readCaptureFile(file, engine, { chunkSize: 256 });
          const report = engine.finish('capture', read);
          expect(report.packets).toBe(read.packets);
          const p = report.protocols;
          expect(p.tcp.packets + p.udp.packets + p.icmp.packets + p.icmpv6.packets + p.other.packets).toBe(report.packets);
        }),
        { numRuns: 150 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
