import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportError, exportFromSpool } from '../../../src-capture-helper/spool/export-stream';
import { PacketSpool } from '../../../src-capture-helper/spool/packet-spool';
import type { PacketSpoolOptions } from '../../../src-capture-helper/spool/packet-spool';
import { createSpoolDir, removeStaleSpoolDirs } from '../../../src-capture-helper/spool/spool-dir';
import { SpoolSettingsError, resolveSpoolSettings } from '../../../src-capture-helper/spool/spool-settings';
import type { TestPacket } from './spool-helpers';
import { collect, essentials, makePacket, parseCapture, tempRuntimeDir } from './spool-helpers';

const KiB = 1024;
const SLOT_SPACE = 2 ** 24;

const opened: PacketSpool[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function spoolWith(settings: PacketSpoolOptions['settings']): PacketSpool {
  const runtimeDir = tempRuntimeDir();
  dirs.push(runtimeDir);
  const spool = new PacketSpool({ settings: { maxAgeSeconds: 0, ...settings }, runtimeDir });
  opened.push(spool);
  return spool;
}

/** Small segments so that a few hundred packets wrap the ring and rotate. */
const small = { segmentBytes: 8 * KiB, memoryBytes: 16 * KiB, snaplen: 1500, maxIndexBytes: 64 * KiB };

function feed(spool: PacketSpool, packets: TestPacket[]): void {
  for (const p of packets) spool.append(p, p.flowId);
}

/** n packets spread round-robin over `flows` flow ids (1..flows). */
function traffic(n: number, flows: number, start = 0): TestPacket[] {
  return Array.from({ length: n }, (_, i) => makePacket(start + i, 1 + ((start + i) % flows)));
}

describe('packet spool', () => {
  it('exports every packet of a flow exactly as appended, in order, as pcapng', async () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    const packets = traffic(600, 5);
    feed(spool, packets);
    const exp = exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [3] } });
    const bytes = await collect(exp);
    const { result, packets: read } = parseCapture(bytes);
    expect(result.format).toBe('pcapng');
    expect(result.complete).toBe(true);
    expect(result.interfaces).toHaveLength(1);
    expect(result.interfaces[0].tsresol).toBe('10^-9');
    const want = packets.filter((p) => p.flowId === 3);
    expect(read.map(essentials)).toEqual(want.map(essentials));
    expect(exp.summary).toMatchObject({ packets: want.length, bytes: want.reduce((a, p) => a + p.wireLength, 0), missingPackets: 0, cancelled: false });
    expect(exp.summary?.fileBytes).toBe(bytes.length);
  });

  it('wraps the memory ring, spills full segments to 0600 files in a 0700 directory and reads them back', async () => {
    const spool = spoolWith({ ...small, maxBytes: 4096 * KiB });
    const packets = traffic(800, 4);
    feed(spool, packets);
    const st = spool.stats();
    expect(st.segmentsSpilled).toBeGreaterThan(3);
    expect(st.memoryBytes).toBeLessThanOrEqual(16 * KiB);
    expect(st.rotatedPackets).toBe(0);
    const dir = spool.dir as string;
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(dir);
    expect(files.length).toBe(st.segmentsOnDisk);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(files.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0)).toBe(st.diskBytes);

    const { packets: read } = parseCapture(await collect(exportFromSpool(spool, { selection: { kind: 'all' } })));
    expect(read.map(essentials)).toEqual(packets.map(essentials));
  });

  it('rotates the oldest segments out at the disk limit and reports the packets of the selection that fell out', async () => {
    const spool = spoolWith({ ...small, maxBytes: 24 * KiB });
    const packets = traffic(1500, 3);
    feed(spool, packets);
    const st = spool.stats();
    expect(st.diskBytes).toBeLessThanOrEqual(24 * KiB);
    expect(st.rotatedByReason.disk).toBeGreaterThan(0);
    expect(st.packetsInSpool + st.rotatedPackets).toBe(packets.length);

    for (const flow of [1, 2]) {
      const exp = exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [flow] } });
      const { packets: read } = parseCapture(await collect(exp));
      const want = packets.filter((p) => p.flowId === flow);
      const summary = exp.summary;
      expect(summary?.missingExact).toBe(true);
      expect((summary?.packets ?? 0) + (summary?.missingPackets ?? 0)).toBe(want.length);
      expect(summary?.missingPackets).toBeGreaterThan(0);
      // What remains is the newest part of the flow, unchanged.
      expect(read.map(essentials)).toEqual(want.slice(want.length - read.length).map(essentials));
      expect((summary?.bytes ?? 0) + (summary?.missingBytes ?? 0)).toBe(want.reduce((a, p) => a + p.wireLength, 0));
    }
  });

  it('keeps only memory when the disk budget is 0 and counts what the ring pushed out', async () => {
    const spool = spoolWith({ ...small, maxBytes: 0 });
    expect(spool.dir).toBeUndefined();
    const packets = traffic(500, 2);
    feed(spool, packets);
    const st = spool.stats();
    expect(st.segmentsOnDisk).toBe(0);
    expect(st.rotatedByReason.memory).toBeGreaterThan(0);
    const exp = exportFromSpool(spool, { selection: { kind: 'all' } });
    const { packets: read } = parseCapture(await collect(exp));
    expect(read.length + (exp.summary?.missingPackets ?? 0)).toBe(packets.length);
    expect(read.map(essentials)).toEqual(packets.slice(packets.length - read.length).map(essentials));
  });

  it('rotates segments out by age on the packet clock and on advanceTime', () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB, maxAgeSeconds: 16 });
    // One packet a second for 200 s: segments seal every 2 s (an eighth of the age limit).
    for (let i = 0; i < 200; i++) spool.append(makePacket(i, 1, { tsSec: 1_700_000_000 + i, tsNsec: 0 }), 1);
    const st = spool.stats();
    expect(st.rotatedByReason.age).toBeGreaterThan(0);
    expect(st.newestTs).toBe(1_700_000_199);
    expect(st.oldestTs).toBeGreaterThanOrEqual(1_700_000_199 - 16 - 2);
    expect(st.packetsInSpool + st.rotatedPackets).toBe(200);
    // A quiet live capture: wall time moves on, everything ages out.
    spool.advanceTime(1_700_000_199 + 100);
    const after = spool.stats();
    expect(after.packetsInSpool).toBe(0);
    expect(after.rotatedPackets).toBe(200);
  });

  it('finds a flow through the index without touching segments that do not hold it', () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    feed(spool, traffic(300, 2));
    spool.append(makePacket(300, 77), 77);
    feed(spool, traffic(300, 2, 301));
    const all = spool.plan({ kind: 'all' });
    const one = spool.plan({ kind: 'flows', flowIds: [77] });
    expect(all.segments.length).toBeGreaterThan(5);
    expect(one.segments).toHaveLength(1);
    expect(one.packets).toBe(1);
    expect(spool.plan({ kind: 'flows', flowIds: [12345] }).segments).toHaveLength(0);
  });

  it('never gives a packet to a later flow that reuses the same table slot', async () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    const slot = 42;
    const oldId = 3 * SLOT_SPACE + slot;
    const newId = 4 * SLOT_SPACE + slot;
    const packets = [...Array.from({ length: 50 }, (_, i) => makePacket(i, oldId)), ...Array.from({ length: 30 }, (_, i) => makePacket(50 + i, newId))];
    feed(spool, packets);
    const read = async (id: number) => parseCapture(await collect(exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [id] } }))).packets;
    expect((await read(oldId)).map(essentials)).toEqual(packets.slice(0, 50).map(essentials));
    expect((await read(newId)).map(essentials)).toEqual(packets.slice(50).map(essentials));
  });

  it('cuts captured bytes to the spool snaplen and keeps the wire length', async () => {
    const spool = spoolWith({ ...small, snaplen: 128, maxBytes: 1024 * KiB });
    const big = makePacket(1, 9, { size: 1000 });
    spool.append(big, 9);
    expect(spool.stats().packetsCut).toBe(1);
    const { packets } = parseCapture(await collect(exportFromSpool(spool, { selection: { kind: 'all' } })));
    expect(packets).toHaveLength(1);
    expect(packets[0].wireLength).toBe(1000);
    expect(Buffer.from(packets[0].data)).toEqual(Buffer.from(big.data.subarray(0, 128)));
  });

  it('exports only the packets inside a time range, with exact nanosecond bounds of what it wrote', async () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    const packets = traffic(400, 2);
    feed(spool, packets);
    const from = 1_700_000_010;
    const to = 1_700_000_020;
    const inRange = (p: TestPacket) => p.tsSec + p.tsNsec * 1e-9 >= from && p.tsSec + p.tsNsec * 1e-9 <= to;
    const exp = exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [2] }, range: { from, to } });
    const { packets: read } = parseCapture(await collect(exp));
    const want = packets.filter((p) => p.flowId === 2 && inRange(p));
    expect(read.map(essentials)).toEqual(want.map(essentials));
    expect(exp.summary?.firstTime).toEqual({ sec: want[0].tsSec, nsec: want[0].tsNsec });
    expect(exp.summary?.lastTime).toEqual({ sec: want[want.length - 1].tsSec, nsec: want[want.length - 1].tsNsec });
    expect(exp.plan.packets).toBeGreaterThanOrEqual(want.length);
    expect(() => exportFromSpool(spool, { selection: { kind: 'all' }, range: { from: 5, to: 4 } })).toThrow(/time range is empty/);
  });

  it('writes nanosecond pcap for one link type and refuses pcap over several with a clear error', async () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    const eth = traffic(20, 2);
    feed(spool, eth);
    const raw = makePacket(100, 5, { linkType: 101, ifIndex: 1 });
    spool.append(raw, 5);
    const bytes = await collect(exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [1, 2] }, format: 'pcap' }));
    expect(bytes.readUInt32LE(0)).toBe(0xa1b23c4d);
    const { result, packets } = parseCapture(bytes);
    expect(result.format).toBe('pcap');
    expect(packets.map(essentials)).toEqual(eth.map(essentials));
    let error: unknown;
    try {
      exportFromSpool(spool, { selection: { kind: 'all' }, format: 'pcap' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).kind).toBe('mixed-link-types');
    expect((error as Error).message).toMatch(/1, 101.*pcapng/);
    // pcapng takes both, one interface block each.
    const ng = parseCapture(await collect(exportFromSpool(spool, { selection: { kind: 'all' }, interfaceName: (i) => `nic${i}` })));
    expect(ng.result.interfaces.map((i) => [i.linkType, i.name])).toEqual([[1, 'nic0'], [101, 'nic1']]);
    expect(ng.packets.map(essentials)).toEqual([...eth, raw].map(essentials));
  });

  it('stops at cancellation between chunks and says so in the summary', async () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    feed(spool, traffic(2000, 3));
    const controller = new AbortController();
    const exp = exportFromSpool(spool, { selection: { kind: 'all' }, chunkBytes: 4 * KiB, signal: controller.signal });
    let chunks = 0;
    for await (const c of exp) {
      chunks++;
      expect(c.data.length).toBeLessThan(4 * KiB + 1600);
      expect(c.progress.packetsTotal).toBe(2000);
      if (chunks === 3) controller.abort();
    }
    expect(chunks).toBe(3);
    expect(exp.summary?.cancelled).toBe(true);
    expect(exp.summary?.packets).toBeLessThan(2000);
    expect(exp.progress().packetsDone).toBe(exp.summary?.packets);
  });

  it('counts packets that rotate out while an export is running as missing', async () => {
    const spool = spoolWith({ ...small, maxBytes: 16 * KiB });
    const first = traffic(200, 2);
    feed(spool, first);
    const exp = exportFromSpool(spool, { selection: { kind: 'flows', flowIds: [1] }, chunkBytes: 1024 });
    const planned = exp.plan.packets + exp.plan.missingPackets;
    let fed = false;
    const parts: Buffer[] = [];
    for await (const c of exp) {
      parts.push(c.data);
      if (!fed) {
        // The ring turns over completely during the export.
        feed(spool, traffic(2000, 2, 200));
        fed = true;
      }
    }
    const { packets: read } = parseCapture(Buffer.concat(parts));
    expect(exp.summary?.missingPackets).toBeGreaterThan(exp.plan.missingPackets);
    expect(read.length + (exp.summary?.missingPackets ?? 0)).toBe(planned);
    expect(planned).toBe(first.filter((p) => p.flowId === 1).length);
  });

  it('bounds the index memory and rotates out by it', () => {
    const spool = spoolWith({ segmentBytes: 8 * KiB, memoryBytes: 64 * KiB, snaplen: 1500, maxBytes: 1024 * KiB, maxIndexBytes: 64 * KiB, maxFlowsPerSegment: 64 });
    // Every packet its own flow: the index, not the bytes, is the limit.
    for (let i = 0; i < 5000; i++) spool.append(makePacket(i, 1000 + i, { size: 64 }), 1000 + i);
    const st = spool.stats();
    expect(st.rotatedByReason.index).toBeGreaterThan(0);
    expect(st.indexBytes).toBeLessThanOrEqual(64 * KiB + 2 * 64 * 24 + 64 * 4);
    expect(st.packetsInSpool + st.rotatedPackets).toBe(5000);
  });

  it('does not spool pcapng custom blocks and takes nothing after close', () => {
    const spool = spoolWith({ ...small, maxBytes: 1024 * KiB });
    spool.append(makePacket(1, -1, { linkType: -1 }), -1);
    expect(spool.stats()).toMatchObject({ notPackets: 1, packetsInSpool: 0 });
    spool.append(makePacket(2, 1), 1);
    const dir = spool.dir as string;
    spool.close();
    expect(fs.existsSync(dir)).toBe(false);
    spool.append(makePacket(3, 1), 1);
    expect(spool.stats().droppedAfterClose).toBe(1);
  });
});

