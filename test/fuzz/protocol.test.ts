import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseServerMessage, ProtocolError } from '../../src-capture-helper/protocol/envelope';
import { encodeFrame, FrameDecoder, FrameError } from '../../src-capture-helper/protocol/frame';

const CAP = 4096;

/** Splits bytes into chunks at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

describe('frame decoder fuzz', () => {
  it('never throws anything but FrameError/ProtocolError on random bytes, and never holds more than one capped frame', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      const decoder = new FrameDecoder(CAP);
      try {
        for (const chunk of split(bytes, cuts)) {
          decoder.push(chunk, (frame) => {
            try {
              parseClientMessage(frame);
            } catch (err) {
              if (!(err instanceof ProtocolError)) throw err;
            }
            try {
              parseServerMessage(frame);
            } catch (err) {
              if (!(err instanceof ProtocolError)) throw err;
            }
          });
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(CAP + 4);
        }
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
      }
    }), { numRuns: 2000 });
  });

  it('decodes any sequence of valid frames identically however the stream is cut', () => {
    const message = fc.record({ t: fc.constantFrom('hello', 'req', 'event'), v: fc.jsonValue() });
    fc.assert(fc.property(fc.array(fc.tuple(message, fc.uint8Array({ maxLength: 64 })), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (items, cuts) => {
      const stream = Buffer.concat(items.map(([m, a]) => encodeFrame(m, a)));
      const seen: Array<[unknown, number[]]> = [];
      const decoder = new FrameDecoder();
      for (const chunk of split(stream, cuts)) decoder.push(chunk, (f) => seen.push([JSON.parse(f.json.toString('utf8')), [...f.attachment]]));
      expect(seen).toEqual(items.map(([m, a]) => [JSON.parse(JSON.stringify(m)), [...a]]));
      expect(decoder.bufferedBytes).toBe(0);
    }), { numRuns: 500 });
  });

  it('rejects or accepts mutated valid frames without any other exception', () => {
    const valid = encodeFrame({ t: 'req', id: 5, method: 'start', params: { source: { kind: 'live', interfaces: ['lo'] }, snaplen: 256 } });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (mutations) => {
      const bytes = Buffer.from(valid);
      for (const [at, value] of mutations) bytes[at] = value;
      try {
        new FrameDecoder(CAP).push(bytes, (frame) => parseClientMessage(frame));
      } catch (err) {
        if (!(err instanceof FrameError) && !(err instanceof ProtocolError)) throw err;
      }
    }), { numRuns: 2000 });
  });
});
