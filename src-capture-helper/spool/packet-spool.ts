/**
 * The packet spool: recent packets kept for export.
 *
 * Packets are appended into fixed-size segments. The segment being filled
 * lives in a buffer of a bounded memory ring; a full (or old, or flow-heavy)
 * segment is sealed, and once the ring is full the oldest sealed segment is
 * written to a file in the spool's private directory and its buffer reused.
 * Segments on disk rotate out oldest first when the disk budget, the age limit
 * or the index budget is exceeded.
 *
 * Every segment carries a FlowIndex (packets, bytes and link type per flow id)
 * and its time range, so an export touches only the segments that hold its
 * flows and range, and knows its totals before reading a byte. What rotates
 * out is counted globally and per flow, so an export reports the packets of
 * its flows that are no longer here instead of silently leaving them out.
 *
 * Flow ids are the flow table's `generation * 2^24 + slot`: a flow that reuses
 * a slot has another id, so its packets are never mixed with an older flow's.
 *
 * Why one file of this length: appending, rotation and export planning all
 * read and change the same list of segments and its budgets (memory, disk,
 * index, age); the per-flow index and the rotated-flow counts it keeps are
 * already their own modules (flow-index, rotated-flows), and the export
 * stream lives in export-stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertNever } from '../util/assert-never';
import type { PacketRecord } from '../pipeline/packet-sink';
import { FlowIndex, MIXED_LINK_TYPES } from './flow-index';
import { RotatedFlows } from './rotated-flows';
import { createSpoolDir } from './spool-dir';
import {
  FLAG_HAS_TIMESTAMP,
  REC_CAP,
  REC_FLAGS,
  REC_FLOW,
  REC_IF,
  REC_LINK,
  REC_TS_NSEC,
  REC_TS_SEC,
  REC_WIRE,
  RECORD_HEADER_BYTES as HDR,
} from './spool-record';
import type { SpoolSettings } from './spool-settings';
import { resolveSpoolSettings } from './spool-settings';

export type SegmentState = 'active' | 'memory' | 'disk' | 'gone';

export type RotationReason = 'age' | 'disk' | 'memory' | 'index' | 'spill-error';

const EMPTY_BUFFER = Buffer.alloc(0);

export class SpoolSegment {
  state: SegmentState = 'active';
  buf: Buffer;
  view: DataView;
  used = 0;
  packets = 0;
  wireBytes = 0;
  /** Packets without a timestamp (never matched by a time range). */
  untimed = 0;
  /** Time of the first timed packet, seconds (NaN before one). */
  firstTs = Number.NaN;
  minTs = Infinity;
  maxTs = -Infinity;
  /** Set when sealed; the active segment counts into the spool's scratch index. */
  index: FlowIndex | undefined;
  file: string | undefined;

  constructor(readonly seq: number, buf: Buffer) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
}

/** Which flows an export or a count covers. */
export type FlowSelection =
  | { kind: 'all' }
  | { kind: 'flows'; flowIds: readonly number[] }
  | { kind: 'match'; test: (flowId: number) => boolean };

/** Inclusive bounds in seconds since the epoch; a bound left out is open. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface SegmentPlan {
  segment: SpoolSegment;
  /** Bytes of the segment that existed when the plan was made. */
  end: number;
  /** Packets and wire bytes of the selected flows in it (an upper bound when `exact` is false). */
  packets: number;
  bytes: number;
  exact: boolean;
}

export interface ExportPlan {
  segments: SegmentPlan[];
  packets: number;
  bytes: number;
  /** False when a time range cuts through a segment: the totals are then upper bounds. */
  exact: boolean;
  /** Packets of the selection that had rotated out before the plan was made. */
  missingPackets: number;
  missingBytes: number;
  /** False when a time range cuts through what rotated out, or a rotated flow was forgotten: missing is then an upper bound. */
  missingExact: boolean;
  linkTypes: Set<number>;
  /** Some flow of the selection came over more than one link type. */
  mixedLinkTypes: boolean;
}

