import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureMessageError, CaptureMessageReader, MAX_PAYLOAD, MessageType } from '../../../src-capture-helper/live/capture-messages';

function message(type: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe('netmon-capture message reader', () => {
  it('gives the same messages however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.integer({ min: MessageType.opened, max: MessageType.error }), payload: fc.uint8Array({ maxLength: 3000 }) }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((m) => message(m.type, m.payload)));
          const seen: { type: number; payload: number[] }[] = [];
          const reader = new CaptureMessageReader((type, payload) => seen.push({ type, payload: [...payload] }));
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length];
            reader.push(stream.subarray(at, at + n));
            at += n;
          }
          expect(seen).toEqual(messages.map((m) => ({ type: m.type, payload: [...m.payload] })));
          expect(reader.buffered).toBe(0);
        },
      ),
    );
  });

  it('refuses an unknown type, an oversized length before allocating, and data after END', () => {
    const reader = () => new CaptureMessageReader(() => undefined);
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32LE(MessageType.batch, 0);
    oversized.writeUInt32LE(MAX_PAYLOAD + 1, 4);
    expect(() => reader().push(oversized)).toThrow(CaptureMessageError);
    expect(() => reader().push(message(9, new Uint8Array(0)))).toThrow(/unknown message type 9/);
    const r = reader();
    expect(() => r.push(Buffer.concat([message(MessageType.end, new Uint8Array(0)), message(MessageType.stats, new Uint8Array(8))]))).toThrow(/after the END/);
  });
});
