/**
 * Framing of the helper socket: every frame is
 *
 *   u32 BE frameLength | u32 BE jsonLength | JSON (UTF-8) | attachment bytes
 *
 * where frameLength counts everything after itself (so it is at least 4 + 2
 * for the smallest JSON value `{}`) and the attachment is whatever follows the
 * JSON (export data chunks; empty for control messages). The length is checked
 * against the cap before anything is allocated, so a hostile peer cannot make
 * either side reserve more than one capped frame.
 */

/** Hard cap on one frame (after the length prefix). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const LENGTH_BYTES = 4;
/** `{}` is the shortest JSON object, and every message is an object. */
const MIN_JSON_BYTES = 2;

export type FrameErrorCode = 'oversized' | 'malformed';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(readonly code: FrameErrorCode, message: string) {
    super(message);
  }
}

export interface Frame {
  /** The JSON text of the message, as bytes. */
  json: Buffer;
  /** Binary attachment (export data); empty for control messages. */
  attachment: Buffer;
}

/** Encodes one frame. Throws FrameError('oversized') when it would exceed the cap. */
export function encodeFrame(message: unknown, attachment?: Uint8Array, maxFrameBytes = MAX_FRAME_BYTES): Buffer {
  // The text is written straight into the frame: no buffer of its own to copy from.
  const json = JSON.stringify(message);
  const jsonLength = Buffer.byteLength(json, 'utf8');
  const attachmentLength = attachment?.length ?? 0;
  const frameLength = LENGTH_BYTES + jsonLength + attachmentLength;
  if (frameLength > maxFrameBytes) {
    throw new FrameError('oversized', `frame of ${frameLength} bytes exceeds the ${maxFrameBytes}-byte cap`);
  }
  const out = Buffer.allocUnsafe(LENGTH_BYTES + frameLength);
  out.writeUInt32BE(frameLength, 0);
  out.writeUInt32BE(jsonLength, LENGTH_BYTES);
  out.write(json, 2 * LENGTH_BYTES, jsonLength, 'utf8');
  if (attachment !== undefined && attachmentLength > 0) out.set(attachment, 2 * LENGTH_BYTES + jsonLength);
  return out;
}

/**
 * Streaming decoder. Holds at most the 4-byte length prefix and the body of
 * the frame being assembled; the body buffer is allocated only once its
 * length has passed the cap. After an error the decoder stays failed: the
 * stream is out of sync and the connection must be closed.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(LENGTH_BYTES);
  private headerFilled = 0;
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private failure: FrameError | null = null;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes currently held for an unfinished frame (for tests and stats). */
  get bufferedBytes(): number {
    return this.headerFilled + this.bodyFilled;
  }

  /** Feeds bytes; calls onFrame for each completed frame. Throws FrameError on bad input. */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    if (this.failure) throw this.failure;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body === null) {
        const take = Math.min(LENGTH_BYTES - this.headerFilled, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < LENGTH_BYTES) return;
        const frameLength = this.header.readUInt32BE(0);
        if (frameLength > this.maxFrameBytes) {
          return this.fail('oversized', `frame of ${frameLength} bytes exceeds the ${this.maxFrameBytes}-byte cap`);
        }
        if (frameLength < LENGTH_BYTES + MIN_JSON_BYTES) {
          return this.fail('malformed', `frame of ${frameLength} bytes is too short`);
        }
        this.body = Buffer.allocUnsafe(frameLength);
        this.bodyFilled = 0;
      }
      const take = Math.min(this.body.length - this.bodyFilled, chunk.length - offset);
      this.body.set(chunk.subarray(offset, offset + take), this.bodyFilled);
      this.bodyFilled += take;
      offset += take;
      if (this.bodyFilled < this.body.length) return;
      const body = this.body;
      this.body = null;
      this.bodyFilled = 0;
      this.headerFilled = 0;
      const jsonLength = body.readUInt32BE(0);
      if (jsonLength < MIN_JSON_BYTES || jsonLength > body.length - LENGTH_BYTES) {
        return this.fail('malformed', `JSON length ${jsonLength} does not fit a ${body.length}-byte frame`);
      }
      onFrame({
        json: body.subarray(LENGTH_BYTES, LENGTH_BYTES + jsonLength),
        attachment: body.subarray(LENGTH_BYTES + jsonLength),
      });
    }
  }

  private fail(code: FrameErrorCode, message: string): never {
    this.body = null;
    this.failure = new FrameError(code, message);
    throw this.failure;
  }
}
