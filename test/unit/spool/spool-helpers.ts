import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import type { CaptureReadResult } from '../../../src-capture-helper/capture-file/read-capture-file';
import type { PacketRecord } from '../../../src-capture-helper/pipeline/packet-sink';
import { packetBytes } from '../../../src-capture-helper/pipeline/packet-sink';
import type { SpoolExport } from '../../../src-capture-helper/spool/export-stream';

/** A packet as a test remembers it: a record over its own copy of the bytes (`data`, also its `bytes`). */
export interface TestPacket extends PacketRecord {
  data: Uint8Array;
  flowId: number;
}

/** A record's fields with a copy of its captured bytes. */
export function ownedPacket(rec: PacketRecord, flowId = -1): TestPacket {
  const data = Uint8Array.from(packetBytes(rec));
  return { ...rec, bytes: data, offset: 0, length: data.length, data, flowId };
}

/** Packet n of a flow: bytes tagged with n so that any mix-up shows. */
export function makePacket(n: number, flowId: number, opts: Partial<TestPacket> & { size?: number } = {}): TestPacket {
  const size = opts.size ?? 60 + (n % 40);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (n * 31 + i * 7 + flowId) & 0xff;
  if (size >= 4) new DataView(data.buffer).setUint32(0, n);
  return {
    ifIndex: opts.ifIndex ?? 0,
    linkType: opts.linkType ?? 1,
    tsSec: opts.tsSec ?? 1_700_000_000 + Math.floor(n / 10),
    tsNsec: opts.tsNsec ?? (n % 10) * 100_000_000 + 123,
    hasTimestamp: opts.hasTimestamp ?? true,
    wireLength: opts.wireLength ?? size,
    bytes: data,
    offset: 0,
    length: size,
    data,
    flowId,
  };
}

export function tempRuntimeDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-spool-test-'));
}

/** Reads every chunk of an export into one buffer. */
export async function collect(exp: SpoolExport): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of exp) parts.push(c.data);
  return Buffer.concat(parts);
}

/** Parses capture bytes with the helper's own reader (through a temporary file). */
export function parseCapture(bytes: Buffer): { result: CaptureReadResult; packets: TestPacket[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-spool-parse-'));
  const file = path.join(dir, 'out.cap');
  fs.writeFileSync(file, bytes);
  const packets: TestPacket[] = [];
  try {
    const result = readCaptureFile(file, {
      packet(rec) {
        packets.push(ownedPacket(rec));
      },
    });
    return { result, packets };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The fields an export must keep exactly. */
export function essentials(p: TestPacket): { tsSec: number; tsNsec: number; wireLength: number; data: string } {
  return { tsSec: p.tsSec, tsNsec: p.tsNsec, wireLength: p.wireLength, data: Buffer.from(p.data).toString('hex') };
}