export interface SpoolStats {
  packetsAppended: number;
  bytesAppended: number;
  /** Packets whose captured bytes were cut to the spool snaplen (wire length kept). */
  packetsCut: number;
  /** Records that are not packets (pcapng custom blocks): not spooled. */
  notPackets: number;
  /** Packets offered after close(). */
  droppedAfterClose: number;
  packetsInSpool: number;
  bytesInSpool: number;
  segmentsInMemory: number;
  segmentsOnDisk: number;
  memoryBytes: number;
  diskBytes: number;
  indexBytes: number;
  segmentsSpilled: number;
  rotatedSegments: number;
  rotatedPackets: number;
  rotatedBytes: number;
  rotatedByReason: Record<RotationReason, number>;
  /** Flows whose rotated-out counts were forgotten (bound maxRotatedFlows). */
  rotatedFlowsForgotten: number;
  spillErrors: number;
  readErrors: number;
  lastError: string | undefined;
  /** Oldest and newest packet time in the spool, seconds (undefined when empty). */
  oldestTs: number | undefined;
  newestTs: number | undefined;
}

export interface PacketSpoolOptions {
  settings?: Partial<SpoolSettings>;
  /** Parent of the spool's private directory: the helper's own runtime directory (never a client's path). */
  runtimeDir?: string;
}

export class PacketSpool {
  readonly settings: SpoolSettings;
  /** The private directory of segment files, undefined for a memory-only spool. */
  readonly dir: string | undefined;

  private readonly snaplen: number;
  private readonly segmentBytes: number;
  private readonly maxBuffers: number;
  private readonly maxFlowsPerSegment: number;
  private readonly sealAfter: number;

  private active: SpoolSegment;
  private readonly scratch: FlowIndex;
  private sealPending = false;
  private nextSeq = 0;
  private readonly memory: SpoolSegment[] = [];
  private readonly disk: SpoolSegment[] = [];
  private readonly freeBuffers: Buffer[] = [];
  private buffersAllocated = 0;
  private diskBytes = 0;
  private indexBytes = 0;
  private packetsHeld = 0;
  private bytesHeld = 0;
  private closed = false;

  /** Packet clock: newest timestamp seen (or set by advanceTime), seconds. */
  private clock = -Infinity;
  private nextAgeCheck = -Infinity;

  /** What rotated out, per flow (bounded by maxRotatedFlows, the oldest forgotten first). */
  private readonly rotatedFlows: RotatedFlows;
  private rotatedMinTs = Infinity;
  private rotatedMaxTs = -Infinity;
  private readonly counters = {
    packetsAppended: 0,
    bytesAppended: 0,
    packetsCut: 0,
    notPackets: 0,
    droppedAfterClose: 0,
    segmentsSpilled: 0,
    rotatedSegments: 0,
    rotatedPackets: 0,
    rotatedBytes: 0,
    rotatedFlowsForgotten: 0,
    spillErrors: 0,
    readErrors: 0,
  };
  private readonly rotatedByReason: Record<RotationReason, number> = { age: 0, disk: 0, memory: 0, index: 0, 'spill-error': 0 };
  private lastError: string | undefined;

  constructor(options: PacketSpoolOptions = {}) {
    const s = resolveSpoolSettings(options.settings);
    this.settings = s;
    this.snaplen = s.snaplen;
    this.segmentBytes = s.segmentBytes;
    this.maxBuffers = Math.floor(s.memoryBytes / s.segmentBytes);
    this.maxFlowsPerSegment = s.maxFlowsPerSegment;
    // Segments span at most an eighth of the age limit, so age rotation frees space in steps of that size.
    this.sealAfter = s.maxAgeSeconds > 0 ? Math.max(1, s.maxAgeSeconds / 8) : Infinity;
    this.scratch = new FlowIndex(s.maxFlowsPerSegment);
    this.rotatedFlows = new RotatedFlows(s.maxRotatedFlows);
    this.dir = s.maxBytes > 0 ? createSpoolDir(options.runtimeDir) : undefined;
    this.active = new SpoolSegment(this.nextSeq++, this.takeBuffer());
  }

