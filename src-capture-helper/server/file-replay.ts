import fs from 'node:fs/promises';
import { CaptureFileError } from '../capture-file/capture-file-error';
import type { CaptureInterface } from '../capture-file/capture-parser';
import { CaptureParser, MAX_PCAPNG_BLOCK } from '../capture-file/capture-parser';
import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import { packetBytes } from '../pipeline/packet-sink';

export interface ReplayResult {
  packets: number;
  complete: boolean;
  /** The file-level problem that stopped the replay (damaged file), after the packets before it. */
  error: CaptureFileError | undefined;
  interfaces: CaptureInterface[];
}

export interface ReplayOptions {
  /** 1 = real time, 2 = twice as fast, 0 = as fast as the engine goes. */
  speed: number;
  /** Bytes per read; paced replays use small reads so packets arrive close to their time. */
  chunkSize?: number;
}

/**
 * Paced replays hand out together the packets due within this much wall time:
 * at most about twenty wake-ups a second however dense the capture, and one
 * per gap in a sparse one.
 */
const PACE_QUANTUM_MS = 50;

/**
 * Replays a capture file into a sink without blocking the helper's event
 * loop: reads a chunk, parses it, yields. When paced, each packet reaches the
 * sink when the wall clock reaches its timestamp divided by the speed: the
 * packets of a chunk that are not due yet wait, copied, until their time, and
 * the next chunk is read once they are out. Memory stays within one chunk
 * plus the largest block (and, paced, a copy of one chunk's packets).
 */
export class FileReplay {
  private stopped = false;
  private wake: (() => void) | null = null;
  private firstTs: number | null = null;
  private wallStart = 0;
  private readonly parser: CaptureParser;
  /** Paced: packets parsed but not due yet, in file order, each with its wall-clock due time. */
  private pending: { rec: PacketRecord; dueMs: number }[] = [];
  private lastDueMs = 0;
  bytesRead = 0;
  fileSize = 0;

  constructor(private readonly path: string, private readonly sink: PacketSink, private readonly options: ReplayOptions) {
    const paced = options.speed > 0;
    this.parser = new CaptureParser(paced ? { packet: (rec) => this.schedule(rec) } : sink);
  }

  /** Paced: hands a packet that is due to the sink, and keeps a copy of one that is not (or that follows one waiting). */
  private schedule(rec: PacketRecord): void {
    if (rec.hasTimestamp) {
      const ts = rec.tsSec + rec.tsNsec / 1e9;
      if (this.firstTs === null) this.firstTs = ts;
      this.lastDueMs = this.wallStart + ((ts - this.firstTs) * 1000) / this.options.speed;
    }
    // A record without a timestamp goes with the one before it.
    if (this.pending.length === 0 && this.lastDueMs <= Date.now() + PACE_QUANTUM_MS) {
      this.sink.packet(rec);
      return;
    }
    this.pending.push({ rec: { ...rec, bytes: packetBytes(rec).slice(), offset: 0 }, dueMs: this.lastDueMs });
  }

  /** Paced: hands out the waiting packets as they fall due, sleeping once per quantum at most. */
  private async drain(): Promise<void> {
    let next = 0;
    while (next < this.pending.length && !this.stopped) {
      const horizon = Date.now() + PACE_QUANTUM_MS;
      while (next < this.pending.length && this.pending[next].dueMs <= horizon) this.sink.packet(this.pending[next++].rec);
      if (next < this.pending.length) await this.sleep(this.pending[next].dueMs - Date.now());
    }
    this.pending = [];
  }

  /** Opens the file (throws CaptureFileError for a missing or unreadable one) and replays it to the end or stop(). */
  async open(): Promise<() => Promise<ReplayResult>> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'r');
      this.fileSize = (await handle.stat()).size;
    } catch (err) {
      throw new CaptureFileError('io', `cannot open ${this.path}: ${(err as Error).message}`);
    }
    return () => this.run(handle).finally(() => handle.close());
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async run(handle: fs.FileHandle): Promise<ReplayResult> {
    const paced = this.options.speed > 0;
    let buf = Buffer.allocUnsafe(Math.max(4096, this.options.chunkSize ?? (paced ? 16 * 1024 : 1024 * 1024)));
    let view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let start = 0;
    let end = 0;
    let eof = false;
    this.wallStart = Date.now();
    while (!this.parser.done && !this.stopped) {
      if (start > 0) {
        buf.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      if (this.parser.need > buf.length && this.parser.need <= MAX_PCAPNG_BLOCK + 16) {
        const bigger = Buffer.allocUnsafe(this.parser.need);
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
        view = new DataView(buf.buffer, buf.byteOffset, buf.length);
      }
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buf, end, buf.length - end, null));
      } catch (err) {
        return this.result(new CaptureFileError('io', `read error: ${(err as Error).message}`, this.bytesRead + end));
      }
      if (n === 0) eof = true;
      end += n;
      const next = this.parser.parse(buf, view, start, end, this.bytesRead, eof);
      this.bytesRead += next - start;
      start = next;
      if (paced) await this.drain();
      if (eof) break;
      // Always yield once so requests and events are served between chunks.
      await this.sleep(0);
    }
    return this.result(this.parser.error);
  }

  /** Waits (a long gap in steps of at most a minute), or yields once for 0; stop() wakes it. */
  private async sleep(ms: number): Promise<void> {
    const waitMs = Math.min(ms, 60_000);
    await new Promise<void>((resolve) => {
      const timer = waitMs > 0 ? setTimeout(resolve, waitMs) : setImmediate(resolve);
      this.wake = () => {
        if (waitMs > 0) clearTimeout(timer as NodeJS.Timeout);
        resolve();
      };
    });
    this.wake = null;
  }

  private result(error: CaptureFileError | undefined): ReplayResult {
    return { packets: this.parser.packets, complete: error === undefined && !this.stopped, error, interfaces: this.parser.interfaces };
  }
}
