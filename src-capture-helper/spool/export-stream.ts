/**
 * Cuts the packets of selected flows (or of everything) out of the spool as a
 * pcapng or pcap byte stream: an async iterator of bounded chunks, with
 * progress against totals known from the spool's indexes, cancellation
 * through an AbortSignal, and a summary that says what was no longer in the
 * spool. Timestamps are written in nanoseconds exactly as captured, with the
 * original wire length.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { PcapngWriter, PcapWriter } from '../capture-file/capture-writers';
import { assertNever } from '../util/assert-never';
import type { ExportPlan, FlowSelection, PacketSpool, SegmentPlan, TimeRange } from './packet-spool';
import { emptySpooledRecord, readSpooledRecord } from './spool-record';

export type ExportFormat = 'pcapng' | 'pcap';

export const DEFAULT_EXPORT_CHUNK_BYTES = 256 * 1024;
const LINKTYPE_ETHERNET = 1;

export interface ExportOptions {
  selection: FlowSelection;
  /** pcapng (default): one interface block per interface used; pcap only when every packet has the same link type. */
  format?: ExportFormat;
  range?: TimeRange;
  /** if_name of an interface in pcapng (default `if<index>`). */
  interfaceName?: (ifIndex: number, linkType: number) => string | undefined;
  /** Section comment in pcapng (default: what was selected). */
  comment?: string;
  /** Chunks are cut at this size; one packet block larger than it makes a chunk of its own size. */
  chunkBytes?: number;
  signal?: AbortSignal;
}

export interface ExportProgress {
  packetsDone: number;
  /** Wire bytes (frame.len) of the packets written. */
  bytesDone: number;
  packetsTotal: number;
  bytesTotal: number;
  /** False when a time range cuts through a segment: the totals are upper bounds. */
  totalExact: boolean;
  /** Bytes of file produced so far. */
  fileBytes: number;
}

export interface ExportChunk {
  seq: number;
  data: Buffer;
  /** Packets and wire bytes whose blocks this chunk completes. */
  packets: number;
  bytes: number;
  progress: ExportProgress;
}

export interface ExportTime {
  sec: number;
  nsec: number;
}

export interface ExportSummary {
  format: ExportFormat;
  packets: number;
  bytes: number;
  fileBytes: number;
  /** Packets of the selection that had left the spool (rotated out) and are not in the file. */
  missingPackets: number;
  missingBytes: number;
  /** False when `missing` is an upper bound (a time range cut through what rotated out). */
  missingExact: boolean;
  cancelled: boolean;
  /** Earliest and latest timestamp written. */
  firstTime: ExportTime | undefined;
  lastTime: ExportTime | undefined;
  interfaces: number;
}

export type ExportErrorKind = 'mixed-link-types' | 'bad-request';

export class ExportError extends Error {
  override readonly name = 'ExportError';
  readonly requestErrorCode = 'invalid';
  constructor(readonly kind: ExportErrorKind, message: string) {
    super(message);
  }
}

function describeSelection(selection: FlowSelection, range: TimeRange): string {
  let what: string;
  switch (selection.kind) {
    case 'all':
      what = 'all packets';
      break;
    case 'flows':
      what = `packets of ${new Set(selection.flowIds).size} flow(s): ${[...new Set(selection.flowIds)].slice(0, 20).join(', ')}${selection.flowIds.length > 20 ? ', ...' : ''}`;
      break;
    case 'match':
      what = 'packets of the flows matching a filter';
      break;
    default:
      return assertNever(selection);
  }
  if (range.from !== undefined || range.to !== undefined) {
    const t = (v: number | undefined) => (v === undefined ? 'open' : new Date(v * 1000).toISOString());
    what += `, from ${t(range.from)} to ${t(range.to)}`;
  }
  return `netmon export: ${what}`;
}

function checkRange(range: TimeRange): void {
  for (const [name, v] of Object.entries(range)) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new ExportError('bad-request', `export time bound ${name} must be a finite number of seconds`);
  }
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new ExportError('bad-request', `export time range is empty: from ${range.from} is after to ${range.to}`);
  }
}

