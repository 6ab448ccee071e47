import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiError, ApiResult } from '../api/types/results';
import { makePrivateDir } from '../core/private-files';

class TooLarge extends Error {}

/**
 * Capture files the dashboard uploads (`POST /api/capture/upload`): streamed to disk under a
 * size cap into a private directory next to the history database, then replayed from there.
 * Only the latest upload is kept; the directory is emptied at start and at close.
 */
export class UploadStore {
  private current: string | null = null;

  constructor(
    private readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Creates the directory (0700) and removes what a previous run left. */
  async open(): Promise<void> {
    makePrivateDir(this.dir);
    await this.clear();
  }

  /**
   * Writes `body` as `name` (reduced to a plain file name) into a fresh private directory.
   * Its one refusal: the body passed `maxBytes` (nothing is kept). A broken stream throws.
   */
  async receive(body: Readable, name: string): Promise<ApiResult<string>> {
    const sub = await fsp.mkdtemp(path.join(this.dir, 'upload-'));
    const file = path.join(sub, plainFileName(name));
    let size = 0;
    const cap = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        size += chunk.length;
        done(size > this.maxBytes ? new TooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(body, cap, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await fsp.rm(sub, { recursive: true, force: true });
      if (err instanceof TooLarge) return tooLarge(this.maxBytes);
      throw err;
    }
    return { ok: true, value: file };
  }

  /** The upload now replayed; the one before it is deleted. */
  async keep(file: string): Promise<void> {
    const previous = this.current;
    this.current = file;
    if (previous !== null) await fsp.rm(path.dirname(previous), { recursive: true, force: true });
  }

  /** Deletes an upload that was not replayed. */
  async discard(file: string): Promise<void> {
    await fsp.rm(path.dirname(file), { recursive: true, force: true });
  }

  async clear(): Promise<void> {
    this.current = null;
    const entries = await fsp.readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(entries.filter((e) => e.startsWith('upload-')).map((e) => fsp.rm(path.join(this.dir, e), { recursive: true, force: true })));
  }
}

export function tooLarge(maxBytes: number): { ok: false; error: ApiError } {
  return { ok: false, error: { code: 'invalid', message: `the capture is larger than the ${Math.round(maxBytes / 1048576)} MiB this server accepts (server.maxUploadMb)` } };
}

/** `../../etc/trace 1.pcap` -> `trace_1.pcap`: a name that stays inside its directory and reads well in the status. */
export function plainFileName(name: string): string {
  const base = path.basename(name.replaceAll('\\', '/')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 100);
  return base === '' ? 'upload.pcap' : base;
}