  /**
   * Keeps one packet under `flowId` (-1 for a packet outside any flow). The
   * hot path: one header write and one copy into the ring, one index probe.
   */
  append(rec: PacketRecord, flowId: number): void {
    const linkType = rec.linkType;
    if (linkType < 0 || this.closed) {
      if (this.closed) this.counters.droppedAfterClose++;
      else this.counters.notPackets++;
      return;
    }
    const len = rec.length;
    const cap = len < this.snaplen ? len : this.snaplen;
    const size = HDR + cap;
    const timed = rec.hasTimestamp;
    const ts = timed ? rec.tsSec + rec.tsNsec * 1e-9 : this.clock;
    let seg = this.active;
    if (seg.used + size > this.segmentBytes || this.sealPending || ts - seg.firstTs > this.sealAfter) seg = this.rollover();

    const o = seg.used;
    const v = seg.view;
    v.setFloat64(o + REC_TS_SEC, rec.tsSec, true);
    v.setUint32(o + REC_TS_NSEC, rec.tsNsec, true);
    v.setUint32(o + REC_WIRE, rec.wireLength, true);
    v.setUint32(o + REC_CAP, cap, true);
    v.setInt32(o + REC_LINK, linkType, true);
    v.setFloat64(o + REC_FLOW, flowId, true);
    v.setUint32(o + REC_IF, rec.ifIndex, true);
    v.setUint8(o + REC_FLAGS, timed ? FLAG_HAS_TIMESTAMP : 0);
    // Buffer#copy takes a source range without creating a view.
    Buffer.prototype.copy.call(rec.bytes, seg.buf, o + HDR, rec.offset, rec.offset + cap);
    if (cap < len) this.counters.packetsCut++;
    seg.used = o + size;
    seg.packets++;
    seg.wireBytes += rec.wireLength;
    if (timed) {
      if (seg.firstTs !== seg.firstTs) seg.firstTs = ts;
      if (ts < seg.minTs) seg.minTs = ts;
      if (ts > seg.maxTs) seg.maxTs = ts;
      if (ts > this.clock) this.clock = ts;
    } else {
      seg.untimed++;
    }
    this.packetsHeld++;
    this.bytesHeld += rec.wireLength;
    this.counters.packetsAppended++;
    this.counters.bytesAppended += rec.wireLength;
    this.scratch.add(flowId, rec.wireLength, linkType);
    if (this.scratch.size >= this.maxFlowsPerSegment) this.sealPending = true;
    if (this.clock >= this.nextAgeCheck) this.expire();
  }

  /** Moves the clock forward (wall time during a quiet live capture) and applies the age limit. */
  advanceTime(nowSec: number): void {
    if (nowSec > this.clock) this.clock = nowSec;
    const a = this.active;
    if (a.packets > 0 && this.clock - a.firstTs > this.sealAfter) this.rollover();
    this.expire();
  }

  stats(): SpoolStats {
    let oldest = Infinity;
    for (const seg of this.segmentsInOrder()) if (seg.minTs < oldest) oldest = seg.minTs;
    return {
      ...this.counters,
      packetsInSpool: this.packetsHeld,
      bytesInSpool: this.bytesHeld,
      segmentsInMemory: this.memory.length + 1,
      segmentsOnDisk: this.disk.length,
      memoryBytes: this.buffersAllocated * this.segmentBytes,
      diskBytes: this.diskBytes,
      indexBytes: this.indexBytes + this.scratch.memoryBytes,
      rotatedByReason: { ...this.rotatedByReason },
      lastError: this.lastError,
      oldestTs: oldest === Infinity ? undefined : oldest,
      newestTs: this.clock === -Infinity ? undefined : this.clock,
    };
  }

  /** Segments from oldest to newest, the active one last. */
  segmentsInOrder(): SpoolSegment[] {
    return [...this.disk, ...this.memory, this.active];
  }

  /**
   * What an export of `selection` in `range` will find, from the indexes
   * alone: the segments to read with their packet counts, and what had
   * already rotated out.
   */
  plan(selection: FlowSelection, range: TimeRange = {}): ExportPlan {
    const from = range.from ?? -Infinity;
    const to = range.to ?? Infinity;
    const ranged = range.from !== undefined || range.to !== undefined;
    const plan: ExportPlan = {
      segments: [],
      packets: 0,
      bytes: 0,
      exact: true,
      missingPackets: 0,
      missingBytes: 0,
      missingExact: true,
      linkTypes: new Set(),
      mixedLinkTypes: false,
    };
    const ids = selection.kind === 'flows' ? [...new Set(selection.flowIds)] : [];
    for (const seg of this.segmentsInOrder()) {
      if (seg.packets === 0) continue;
      let exact = true;
      if (ranged) {
        if (seg.maxTs < from || seg.minTs > to) continue;
        exact = seg.untimed === 0 && seg.minTs >= from && seg.maxTs <= to;
      }
      const index = seg.index ?? this.scratch;
      let packets = 0;
      let bytes = 0;
      const take = (slot: number) => {
        packets += index.packetsAt(slot);
        bytes += index.bytesAt(slot);
        const lt = index.linkTypeAt(slot);
        if (lt === MIXED_LINK_TYPES) plan.mixedLinkTypes = true;
        else plan.linkTypes.add(lt);
      };
      switch (selection.kind) {
        case 'all':
          for (let n = 0; n < index.size; n++) take(index.slotAt(n));
          break;
        case 'flows':
          for (const id of ids) {
            const slot = index.find(id);
            if (slot >= 0) take(slot);
          }
          break;
        case 'match':
          for (let n = 0; n < index.size; n++) {
            const slot = index.slotAt(n);
            if (selection.test(index.flowAt(slot))) take(slot);
          }
          break;
        default:
          return assertNever(selection);
      }
      if (packets === 0) continue;
      plan.segments.push({ segment: seg, end: seg.used, packets, bytes, exact });
      plan.packets += packets;
      plan.bytes += bytes;
      if (!exact) plan.exact = false;
    }
    this.planMissing(plan, selection, ids, from, to);
    return plan;
  }