/**
 * Plans an export from `spool` and returns the stream. Throws ExportError at
 * once for a bad range or a pcap request over several link types, before any
 * byte is produced.
 */
export function exportFromSpool(spool: PacketSpool, options: ExportOptions): SpoolExport {
  const range = options.range ?? {};
  checkRange(range);
  if (options.selection.kind === 'flows') {
    for (const id of options.selection.flowIds) {
      if (!Number.isSafeInteger(id) || id < 0) throw new ExportError('bad-request', `flow id ${String(id)} is not a flow id`);
    }
  }
  const chunkBytes = options.chunkBytes ?? DEFAULT_EXPORT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1024) throw new ExportError('bad-request', 'export chunkBytes must be an integer of at least 1024');
  const plan = spool.plan(options.selection, range);
  const format = options.format ?? 'pcapng';
  if (format === 'pcap' && (plan.mixedLinkTypes || plan.linkTypes.size > 1)) {
    const types = [...plan.linkTypes].sort((a, b) => a - b).join(', ');
    throw new ExportError(
      'mixed-link-types',
      `pcap holds one link type, but these packets use ${plan.mixedLinkTypes ? 'several (one flow was captured over more than one)' : types}; export as pcapng instead`,
    );
  }
  return new SpoolExport(spool, plan, { ...options, range, format, chunkBytes });
}

type ResolvedOptions = ExportOptions & { range: TimeRange; format: ExportFormat; chunkBytes: number };

export class SpoolExport implements AsyncIterable<ExportChunk> {
  /** Set once the stream has ended (completed or cancelled). */
  summary: ExportSummary | undefined;
  private packetsDone = 0;
  private bytesDone = 0;
  private fileBytes = 0;
  private started = false;

  constructor(private readonly spool: PacketSpool, readonly plan: ExportPlan, private readonly options: ResolvedOptions) {}

  progress(): ExportProgress {
    return {
      packetsDone: this.packetsDone,
      bytesDone: this.bytesDone,
      packetsTotal: this.plan.packets,
      bytesTotal: this.plan.bytes,
      totalExact: this.plan.exact,
      fileBytes: this.fileBytes,
    };
  }

