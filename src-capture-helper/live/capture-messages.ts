/**
 * Reader of netmon-capture's output (see capture-program/wire.md): 8-byte
 * headers (u32 type, u32 length, host order) and payloads. A payload larger
 * than the bound is refused before anything is allocated for it; a message
 * that lies whole inside one chunk is handed over where it lies (no copy).
 */
export const MessageType = { opened: 1, batch: 2, stats: 3, error: 4, end: 5 } as const;

/** Bytes before the first record of a BATCH payload (count, reserved). */
export const BATCH_PAYLOAD_HEADER = 8;
/** Bytes of a record's header before its captured bytes. */
export const RECORD_HEADER = 24;
/** Bytes per interface in a STATS payload. */
export const STATS_ENTRY = 40;
/** The largest payload accepted: the program's largest batch (16 MiB) plus its header. */
export const MAX_PAYLOAD = 16 * 1024 * 1024 + 16;

const HEADER = 8;

export class CaptureMessageError extends Error {
  override readonly name = 'CaptureMessageError';
}

/** Called per message; `payload` is valid during the call only. */
export type MessageHandler = (type: number, payload: Uint8Array) => void;

export class CaptureMessageReader {
  private pending: Buffer = Buffer.alloc(0);
  private pendingUsed = 0;
  private ended = false;

  constructor(private readonly onMessage: MessageHandler) {}

  /** Bytes held of an incomplete message (0 at a clean end). */
  get buffered(): number {
    return this.pendingUsed;
  }

  /** Feeds bytes as they come off the pipe; throws CaptureMessageError on a malformed stream. */
  push(chunk: Buffer): void {
    if (this.ended) throw new CaptureMessageError('data after the END message');
    let data = chunk;
    let offset = 0;
    if (this.pendingUsed > 0) {
      // Complete the message begun in an earlier chunk, copying only what it needs.
      const need = this.pendingNeed();
      if (need === null) {
        const take = Math.min(HEADER - this.pendingUsed, data.length);
        this.append(data, 0, take);
        offset = take;
        if (this.pendingUsed < HEADER) return;
      }
      const total = this.pendingNeed()!;
      const take = Math.min(total - this.pendingUsed, data.length - offset);
      this.append(data, offset, take);
      offset += take;
      if (this.pendingUsed < total) return;
      this.pendingUsed = 0;
      this.deliver(this.pending, 0);
      if (offset === data.length) return;
      data = data.subarray(offset);
      offset = 0;
    }
    while (data.length - offset >= HEADER) {
      const length = this.lengthAt(data, offset);
      if (data.length - offset < HEADER + length) break;
      this.deliver(data, offset);
      offset += HEADER + length;
    }
    if (offset < data.length) this.append(data, offset, data.length - offset);
  }

  private pendingNeed(): number | null {
    return this.pendingUsed < HEADER ? null : HEADER + this.lengthAt(this.pending, 0);
  }

  private lengthAt(buf: Buffer, offset: number): number {
    const type = buf.readUInt32LE(offset);
    const length = buf.readUInt32LE(offset + 4);
    if (type < MessageType.opened || type > MessageType.end) throw new CaptureMessageError(`unknown message type ${type}`);
    if (length > MAX_PAYLOAD) throw new CaptureMessageError(`message of ${length} bytes exceeds the ${MAX_PAYLOAD}-byte bound`);
    return length;
  }

  private append(src: Buffer, offset: number, length: number): void {
    const need = this.pendingUsed + length;
    if (need > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(this.pending.length * 2, HEADER + MAX_PAYLOAD), 64 * 1024));
      this.pending.copy(grown, 0, 0, this.pendingUsed);
      this.pending = grown;
    }
    src.copy(this.pending, this.pendingUsed, offset, offset + length);
    this.pendingUsed = need;
  }

  private deliver(buf: Buffer, offset: number): void {
    const type = buf.readUInt32LE(offset);
    const length = buf.readUInt32LE(offset + 4);
    if (this.ended) throw new CaptureMessageError('data after the END message');
    if (type === MessageType.end) this.ended = true;
    this.onMessage(type, buf.subarray(offset + HEADER, offset + HEADER + length));
  }
}

/** Counters of one interface from a STATS message. */
export interface ProgramStats {
  index: number;
  kernelValid: boolean;
  closed: boolean;
  received: number;
  kernelDrops: number;
  interfaceDrops: number;
  programDrops: number;
}

export function parseStats(payload: Uint8Array): ProgramStats[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.byteLength < 8) throw new CaptureMessageError('STATS message too short');
  const count = view.getUint32(0, true);
  if (payload.byteLength !== 8 + count * STATS_ENTRY) throw new CaptureMessageError(`STATS message of ${payload.byteLength} bytes for ${count} interfaces`);
  const out: ProgramStats[] = [];
  for (let i = 0; i < count; i++) {
    const o = 8 + i * STATS_ENTRY;
    const flags = view.getUint32(o + 4, true);
    out.push({
      index: view.getUint32(o, true),
      kernelValid: (flags & 1) !== 0,
      closed: (flags & 2) !== 0,
      received: Number(view.getBigUint64(o + 8, true)),
      kernelDrops: Number(view.getBigUint64(o + 16, true)),
      interfaceDrops: Number(view.getBigUint64(o + 24, true)),
      programDrops: Number(view.getBigUint64(o + 32, true)),
    });
  }
  return out;
}

/** A JSON message (OPENED, ERROR) as an object; throws CaptureMessageError when it is not one. */
export function parseJsonMessage(payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    throw new CaptureMessageError(`malformed JSON message: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CaptureMessageError('JSON message is not an object');
  return value as Record<string, unknown>;
}