  private planMissing(plan: ExportPlan, selection: FlowSelection, ids: number[], from: number, to: number): void {
    const addRotated = (packets: number, bytes: number, minTs: number, maxTs: number) => {
      if (packets === 0 || maxTs < from || minTs > to) return;
      plan.missingPackets += packets;
      plan.missingBytes += bytes;
      if (minTs < from || maxTs > to) plan.missingExact = false;
    };
    switch (selection.kind) {
      case 'all':
        addRotated(this.counters.rotatedPackets, this.counters.rotatedBytes, this.rotatedMinTs, this.rotatedMaxTs);
        return;
      case 'flows':
        for (const id of ids) addRotated(...this.rotatedCounts(this.rotatedFlows.find(id)));
        break;
      case 'match':
        for (let n = 0; n < this.rotatedFlows.size; n++) {
          const id = this.rotatedFlows.idAt(n);
          if (selection.test(id)) addRotated(...this.rotatedCounts(this.rotatedFlows.find(id)));
        }
        break;
      default:
        assertNever(selection);
    }
    if (this.counters.rotatedFlowsForgotten > 0) plan.missingExact = false;
  }

  /**
   * Copies the first `plan.end` bytes of a planned segment into `into` (at
   * least segmentBytes long), wherever the segment lives now. Returns false
   * when it rotated out since the plan was made (or its file cannot be read).
   */
  load(plan: SegmentPlan, into: Buffer): boolean {
    const seg = plan.segment;
    switch (seg.state) {
      case 'active':
      case 'memory':
        seg.buf.copy(into, 0, 0, plan.end);
        return true;
      case 'disk':
        return this.readFile(seg, plan.end, into);
      case 'gone':
        return false;
      default:
        return assertNever(seg.state);
    }
  }

  /** Deletes every segment file and the private directory; the spool takes no more packets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const seg of this.disk) seg.state = 'gone';
    for (const seg of this.memory) seg.state = 'gone';
    this.active.state = 'gone';
    this.disk.length = 0;
    this.memory.length = 0;
    this.freeBuffers.length = 0;
    this.active = new SpoolSegment(this.nextSeq++, EMPTY_BUFFER);
    this.diskBytes = 0;
    if (this.dir !== undefined) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private readFile(seg: SpoolSegment, end: number, into: Buffer): boolean {
    if (seg.file === undefined) return false;
    let fd: number | undefined;
    try {
      fd = fs.openSync(seg.file, 'r');
      let done = 0;
      while (done < end) {
        const n = fs.readSync(fd, into, done, end - done, done);
        if (n === 0) throw new Error(`segment file ${seg.file} is shorter than expected`);
        done += n;
      }
      return true;
    } catch (err) {
      this.counters.readErrors++;
      this.lastError = `spool read failed: ${(err as Error).message}`;
      return false;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** Seals the active segment and starts a new one. */
  private rollover(): SpoolSegment {
    const seg = this.active;
    if (seg.packets > 0) {
      seg.index = this.scratch.compact();
      this.indexBytes += seg.index.memoryBytes;
      this.scratch.clear();
      if (seg.untimed > 0 && seg.maxTs === -Infinity && this.clock > -Infinity) {
        // Only untimed packets: date the segment by the clock so the age limit still applies.
        seg.minTs = this.clock;
        seg.maxTs = this.clock;
      }
      seg.state = 'memory';
      this.memory.push(seg);
      this.active = new SpoolSegment(this.nextSeq++, this.takeBuffer());
    } else {
      seg.firstTs = Number.NaN;
    }
    this.sealPending = false;
    while (this.indexBytes > this.settings.maxIndexBytes && this.oldestSealed() !== undefined) this.rotateOldest('index');
    return this.active;
  }

