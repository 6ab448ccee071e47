import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Frame } from '../../../src-capture-helper/protocol/frame';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES } from '../../../src-capture-helper/protocol/frame';

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): Frame[] {
  const out: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => out.push({ json: Buffer.from(f.json), attachment: Buffer.from(f.attachment) }));
  return out;
}

function frameBytes(length: number, rest: number[] = []): Buffer {
  const b = Buffer.alloc(4 + rest.length);
  b.writeUInt32BE(length, 0);
  Buffer.from(rest).copy(b, 4);
  return b;
}

const messages: Array<[unknown, Uint8Array | undefined]> = [
  [{ t: 'hello', version: 1, token: 'abc' }, undefined],
  [{ t: 'event', name: 'exportChunk', payload: { seq: 0 } }, new Uint8Array([0, 1, 2, 255, 254])],
  [{ t: 'res', id: 7, ok: true, result: { text: 'é ünïcode ✓' } }, undefined],
];
const stream = Buffer.concat(messages.map(([m, a]) => encodeFrame(m, a)));

function expectMessages(frames: Frame[]): void {
  expect(frames.map((f) => JSON.parse(f.json.toString('utf8')))).toEqual(messages.map(([m]) => m));
  expect(frames.map((f) => [...f.attachment])).toEqual(messages.map(([, a]) => [...(a ?? [])]));
}

afterEach(() => vi.restoreAllMocks());

describe('frame codec', () => {
  it('round-trips messages with and without attachments in one chunk', () => {
    expectMessages(collect(new FrameDecoder(), [stream]));
  });

  it('decodes the same frames whatever byte the stream is split at', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expectMessages(collect(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]));
    }
  });

  it('decodes a stream fed one byte at a time and holds no more than one frame', () => {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    let maxBuffered = 0;
    for (let i = 0; i < stream.length; i++) {
      decoder.push(stream.subarray(i, i + 1), (f) => frames.push({ json: Buffer.from(f.json), attachment: Buffer.from(f.attachment) }));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    expectMessages(frames);
    const largest = Math.max(...messages.map(([m, a]) => encodeFrame(m, a).length));
    expect(maxBuffered).toBeLessThan(largest);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses an oversized length from the 4-byte prefix alone, before allocating the body', () => {
    const alloc = vi.spyOn(Buffer, 'allocUnsafe');
    const decoder = new FrameDecoder();
    let error: unknown;
    try {
      decoder.push(frameBytes(0xffffffff), () => undefined);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).code).toBe('oversized');
    expect(alloc).not.toHaveBeenCalled();
    expect(() => decoder.push(Buffer.from('{}'), () => undefined)).toThrow(FrameError);
  });

  it('accepts a frame exactly at the cap and refuses one byte more', () => {
    const cap = 64;
    const atCap = Buffer.alloc(4 + cap);
    atCap.writeUInt32BE(cap, 0);
    atCap.writeUInt32BE(2, 4);
    atCap.write('{}', 8);
    expect(collect(new FrameDecoder(cap), [atCap])).toHaveLength(1);
    expect(() => collect(new FrameDecoder(cap), [frameBytes(cap + 1)])).toThrow(/exceeds the 64-byte cap/);
  });

  it('refuses frames too short to hold a message and JSON lengths that do not fit', () => {
    expect(() => collect(new FrameDecoder(), [frameBytes(0)])).toThrow(/too short/);
    expect(() => collect(new FrameDecoder(), [frameBytes(5)])).toThrow(/too short/);
    expect(() => collect(new FrameDecoder(), [frameBytes(6, [0, 0, 0, 9, 0x7b, 0x7d])])).toThrow(/does not fit/);
    expect(() => collect(new FrameDecoder(), [frameBytes(6, [0, 0, 0, 1, 0x7b, 0x7d])])).toThrow(/does not fit/);
  });

  it('refuses to encode a frame over the cap', () => {
    expect(() => encodeFrame({ t: 'x' }, new Uint8Array(MAX_FRAME_BYTES))).toThrow(FrameError);
    expect(encodeFrame({ t: 'x' }, new Uint8Array(MAX_FRAME_BYTES - 100)).length).toBe(4 + 4 + 9 + MAX_FRAME_BYTES - 100);
  });
});