describe('spool directory and settings', () => {
  it('creates a private directory and removes those of helpers that are gone', () => {
    const parent = tempRuntimeDir();
    dirs.push(parent);
    const stale = path.join(parent, 'spool-999999999-abcdef');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'seg-0.spool'), 'x');
    const live = path.join(parent, `spool-${process.pid}-zzzzzz`);
    fs.mkdirSync(live);
    const dir = createSpoolDir(parent);
    expect(path.dirname(dir)).toBe(parent);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(removeStaleSpoolDirs(parent)).toBe(0);
  });

  it('refuses a parent directory other users can enter', () => {
    const parent = tempRuntimeDir();
    dirs.push(parent);
    fs.chmodSync(parent, 0o755);
    expect(() => createSpoolDir(parent)).toThrow(/open to other users/);
  });

  it('rejects bad settings naming the setting', () => {
    expect(() => resolveSpoolSettings({ snaplen: 10 })).toThrow(SpoolSettingsError);
    expect(() => resolveSpoolSettings({ segmentBytes: 8192, snaplen: 65535 })).toThrow(/segmentBytes/);
    expect(() => resolveSpoolSettings({ memoryBytes: 4 * 1024 * 1024 })).toThrow(/memoryBytes/);
    expect(() => resolveSpoolSettings({ maxBytes: -1 })).toThrow(/maxBytes/);
    expect(() => resolveSpoolSettings({ bogus: 1 } as never)).toThrow(/unknown spool setting bogus/);
    expect(resolveSpoolSettings({}).segmentBytes).toBe(4 * 1024 * 1024);
  });
  it('forgets the rotated-out counts of the flows that rotated out first, in constant time per flow', () => {
    const spool = spoolWith({ ...small, maxBytes: 32 * KiB, maxRotatedFlows: 1000 });
    // Every packet its own flow: each rotation hands over a few hundred flows, and all but the last 1000 are forgotten.
    const flows = 200_000;
    const t0 = Date.now();
    for (let i = 0; i < flows; i++) spool.append(makePacket(i, i + 1, { size: 60 }), i + 1);
    const seconds = (Date.now() - t0) / 1000;
    const stats = spool.stats();
    const rotatedFlows = stats.rotatedPackets;
    expect(rotatedFlows).toBeGreaterThan(100_000);
    expect(stats.rotatedFlowsForgotten).toBe(rotatedFlows - 1000);
    // The most recently rotated flows are still known exactly, the first ones are not.
    const last = rotatedFlows;
    expect(spool.plan({ kind: 'flows', flowIds: [last] }).missingPackets).toBe(1);
    expect(spool.plan({ kind: 'flows', flowIds: [1] })).toMatchObject({ missingPackets: 0, missingExact: false });
    // Evicting through a map's first key took seconds here; a queue takes well under one even on a busy machine.
    expect(seconds).toBeLessThan(20);
  });
});