  private takeBuffer(): Buffer {
    const free = this.freeBuffers.pop();
    if (free !== undefined) return free;
    if (this.buffersAllocated < this.maxBuffers) {
      this.buffersAllocated++;
      return Buffer.allocUnsafe(this.segmentBytes);
    }
    const oldest = this.memory.shift();
    if (oldest === undefined) throw new Error('spool memory ring has no segment to spill');
    this.spill(oldest);
    const buf = this.freeBuffers.pop();
    if (buf === undefined) throw new Error('spool memory ring lost a buffer');
    return buf;
  }

  /** Moves a sealed memory segment (already off the memory list) to disk, or out when there is no room. */
  private spill(seg: SpoolSegment): void {
    const max = this.settings.maxBytes;
    if (this.dir === undefined || seg.used > max) {
      this.rotateOut(seg, 'memory');
      return;
    }
    while (this.diskBytes + seg.used > max && this.disk.length > 0) this.rotateOut(this.disk.shift() as SpoolSegment, 'disk');
    const file = path.join(this.dir, `seg-${seg.seq}.spool`);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
      let done = 0;
      while (done < seg.used) done += fs.writeSync(fd, seg.buf, done, seg.used - done, done);
    } catch (err) {
      this.counters.spillErrors++;
      this.lastError = `spool spill failed: ${(err as Error).message}`;
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
      fs.rmSync(file, { force: true });
      this.rotateOut(seg, 'spill-error');
      return;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    this.freeBuffers.push(seg.buf);
    seg.buf = EMPTY_BUFFER;
    seg.view = new DataView(EMPTY_BUFFER.buffer, 0, 0);
    seg.file = file;
    seg.state = 'disk';
    this.diskBytes += seg.used;
    this.counters.segmentsSpilled++;
    this.disk.push(seg);
  }

  private oldestSealed(): SpoolSegment | undefined {
    return this.disk[0] ?? this.memory[0];
  }

  private rotateOldest(reason: RotationReason): void {
    const seg = this.disk.length > 0 ? this.disk.shift() : this.memory.shift();
    if (seg !== undefined) this.rotateOut(seg, reason);
  }

  /** Drops a segment that is already off its list, counting what it held. */
  private rotateOut(seg: SpoolSegment, reason: RotationReason): void {
    const c = this.counters;
    c.rotatedSegments++;
    c.rotatedPackets += seg.packets;
    c.rotatedBytes += seg.wireBytes;
    this.rotatedByReason[reason]++;
    this.packetsHeld -= seg.packets;
    this.bytesHeld -= seg.wireBytes;
    if (seg.minTs < this.rotatedMinTs) this.rotatedMinTs = seg.minTs;
    if (seg.maxTs > this.rotatedMaxTs) this.rotatedMaxTs = seg.maxTs;
    const index = seg.index;
    if (index !== undefined) {
      for (let n = 0; n < index.size; n++) {
        const slot = index.slotAt(n);
        const id = index.flowAt(slot);
        if (id >= 0 && this.rotatedFlows.add(id, index.packetsAt(slot), index.bytesAt(slot), seg.minTs, seg.maxTs)) c.rotatedFlowsForgotten++;
      }
      this.indexBytes -= index.memoryBytes;
      seg.index = undefined;
    }
    if (seg.state === 'disk') {
      this.diskBytes -= seg.used;
      if (seg.file !== undefined) {
        try {
          fs.rmSync(seg.file, { force: true });
        } catch (err) {
          this.lastError = `spool could not delete ${seg.file}: ${(err as Error).message}`;
        }
      }
    } else if (seg.buf.length > 0) {
      this.freeBuffers.push(seg.buf);
    }
    seg.buf = EMPTY_BUFFER;
    seg.view = new DataView(EMPTY_BUFFER.buffer, 0, 0);
    seg.state = 'gone';
  }

  /** packets, bytes, minTs, maxTs of a rotatedFlows slot (nothing for -1). */
  private rotatedCounts(slot: number): [number, number, number, number] {
    const r = this.rotatedFlows;
    return slot < 0 ? [0, 0, Infinity, -Infinity] : [r.packetsAt(slot), r.bytesAt(slot), r.minTsAt(slot), r.maxTsAt(slot)];
  }

  private expire(): void {
    const maxAge = this.settings.maxAgeSeconds;
    if (maxAge === 0 || this.clock === -Infinity) {
      this.nextAgeCheck = Infinity;
      return;
    }
    // Checked once per second of packet time: amortised O(1) on the append path.
    this.nextAgeCheck = this.clock + 1;
    const limit = this.clock - maxAge;
    for (let seg = this.oldestSealed(); seg !== undefined && seg.maxTs < limit; seg = this.oldestSealed()) this.rotateOldest('age');
  }
}

