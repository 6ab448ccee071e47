import fs from 'node:fs';
import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import { PcapngWriter } from './capture-writers';

/** Blocks kept in memory before one write to the file. */
const FLUSH_BYTES = 1 << 20;

export interface SavedInterface {
  name: string;
  linkType: number;
  snaplen: number;
}

/**
 * Saves every packet it is handed to a pcapng file (one interface description
 * per captured interface, nanosecond timestamps) and passes it on. Blocks
 * are gathered into writes of about a megabyte; `close` writes the rest.
 */
export class PcapngFileSink implements PacketSink {
  private readonly writer = new PcapngWriter();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fd: number | null;
  packets = 0;
  bytes = 0;
  /** The write that failed (disk full...): saving stopped there, the capture goes on. */
  error: Error | null = null;

  /** Opens (creates or truncates) `file`; throws the file system's error when it cannot. */
  constructor(readonly file: string, interfaces: readonly SavedInterface[], private readonly next: PacketSink) {
    this.fd = fs.openSync(file, 'w', 0o600);
    this.add(this.writer.sectionHeader('netmon capture'));
    for (const i of interfaces) this.add(this.writer.interfaceDescription({ linkType: i.linkType, snaplen: i.snaplen, name: i.name, tsresolExponent: 9 }));
    this.flush();
  }

  packet(rec: PacketRecord): void {
    if (this.fd !== null) {
      this.add(this.writer.enhancedPacket(rec.ifIndex, rec));
      this.packets++;
      if (this.pendingBytes >= FLUSH_BYTES) this.flushOrStop();
    }
    this.next.packet(rec);
  }

  /** Writes what is left and closes the file; a failed write is left in `error`. */
  close(): void {
    this.flushOrStop();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private flushOrStop(): void {
    try {
      this.flush();
    } catch (err) {
      this.error = err as Error;
      this.pending = [];
      this.pendingBytes = 0;
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  private add(block: Buffer): void {
    this.pending.push(block);
    this.pendingBytes += block.length;
  }

  private flush(): void {
    if (this.fd === null || this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    while (written < data.length) written += fs.writeSync(this.fd, data, written);
    this.bytes += data.length;
  }
}
