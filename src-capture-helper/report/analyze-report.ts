import { LINKTYPE_NONE } from '../capture-file/capture-parser';
import type { CaptureReadResult } from '../capture-file/read-capture-file';
import { MAX_FRAME_LENGTH, pseudoHeaderLength } from '../capture-file/pseudo-header';
import type { DecodedPacket, IpLayer } from '../decode/decoded-packet';
import { DecodeStatus, L4Kind, NetKind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import { ipWords } from '../../src-shared/ip';
import type { FlowTable } from '../flows/flow-table';
import { FLOW_SLOT_SPACE } from '../flows/flow-types';
import type { AnalyzeReport, Counter, ProtocolKey } from './analyze-report-shape';
import { ConversationTables, PROTOCOL_KEYS, timeText } from './analyze-report-shape';
import { ConversationTable } from './conversation-table';
import { linkTypeName } from './link-type-names';

export interface ReportLimits {
  /** Rows kept per conversation table (packets beyond are counted as dropped). */
  maxConversations: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { maxConversations: 2_000_000 };

const IPPROTO_TCP = 6;
const SYN_ACK = TcpFlag.syn | TcpFlag.ack;

// The report's words in a flow's record (ReportBuilder.attachTo): what the
// flow's packets counted since the last fold, as 64-bit numbers (A_*), then
// 32-bit words (X_*, counted from the record's words at twice the offset).
const EXT_F64 = 8;
const A_FRAMES_LO = 0;
const A_BYTES_LO = 1;
const A_FRAMES_HI = 2;
const A_BYTES_HI = 3;
const A_FIRST = 4;
const A_LAST = 5;
const X_IP_ROW = 12;
const X_L4_ROW = 13;
const X_FLAGS = 14;
/** `ConversationTable.supersededRows` of the TCP table when the rows were learnt. */
const X_SUPERSEDED = 15;
// X_FLAGS: the rows' address family and transport, and what is known.
const TAG_V4 = 1;
const TAG_V6 = 2;
const TAG_TCP = 4;
const TAG_UDP = 8;
const TAG_MASK = 15;
/** X_IP_ROW and X_L4_ROW hold the flow's rows. */
const X_ROWS = 16;
/** The TCP row knows both base sequence numbers. */
const X_BASES = 32;
/** Source and destination address are the same. */
const X_SAME_ADDRESS = 64;
/** Packets were counted since the last fold; X_TIMED: some had a timestamp (A_FIRST, A_LAST). */
const X_COUNTED = 128;
const X_TIMED = 256;
/** Link types below this are counted in an array (no map lookup per packet). */
const LINK_SLOTS = 512;

/**
 * Counts what `netmon analyze` reports, with tshark's rules (see the fixtures'
 * README): bytes are frame lengths; protocols are classified by the outermost
 * network header; every dissectable IP/TCP/UDP header (tunnels included)
 * counts in the conversation tables.
 *
 * The per-packet path and the words it attaches to flow records share the
 * module-local layout constants above, which is why they stay in one file
 * (what the report prints is in analyze-report-shape).
 */
export class ReportBuilder {
  packets = 0;
  bytes = 0;
  capturedBytes = 0;
  truncatedPackets = 0;
  withoutTimestamp = 0;
  malformedPackets = 0;
  readonly protocols = new Float64Array(PROTOCOL_KEYS.length * 2);
  private readonly perLink = new Map<number, number>();
  private readonly perLinkSmall = new Float64Array(LINK_SLOTS);
  private readonly reasons = new Map<string, number>();
  private firstRecordStamped = true;
  private firstSec = NaN;
  private firstNsec = 0;
  private lastSec = NaN;
  private lastNsec = 0;
  private minSec = NaN;
  private minNsec = 0;
  private maxSec = NaN;
  private maxNsec = 0;
  readonly ipv4: ConversationTable;
  readonly ipv6: ConversationTable;
  readonly udp: ConversationTable;
  readonly tcp: ConversationTable;
  /** src and dst words, then transport src and dst words. */
  private readonly w = new Uint32Array(16);
  /** Rows the last `conversations` call counted in (-1: none). */
  private ipRow = -1;
  private l4Row = -1;
  /** The flow table whose records carry this report's per-flow words (see `attachTo`). */
  private table: FlowTable | undefined;
  /** Offset of those words in a record, in 64-bit numbers. */
  private ext = 0;

  constructor(limits: ReportLimits = DEFAULT_REPORT_LIMITS) {
    this.ipv4 = new ConversationTable(false, limits.maxConversations);
    this.ipv6 = new ConversationTable(false, limits.maxConversations);
    this.udp = new ConversationTable(true, limits.maxConversations);
    this.tcp = new ConversationTable(true, limits.maxConversations);
  }

  /**
   * Keeps the conversation counting of each flow's packets in the flow's own
   * record: most TCP/UDP packets then touch no conversation row, only the
   * record the flow table has just read (see `flowConversations`). `observe`
   * then takes that table's flow ids. Before the first packet.
   */
  attachTo(table: FlowTable): void {
    this.table = table;
    this.ext = table.attach(EXT_F64, (slot) => this.fold(slot));
  }

  /**
   * Count one record. `flowId`: the attached FlowTable's flow of this packet
   * (negative when none).
   */
  observe(pkt: DecodedPacket, rec: PacketRecord, flowId = -1): void {
    // tshark's frame: the record without the pseudo-header its reader takes off
    // (unsigned arithmetic, as in C); frame.len is capped at INT_MAX, while the
    // conversation tables add each length as a C int.
    const lt = rec.linkType;
    const phdr = pseudoHeaderLength(lt);
    const reported = phdr === 0 ? rec.wireLength : (rec.wireLength - phdr) >>> 0;
    const frameLength = reported > MAX_FRAME_LENGTH ? MAX_FRAME_LENGTH : reported;
    const captured = rec.length - phdr;
    const wire = reported | 0;
    this.packets++;
    this.bytes += frameLength;
    this.capturedBytes += captured;
    if (captured < reported) this.truncatedPackets++;
    if (lt >= 0 && lt < LINK_SLOTS) this.perLinkSmall[lt]++;
    else this.perLink.set(lt, (this.perLink.get(lt) ?? 0) + 1);
    // Seconds and nanoseconds stay two integers down to the tables (see ConversationTable.observe).
    let sec = NaN;
    const nsec = rec.tsNsec;
    if (rec.hasTimestamp) {
      sec = rec.tsSec;
      this.stamp(sec, nsec);
    } else {
      this.withoutTimestamp++;
      // first_ts/last_ts are those of the first/last record in file order, none when it has none.
      if (this.packets === 1) this.firstRecordStamped = false;
      this.lastSec = NaN;
    }
    if (pkt.status !== DecodeStatus.ok && rec.linkType !== LINKTYPE_NONE) {
      this.malformedPackets++;
      this.reasons.set(pkt.reason, (this.reasons.get(pkt.reason) ?? 0) + 1);
    }
    this.classify(pkt, frameLength);
    if (flowId >= 0 && pkt.layerCount === 1 && this.table !== undefined) this.flowConversations(this.table, pkt.layers[0], flowId, wire, sec, nsec);
    else for (let i = 0; i < pkt.layerCount; i++) this.conversations(pkt.layers[i], wire, sec, nsec);
  }

  /**
   * A TCP/UDP packet keyed by its plain header addresses and ports belongs to
   * the same two conversation rows (IP and TCP/UDP) as the earlier packets of
   * its flow, unless it may change its TCP row. Such packets are counted in
   * the flow's record (frames and bytes from each endpoint, first and last
   * time) and added to the rows later (`fold`: when the flow leaves the
   * table, learns other rows, or the report is built): sums, minimum and
   * maximum come out the same in any order. Every other packet takes the
   * full path, which also (re)learns the flow's rows.
   */
  private flowConversations(table: FlowTable, layer: IpLayer, flowId: number, wire: number, sec: number, nsec: number): void {
    const l4 = layer.l4;
    const tcp = l4 === L4Kind.tcp && layer.ipProto === IPPROTO_TCP;
    if (
      !layer.ipValid || !layer.l4Valid || (!tcp && l4 !== L4Kind.udp) || layer.routed || layer.hasHomeSrc ||
      (layer.isFragment && !layer.isFirstFragment)
    ) {
      this.conversations(layer, wire, sec, nsec);
      return;
    }
    const v4 = layer.net === NetKind.ipv4;
    const tag = (v4 ? TAG_V4 : TAG_V6) | (tcp ? TAG_TCP : TAG_UDP);
    const slot = flowId % FLOW_SLOT_SPACE;
    const a = table.recordF64(slot) + this.ext;
    const aw = a * 2;
    const words = table.words;
    const flags = words[aw + X_FLAGS];
    // A TCP segment may change its row while the row lacks a base sequence
    // number, or when it is a pure SYN (a new stream); and the row learnt here
    // may be stale once any row was superseded since.
    if (
      (flags & (TAG_MASK | X_ROWS)) === (tag | X_ROWS) &&
      (!tcp || ((flags & X_BASES) !== 0 && (layer.tcpFlags & SYN_ACK) !== TcpFlag.syn && words[aw + X_SUPERSEDED] === this.tcp.supersededRows))
    ) {
      const f = table.f64;
      // The table's key and the rows' keys order endpoints alike (address words, then port).
      if (table.lastFromLow) {
        f[a + A_FRAMES_LO]++;
        f[a + A_BYTES_LO] += wire;
      } else {
        f[a + A_FRAMES_HI]++;
        f[a + A_BYTES_HI] += wire;
      }
      let next = flags | X_COUNTED;
      if (sec === sec) {
        const time = sec + nsec / 1e9;
        if ((flags & X_TIMED) === 0) {
          f[a + A_FIRST] = time;
          f[a + A_LAST] = time;
          next |= X_TIMED;
        } else if (time < f[a + A_FIRST]) f[a + A_FIRST] = time;
        else if (time > f[a + A_LAST]) f[a + A_LAST] = time;
      }
      if (next !== flags) words[aw + X_FLAGS] = next;
      return;
    }
    this.fold(slot);
    this.conversations(layer, wire, sec, nsec);
    if (this.ipRow < 0 || this.l4Row < 0) {
      words[aw + X_FLAGS] = 0;
      return;
    }
    let next = tag | X_ROWS;
    if (tcp && this.tcp.tcpBasesKnown(this.l4Row)) next |= X_BASES;
    if (v4 ? layer.src4 === layer.dst4 : compare16(layer.src, layer.dst) === 0) next |= X_SAME_ADDRESS;
    words[aw + X_FLAGS] = next;
    words[aw + X_IP_ROW] = this.ipRow;
    words[aw + X_L4_ROW] = this.l4Row;
    words[aw + X_SUPERSEDED] = this.tcp.supersededRows;
  }

  /** Adds what a flow's record counted to its rows and clears that count (the rows stay learnt). */
  private fold(slot: number): void {
    const table = this.table;
    if (table === undefined) return;
    const a = table.recordF64(slot) + this.ext;
    const aw = a * 2;
    const words = table.words;
    const flags = words[aw + X_FLAGS];
    if ((flags & X_COUNTED) === 0) return;
    const f = table.f64;
    const framesLo = f[a + A_FRAMES_LO];
    const bytesLo = f[a + A_BYTES_LO];
    const framesHi = f[a + A_FRAMES_HI];
    const bytesHi = f[a + A_BYTES_HI];
    const first = (flags & X_TIMED) !== 0 ? f[a + A_FIRST] : NaN;
    const last = (flags & X_TIMED) !== 0 ? f[a + A_LAST] : NaN;
    const ipRow = words[aw + X_IP_ROW];
    (flags & TAG_TCP ? this.tcp : this.udp).addToRow(words[aw + X_L4_ROW], framesLo, bytesLo, framesHi, bytesHi, first, last);
    const ip = (flags & TAG_V4) !== 0 ? this.ipv4 : this.ipv6;
    // Between two ports of one address, the IP table counts every packet from its lower endpoint.
    if ((flags & X_SAME_ADDRESS) !== 0) ip.addToRow(ipRow, framesLo + framesHi, bytesLo + bytesHi, 0, 0, first, last);
    else ip.addToRow(ipRow, framesLo, bytesLo, framesHi, bytesHi, first, last);
    f[a + A_FRAMES_LO] = 0;
    f[a + A_BYTES_LO] = 0;
    f[a + A_FRAMES_HI] = 0;
    f[a + A_BYTES_HI] = 0;
    words[aw + X_FLAGS] = flags & ~(X_COUNTED | X_TIMED);
  }

  /** Adds every flow's pending count to its rows. */
  private foldAll(): void {
    const table = this.table;
    if (table === undefined) return;
    for (let slot = 0; slot < table.slotLimit; slot++) if (table.isActive(slot)) this.fold(slot);
  }

  private stamp(sec: number, nsec: number): void {
    if (Number.isNaN(this.firstSec)) {
      this.firstSec = this.minSec = this.maxSec = sec;
      this.firstNsec = this.minNsec = this.maxNsec = nsec;
    }
    this.lastSec = sec;
    this.lastNsec = nsec;
    if (sec < this.minSec || (sec === this.minSec && nsec < this.minNsec)) {
      this.minSec = sec;
      this.minNsec = nsec;
    }
    if (sec > this.maxSec || (sec === this.maxSec && nsec > this.maxNsec)) {
      this.maxSec = sec;
      this.maxNsec = nsec;
    }
  }

  private add(key: number, wire: number): void {
    this.protocols[key * 2]++;
    this.protocols[key * 2 + 1] += wire;
  }

  private classify(pkt: DecodedPacket, wire: number): void {
    if (pkt.l3Class === NetKind.ipv4) this.add(0, wire);
    else if (pkt.l3Class === NetKind.ipv6) this.add(1, wire);
    switch (pkt.l4Class) {
      case L4Kind.tcp:
        this.add(2, wire);
        break;
      case L4Kind.udp:
        this.add(3, wire);
        break;
      case L4Kind.icmp:
        this.add(4, wire);
        break;
      case L4Kind.icmpv6:
        this.add(5, wire);
        break;
      case L4Kind.other:
      case L4Kind.none:
        this.add(6, wire);
        break;
    }
  }

  private conversations(layer: IpLayer, wire: number, sec: number, nsec: number): void {
    this.ipRow = -1;
    this.l4Row = -1;
    if (!layer.ipValid) return;
    const w = this.w;
    const v4 = layer.net === NetKind.ipv4;
    const family = v4 ? 4 : 6;
    if (v4) {
      // IPv4's table uses the source route's final destination.
      setV4(w, 0, layer.src4);
      setV4(w, 4, layer.routed ? layer.finalDst4 : layer.dst4);
      this.ipRow = this.ipv4.observe(family, w, 0, 0, w, 4, 0, wire, sec, nsec);
    } else {
      ipWords(layer.src, w, 0);
      ipWords(layer.dst, w, 4);
      this.ipRow = this.ipv6.observe(family, w, 0, 0, w, 4, 0, wire, sec, nsec);
    }
    if (!layer.l4Valid || (layer.l4 !== L4Kind.tcp && layer.l4 !== L4Kind.udp)) return;
    // TCP and UDP use the final destination and home address the IP header names.
    if (layer.hasHomeSrc) ipWords(layer.homeSrc, w, 8);
    else w.copyWithin(8, 0, 4);
    if (layer.routed) {
      if (v4) setV4(w, 12, layer.finalDst4);
      else ipWords(layer.finalDst, w, 12);
    }
    else w.copyWithin(12, 4, 8);
    if (layer.l4 === L4Kind.udp) {
      this.l4Row = this.udp.observe(family, w, 8, layer.srcPort, w, 12, layer.dstPort, wire, sec, nsec);
    } else if (layer.ipProto === IPPROTO_TCP) {
      const analyze = !layer.isFragment;
      this.l4Row = this.tcp.observeTcp(family, w, 8, layer.srcPort, w, 12, layer.dstPort, layer.tcpFlags, layer.tcpSeq | 0, layer.tcpAck | 0, analyze, wire, sec, nsec);
    }
  }

  /** The report, without names and flows (the engine adds those). */
  build(file: string, read: CaptureReadResult): AnalyzeReport {
    this.foldAll();
    const protocols = {} as Record<ProtocolKey, Counter>;
    PROTOCOL_KEYS.forEach((k, i) => {
      protocols[k] = { packets: this.protocols[i * 2], bytes: this.protocols[i * 2 + 1] };
    });
    const perLink: Record<string, number> = {};
    const links = new Map(this.perLink);
    this.perLinkSmall.forEach((n, lt) => {
      if (n > 0) links.set(lt, n);
    });
    for (const [lt, n] of [...links.entries()].sort((x, y) => x[0] - y[0])) {
      perLink[lt === LINKTYPE_NONE ? 'none (not a packet record)' : `${lt} ${linkTypeName(lt)}`] = n;
    }
    const fileStart = Number.isNaN(this.firstSec) ? NaN : this.firstSec + this.firstNsec / 1e9;
    const byReason: Record<string, number> = {};
    for (const [r, n] of [...this.reasons.entries()].sort((x, y) => y[1] - x[1])) byReason[r] = n;
    return {
      file: { name: file, size: read.fileSize },
      format: {
        container: read.format ?? null,
        byte_order: read.format === undefined ? null : read.bigEndian ? 'big' : 'little',
        version: read.version === '' ? null : read.version,
        ...(read.format === 'pcap' ? { ts_precision: read.nanosecond ? ('nsec' as const) : ('usec' as const) } : {}),
        ...(read.format === 'pcapng' ? { sections: read.sections } : {}),
        interfaces: read.interfaces.map((i) => ({
          interface: i.index,
          section: i.section,
          linktype: i.linkType,
          name: linkTypeName(i.linkType),
          snaplen: i.snaplen,
          tsresol: i.tsresol,
          ...(i.name !== undefined ? { if_name: i.name } : {}),
        })),
      },
      read: { complete: read.complete, error: read.error?.message ?? null, error_kind: read.error?.kind ?? null },
      packets: this.packets,
      bytes: this.bytes,
      captured_bytes: this.capturedBytes,
      truncated_packets: this.truncatedPackets,
      packets_without_timestamp: this.withoutTimestamp,
      first_ts: this.firstRecordStamped ? timeText(this.firstSec, this.firstNsec) : null,
      last_ts: timeText(this.lastSec, this.lastNsec),
      min_ts: timeText(this.minSec, this.minNsec),
      max_ts: timeText(this.maxSec, this.maxNsec),
      packets_per_link_type: perLink,
      protocols,
      conversations: new ConversationTables({ tcp: this.tcp, udp: this.udp, ipv4: this.ipv4, ipv6: this.ipv6 }, fileStart),
      conversations_dropped_packets: this.tcp.droppedPackets + this.udp.droppedPackets + this.ipv4.droppedPackets + this.ipv6.droppedPackets,
      malformed: { packets: this.malformedPackets, by_reason: byReason },
      dns_names: {},
      tls_sni_values: [],
      http_host_values: [],
      web_sections: [],
      flows: [],
      flows_total: 0,
    };
  }
}

/** Sign of the first differing byte of two 16-byte addresses (their order as big-endian words). */
function compare16(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return 0;
}

function setV4(w: Uint32Array, at: number, v: number): void {
  w[at] = 0;
  w[at + 1] = 0;
  w[at + 2] = 0xffff;
  w[at + 3] = v;
}
