import fs from 'node:fs/promises';
import { CaptureFileError } from '../capture-file/capture-file-error';
import type { CaptureInterface } from '../capture-file/capture-parser';
import { CaptureParser, MAX_PCAPNG_BLOCK } from '../capture-file/capture-parser';
import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';

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
 * Replays a capture file into a sink without blocking the helper's event
 * loop: reads a chunk, parses it, yields, and when paced waits until the
 * wall clock catches up with the packets' timestamps divided by the speed.
 * Memory stays within one chunk plus the largest block.
 */
export class FileReplay {
  private stopped = false;
  private wake: (() => void) | null = null;
  private firstTs: number | null = null;
  private lastTs = 0;
  private wallStart = 0;
  private readonly parser: CaptureParser;
  bytesRead = 0;
  fileSize = 0;

  constructor(private readonly path: string, sink: PacketSink, private readonly options: ReplayOptions) {
    const timed: PacketSink = {
      packet: (rec: PacketRecord) => {
        if (rec.hasTimestamp) {
          const ts = rec.tsSec + rec.tsNsec / 1e9;
          if (this.firstTs === null) this.firstTs = ts;
          this.lastTs = ts;
        }
        sink.packet(rec);
      },
    };
    this.parser = new CaptureParser(timed);
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
      if (eof) break;
      await this.pace(paced);
    }
    return this.result(this.parser.error);
  }

  private async pace(paced: boolean): Promise<void> {
    let waitMs = 0;
    if (paced && this.firstTs !== null) {
      const due = this.wallStart + ((this.lastTs - this.firstTs) * 1000) / this.options.speed;
      waitMs = Math.min(due - Date.now(), 60_000);
    }
    // Always yield once so requests and events are served between chunks.
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