  [Symbol.asyncIterator](): AsyncGenerator<ExportChunk, void, undefined> {
    if (this.started) throw new ExportError('bad-request', 'an export stream can be read only once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<ExportChunk, void, undefined> {
    const { options, plan, spool } = this;
    const { format, signal, chunkBytes } = options;
    const from = options.range.from ?? -Infinity;
    const to = options.range.to ?? Infinity;
    const ranged = options.range.from !== undefined || options.range.to !== undefined;
    const selection = options.selection;
    // A function, so that the compiler does not assume the flag keeps the value it had before a yield.
    const aborted = (): boolean => signal?.aborted === true;
    const wanted = selection.kind === 'flows' ? new Set(selection.flowIds) : undefined;
    const selected = (flowId: number): boolean => {
      switch (selection.kind) {
        case 'all':
          return true;
        case 'flows':
          return wanted?.has(flowId) === true;
        case 'match':
          return selection.test(flowId);
        default:
          return assertNever(selection);
      }
    };

    let missingPackets = plan.missingPackets;
    let missingBytes = plan.missingBytes;
    let missingExact = plan.missingExact;
    let first: ExportTime | undefined;
    let last: ExportTime | undefined;
    let cancelled = false;
    let seq = 0;
    let parts: Buffer[] = [];
    let partBytes = 0;
    let partPackets = 0;
    let partWire = 0;
    const push = (b: Buffer) => {
      parts.push(b);
      partBytes += b.length;
    };
    const cut = (): ExportChunk => {
      this.fileBytes += partBytes;
      const chunk: ExportChunk = { seq: seq++, data: Buffer.concat(parts, partBytes), packets: partPackets, bytes: partWire, progress: this.progress() };
      parts = [];
      partBytes = 0;
      partPackets = 0;
      partWire = 0;
      return chunk;
    };

    const snaplen = spool.settings.snaplen;
    let pcap: PcapWriter | undefined;
    let pcapng: PcapngWriter | undefined;
    const interfaceIds = new Map<number, number>();
    switch (format) {
      case 'pcap': {
        const linkType = plan.linkTypes.size === 1 ? [...plan.linkTypes][0] : LINKTYPE_ETHERNET;
        pcap = new PcapWriter({ linkType, snaplen, nanosecond: true });
        push(pcap.header());
        break;
      }
      case 'pcapng':
        pcapng = new PcapngWriter();
        push(pcapng.sectionHeader('netmon', options.comment ?? describeSelection(selection, options.range)));
        break;
      default:
        assertNever(format);
    }

    const rec = emptySpooledRecord();
    const loadBuf = Buffer.allocUnsafe(spool.settings.segmentBytes);
    const view = new DataView(loadBuf.buffer, loadBuf.byteOffset, loadBuf.length);
    const lost = (p: SegmentPlan) => {
      missingPackets += p.packets;
      missingBytes += p.bytes;
      if (!p.exact) missingExact = false;
    };

    let completed = false;
    try {
      outer: for (const segPlan of plan.segments) {
        if (aborted()) {
          cancelled = true;
          break;
        }
        if (!spool.load(segPlan, loadBuf)) {
          lost(segPlan);
          continue;
        }
        for (let o = 0; o < segPlan.end; ) {
          o = readSpooledRecord(loadBuf, view, o, rec);
          if (!selected(rec.flowId)) continue;
          if (ranged) {
            if (!rec.hasTimestamp) continue;
            const ts = rec.tsSec + rec.tsNsec * 1e-9;
            if (ts < from || ts > to) continue;
          }
          if (pcap !== undefined) {
            push(pcap.record(rec));
          } else if (pcapng !== undefined) {
            const key = rec.ifIndex * 4294967296 + (rec.linkType >>> 0);
            let ifId = interfaceIds.get(key);
            if (ifId === undefined) {
              ifId = interfaceIds.size;
              interfaceIds.set(key, ifId);
              const name = options.interfaceName?.(rec.ifIndex, rec.linkType) ?? `if${rec.ifIndex}`;
              push(pcapng.interfaceDescription({ linkType: rec.linkType, snaplen, name, tsresolExponent: 9 }));
            }
            push(pcapng.enhancedPacket(ifId, rec));
          }
          this.packetsDone++;
          this.bytesDone += rec.wireLength;
          partPackets++;
          partWire += rec.wireLength;
          if (rec.hasTimestamp) {
            if (first === undefined || rec.tsSec < first.sec || (rec.tsSec === first.sec && rec.tsNsec < first.nsec)) first = { sec: rec.tsSec, nsec: rec.tsNsec };
            if (last === undefined || rec.tsSec > last.sec || (rec.tsSec === last.sec && rec.tsNsec > last.nsec)) last = { sec: rec.tsSec, nsec: rec.tsNsec };
          }
          if (partBytes >= chunkBytes) {
            yield cut();
            if (aborted()) {
              cancelled = true;
              break outer;
            }
          }
        }
        // Let the capture go on between segments even when the consumer never waits.
        await yieldToLoop();
      }
      if (!cancelled && aborted()) cancelled = true;
      if (!cancelled && partBytes > 0) yield cut();
      completed = true;
    } finally {
      // A consumer that stops reading early (break, return) cancelled the export.
      this.summary = {
        format,
        packets: this.packetsDone,
        bytes: this.bytesDone,
        fileBytes: this.fileBytes,
        missingPackets,
        missingBytes,
        missingExact,
        cancelled: cancelled || !completed,
        firstTime: first,
        lastTime: last,
        interfaces: format === 'pcap' ? 1 : interfaceIds.size,
      };
    }
  }
}
