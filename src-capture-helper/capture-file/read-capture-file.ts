import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { PacketSink } from '../pipeline/packet-sink';
import { CaptureFileError } from './capture-file-error';
import type { CaptureFormat, CaptureInterface } from './capture-parser';
import { CaptureParser } from './capture-parser';

export interface ReadOptions {
  /** Bytes read per system call (default 2 MiB). Memory stays within about four times this plus the largest block. */
  chunkSize?: number;
  /** Called after every chunk with the bytes consumed so far and the file size. */
  onProgress?: (bytesRead: number, fileSize: number) => void;
}

export interface CaptureReadResult {
  format: CaptureFormat | undefined;
  /** Version of the pcap header or of the first pcapng section, e.g. "2.4", "1.0". */
  version: string;
  bigEndian: boolean;
  /** pcap only: nanosecond timestamps (magic a1b23c4d). */
  nanosecond: boolean;
  sections: number;
  interfaces: CaptureInterface[];
  /** Records delivered to the sink. */
  packets: number;
  fileSize: number;
  /** False when reading stopped at `error`. */
  complete: boolean;
  error: CaptureFileError | undefined;
}

const DEFAULT_CHUNK = 2 * 1024 * 1024;

/**
 * Streams a pcap or pcapng file into `sink` in bounded memory. The next chunk
 * is read (on libuv's thread pool) while the current one is parsed, so the
 * copy out of the page cache overlaps the decoding. Rejects with a
 * CaptureFileError of kind `io` only when the file cannot be opened; every
 * later problem is returned in the result after the packets read before it.
 */
export async function readCaptureFile(path: string, sink: PacketSink, options: ReadOptions = {}): Promise<CaptureReadResult> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new CaptureFileError('io', `cannot open ${path}: ${describeIoError(err)}`);
  }
  try {
    const size = (await file.stat()).size;
    const parser = new CaptureParser(sink);
    const error = await pump(file, size, parser, options);
    return {
      format: parser.format,
      version: parser.pcapVersion,
      bigEndian: parser.bigEndian,
      nanosecond: parser.pcapNanosecond,
      sections: parser.sections,
      interfaces: parser.interfaces,
      packets: parser.packets,
      fileSize: size,
      complete: error === undefined,
      error,
    };
  } finally {
    await file.close();
  }
}

async function pump(file: FileHandle, size: number, parser: CaptureParser, options: ReadOptions): Promise<CaptureFileError | undefined> {
  const chunks = new ChunkWindow(Math.max(64, options.chunkSize ?? DEFAULT_CHUNK));
  let position = 0;
  const readNext = (): Promise<number> => {
    const target = chunks.readTarget();
    return file.read(target.buf, target.offset, target.length, position).then((r) => r.bytesRead);
  };
  let pending = readNext();
  for (;;) {
    let n: number;
    try {
      n = await pending;
    } catch (err) {
      return new CaptureFileError('io', `read error: ${describeIoError(err)}`, position);
    }
    position += n;
    const eof = n === 0;
    chunks.accept(n);
    // Start reading the following chunk before parsing this one.
    if (!eof) pending = readNext();
    chunks.parse(parser, eof);
    options.onProgress?.(chunks.consumed, size);
    if (eof || parser.done) break;
  }
  if (!parser.done) await pending.catch(() => 0); // the file is closed next: no read may be left running
  return parser.error;
}

interface Region {
  buf: Buffer;
  bytes: Uint8Array;
  view: DataView;
}

function region(size: number): Region {
  const buf = Buffer.allocUnsafe(size);
  // Records are handed out as views of a plain Uint8Array: its subarray is much cheaper than a Buffer's.
  return { buf, bytes: new Uint8Array(buf.buffer, buf.byteOffset, size), view: new DataView(buf.buffer, buf.byteOffset, size) };
}

/**
 * Two buffers, each a chunk of room for the unparsed tail of the previous
 * chunk followed by a chunk of new data: one is parsed while the next chunk is
 * read into the other. A tail longer than a chunk (a record larger than the
 * chunk size) is joined with the new data in a buffer of its own.
 */
class ChunkWindow {
  private readonly buffers: [Region, Region];
  private current: Region;
  private start: number;
  private end: number;
  /** File offset of the first byte not yet consumed by the parser. */
  consumed = 0;

  constructor(private readonly chunk: number) {
    this.buffers = [region(2 * chunk), region(2 * chunk)];
    this.current = this.buffers[0];
    this.start = chunk;
    this.end = chunk;
  }

  /** Where the next chunk goes: after the tail room of the buffer not being parsed. */
  readTarget(): { buf: Buffer; offset: number; length: number } {
    const next = this.current === this.buffers[0] ? this.buffers[1] : this.buffers[0];
    return { buf: next.buf, offset: this.chunk, length: this.chunk };
  }

  /** The chunk read into readTarget() holds `n` bytes: put the current tail in front of them and make that current. */
  accept(n: number): void {
    const next = this.current === this.buffers[0] ? this.buffers[1] : this.buffers[0];
    const tail = this.end - this.start;
    if (tail <= this.chunk) {
      next.buf.set(this.current.bytes.subarray(this.start, this.end), this.chunk - tail);
      this.current = next;
      this.start = this.chunk - tail;
      this.end = this.chunk + n;
    } else {
      const joined = region(tail + n);
      joined.buf.set(this.current.bytes.subarray(this.start, this.end), 0);
      joined.buf.set(next.bytes.subarray(this.chunk, this.chunk + n), tail);
      this.current = joined;
      this.start = 0;
      this.end = tail + n;
    }
  }

  parse(parser: CaptureParser, eof: boolean): void {
    const next = parser.parse(this.current.bytes, this.current.view, this.start, this.end, this.consumed, eof);
    this.consumed += next - this.start;
    this.start = next;
  }
}

function describeIoError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ENOENT':
        return 'no such file';
      case 'EACCES':
      case 'EPERM':
        return 'permission denied';
      case 'EISDIR':
        return 'is a directory';
      default:
        return err.message;
    }
  }
  return String(err);
}
