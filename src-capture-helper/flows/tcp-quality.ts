/**
 * Connection quality of TCP flows, measured the way Wireshark's TCP analysis
 * measures it (epan/dissectors/packet-tcp.c, `tcp_analyze_sequence_number`),
 * so that the counts match `tcp.analysis.*` on the same capture:
 *
 * - handshake RTT, split at the capture point: SYN → SYN/ACK is the responder
 *   ("server") side, SYN/ACK → the ACK that completes the handshake the
 *   initiator ("client") side; these are the `tcp.analysis.ack_rtt` values of
 *   the SYN/ACK and of that ACK, and their sum is `tcp.analysis.initial_rtt`.
 * - retransmissions (`tcp.analysis.retransmission`, which Wireshark also sets
 *   on fast and spurious retransmissions), out-of-order segments
 *   (`tcp.analysis.out_of_order`) and zero windows (`tcp.analysis.zero_window`).
 *
 * A segment that carries data (or SYN/FIN) and does not advance its
 * direction's highest sequence number is, in Wireshark's order: a keep-alive
 * (not counted), a fast retransmission (two or more duplicate ACKs for it from
 * the other side, within 20 ms of the last), out of order (within the
 * handshake RTT, or 3 ms before one is known, of the segment that set the
 * highest sequence number, and not ending at it), a spurious retransmission
 * (already acknowledged), or else a retransmission.
 *
 * The state lives in words attached to each flow's record in the flow table
 * (`FlowTable.attach`), so a TCP packet touches the record the table has
 * just touched and allocates nothing.
 */
import type { DecodedPacket, IpLayer } from '../decode/decoded-packet';
import { L4Kind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import type { FlowTable } from './flow-table';
import { FLOW_SLOT_SPACE } from './flow-types';

// Attached 64-bit numbers (times in seconds since the epoch, as packet time).
const F_SYN_TIME = 0;
const F_SYNACK_TIME = 1;
/** Time of the segment that set a direction's highest sequence number (A: initiator, B: responder). */
const F_NEXTSEQ_TIME_A = 2;
const F_NEXTSEQ_TIME_B = 3;
/** Time of a direction's last ACK. */
const F_LASTACK_TIME_A = 4;
const F_LASTACK_TIME_B = 5;
const F_RTT_SERVER = 6;
const F_RTT_CLIENT = 7;
/** The most recent SYN, and the time from it to the ACK completing the handshake (Wireshark's `ts_first_rtt`). */
const F_LAST_SYN_TIME = 8;
const F_FIRST_RTT = 9;
// Attached 32-bit words, counted from the attachment's first word.
const W_BASE = 20;
/** Highest sequence number + length seen per direction (0: none yet, as in Wireshark). */
const W_NEXTSEQ_A = W_BASE + 0;
const W_NEXTSEQ_B = W_BASE + 1;
/** Last acknowledgement number per direction (0: none yet). */
const W_LASTACK_A = W_BASE + 2;
const W_LASTACK_B = W_BASE + 3;
const W_WINDOW_A = W_BASE + 4;
const W_WINDOW_B = W_BASE + 5;
/** Duplicate ACKs in a row per direction. */
const W_DUPACKS_A = W_BASE + 6;
const W_DUPACKS_B = W_BASE + 7;
const W_BITS = W_BASE + 8;
const W_RETRANSMISSIONS = W_BASE + 9;
const W_OUT_OF_ORDER = W_BASE + 10;
const W_ZERO_WINDOWS = W_BASE + 11;
/** Initiator's SYN sequence number and responder's SYN/ACK sequence number. */
const W_SYN_SEQ = W_BASE + 12;
const W_SYNACK_SEQ = W_BASE + 13;
/** Retransmissions already reported in a per-second drain. */
const W_RETRANSMISSIONS_REPORTED = W_BASE + 14;
/** 32-bit words used, rounded up to 64-bit numbers. */
const ATTACHED_F64 = (W_BASE + 16) / 2;

// W_BITS
const B_SYN = 1;
const B_SYNACK = 2;
const B_RTT_SERVER = 4;
const B_RTT_CLIENT = 8;
const B_FIRST_RTT = 64;
/** Something to report in the current second (per-second mode). */
const B_PENDING = 128;
/** The handshake completed this second (per-second mode). */
const B_RTT_REPORTED_NOW = 256;
/** The last segment of a direction was a keep-alive: the other side's repeated ACK answers it and is no duplicate. */
const B_KEEPALIVE_A = 16;
const B_KEEPALIVE_B = 32;

const SYN_FIN = TcpFlag.syn | TcpFlag.fin;
const SYN_FIN_RST = SYN_FIN | TcpFlag.rst;

/** Without a handshake RTT, a segment this close to the highest one is out of order rather than retransmitted (Wireshark's 3 ms). */
const DEFAULT_OUT_OF_ORDER_SECONDS = 0.003;
/** A retransmission within this of the last duplicate ACK asking for it is a fast one. */
const FAST_RETRANSMISSION_SECONDS = 0.02;

/** Sequence comparisons modulo 2^32 (Wireshark's LT_SEQ / GT_SEQ). */
function ltSeq(x: number, y: number): boolean {
  return ((x - y) | 0) < 0;
}

/** Quality figures of one TCP flow. RTTs in milliseconds, null until measured. */
export interface TcpQualityFigures {
  /** SYN → SYN/ACK at the capture point: the path to the responder and its answer. */
  rttServerMs: number | null;
  /** SYN/ACK → ACK at the capture point: the path to the initiator and its answer. */
  rttClientMs: number | null;
  /** Both sides (Wireshark's initial RTT), when both are known. */
  rttMs: number | null;
  retransmissions: number;
  outOfOrder: number;
  zeroWindows: number;
}

export interface TcpQualityTotals {
  retransmissions: number;
  outOfOrder: number;
  zeroWindows: number;
  /** TCP segments analysed. */
  segments: number;
}

/** One flow's quality news in a second: new retransmissions, and its handshake RTT if it completed then. */
export interface TcpQualityFlowSecond {
  flowId: number;
  retransmissions: number;
  rttMs: number | null;
}

/** What happened to TCP quality during one second (per-second mode). */
export interface TcpQualitySecond {
  retransmissions: number;
  handshakes: number;
  rttSumMs: number;
  /** At most `maxFlowsPerSecond`; the totals count every flow. */
  flows: TcpQualityFlowSecond[];
}

export interface TcpQualityOptions {
  /** Collect per-second news for `drainSecond` (live sessions, alerts): at most this many flows a second, 0 for none. */
  maxFlowsPerSecond?: number;
}

export class TcpQuality {
  private readonly offsetF64: number;
  private readonly totals: TcpQualityTotals = { retransmissions: 0, outOfOrder: 0, zeroWindows: 0, segments: 0 };
  private readonly maxFlowsPerSecond: number;
  /** Slots with news this second; bounded, like the flows a drain reports. */
  private readonly pendingSlots: Int32Array;
  private pendingLength = 0;
  /** Slot of the packet being analysed. */
  private currentSlot = 0;
  /**
   * Time of the packet being analysed, in seconds, for `handshake`: in a field, since
   * a number this large (like a sequence number above 2^30) is boxed as an argument.
   */
  private currentTime = 0;
  private second: TcpQualitySecond = { retransmissions: 0, handshakes: 0, rttSumMs: 0, flows: [] };

  /** Attaches its per-flow words to `table`: before the table's first packet. */
  constructor(private readonly table: FlowTable, options: TcpQualityOptions = {}) {
    this.maxFlowsPerSecond = options.maxFlowsPerSecond ?? 0;
    this.pendingSlots = new Int32Array(this.maxFlowsPerSecond);
    this.offsetF64 = table.attach(ATTACHED_F64, this.maxFlowsPerSecond > 0 ? (slot) => this.reportPending(slot) : undefined);
  }

  /** The news of the second that ends now, and a fresh start for the next one. */
  drainSecond(): TcpQualitySecond {
    const table = this.table;
    for (let i = 0; i < this.pendingLength; i++) {
      const slot = this.pendingSlots[i];
      if (table.isActive(slot)) this.reportPending(slot);
    }
    this.pendingLength = 0;
    const done = this.second;
    this.second = { retransmissions: 0, handshakes: 0, rttSumMs: 0, flows: [] };
    return done;
  }

  /** Moves a flow's news into the current second (at a drain, or as the flow leaves the table). */
  private reportPending(slot: number): void {
    const w = this.table.words;
    const rw = (this.table.recordF64(slot) + this.offsetF64) * 2;
    const bits = w[rw + W_BITS];
    if ((bits & B_PENDING) === 0) return;
    w[rw + W_BITS] = bits & ~B_PENDING;
    const retransmissions = w[rw + W_RETRANSMISSIONS] - w[rw + W_RETRANSMISSIONS_REPORTED];
    w[rw + W_RETRANSMISSIONS_REPORTED] = w[rw + W_RETRANSMISSIONS];
    const f = this.table.f64;
    const r = rw / 2;
    const completed = (bits & B_RTT_REPORTED_NOW) !== 0;
    const rttMs = completed ? f[r + F_RTT_SERVER] + f[r + F_RTT_CLIENT] : null;
    if (completed) w[rw + W_BITS] &= ~B_RTT_REPORTED_NOW;
    if (this.second.flows.length < this.maxFlowsPerSecond) this.second.flows.push({ flowId: this.table.idOf(slot), retransmissions, rttMs });
  }

  /** Per-second mode: the flow in `slot` has news this second. */
  private markPending(rw: number, slot: number): void {
    const w = this.table.words;
    const bits = w[rw + W_BITS];
    if ((bits & B_PENDING) !== 0) return;
    // Beyond the bound the flow counts in the totals only.
    if (this.pendingLength >= this.pendingSlots.length) return;
    w[rw + W_BITS] = bits | B_PENDING;
    this.pendingSlots[this.pendingLength++] = slot;
  }

  getTotals(): TcpQualityTotals {
    return { ...this.totals };
  }

  /** Analyses one packet that `table.observe` has just counted in flow `flowId` (its direction is the table's). */
  observe(pkt: DecodedPacket, rec: PacketRecord, flowId: number): void {
    if (flowId < 0) return;
    const L = pkt.layers[0];
    if (L.l4 !== L4Kind.tcp || !L.l4Valid || (L.isFragment && !L.isFirstFragment)) return;
    const table = this.table;
    const slot = flowId % FLOW_SLOT_SPACE;
    this.currentSlot = slot;
    // An ICMP error counted in a TCP flow is not a segment of it.
    if (table.protoOf(slot) !== 6) return;
    this.totals.segments++;
    const f = table.f64;
    const w = table.words;
    const r = table.recordF64(slot) + this.offsetF64;
    const rw = r * 2;
    const fromA = table.lastFromInitiator;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    this.currentTime = t;
    const flags = L.tcpFlags;
    const seq = L.tcpSeq >>> 0;
    const ack = L.tcpAck >>> 0;
    const window = L.tcpWindow;
    const seglen = L.payloadClaimedLength;
    const ackSet = (flags & TcpFlag.ack) !== 0;

    // This direction's words (fwd) and the other one's (rev).
    const fNextseq = rw + (fromA ? W_NEXTSEQ_A : W_NEXTSEQ_B);
    const fLastack = rw + (fromA ? W_LASTACK_A : W_LASTACK_B);
    const rLastack = rw + (fromA ? W_LASTACK_B : W_LASTACK_A);
    const fWindow = rw + (fromA ? W_WINDOW_A : W_WINDOW_B);
    const rWindow = rw + (fromA ? W_WINDOW_B : W_WINDOW_A);
    const fDupacks = rw + (fromA ? W_DUPACKS_A : W_DUPACKS_B);
    const rDupacks = rw + (fromA ? W_DUPACKS_B : W_DUPACKS_A);
    const fNextseqTime = r + (fromA ? F_NEXTSEQ_TIME_A : F_NEXTSEQ_TIME_B);
    const fLastackTime = r + (fromA ? F_LASTACK_TIME_A : F_LASTACK_TIME_B);
    const rLastackTime = r + (fromA ? F_LASTACK_TIME_B : F_LASTACK_TIME_A);
    const fKeepalive = fromA ? B_KEEPALIVE_A : B_KEEPALIVE_B;
    const rKeepalive = fromA ? B_KEEPALIVE_B : B_KEEPALIVE_A;

    let bits = w[rw + W_BITS];
    this.handshake(r, rw, bits, L, fromA);
    bits = w[rw + W_BITS];

    const nextseq = w[fNextseq];
    let keepalive = false;
    let zeroWindowProbe = false;
    if (seglen === 1 && seq === nextseq && w[rWindow] === 0) {
      zeroWindowProbe = true;
    } else {
      if (window === 0 && (flags & SYN_FIN_RST) === 0) {
        w[rw + W_ZERO_WINDOWS]++;
        this.totals.zeroWindows++;
      }
      const sameAsLast = seglen === 0 && seq === nextseq && ack === w[fLastack] && (flags & SYN_FIN_RST) === 0;
      if (seglen <= 1 && seq === ((nextseq - 1) >>> 0) && (flags & SYN_FIN_RST) === 0) keepalive = true;
      // A duplicate ACK, unless it answers a keep-alive or a zero-window probe.
      if (sameAsLast && window !== 0 && window === w[fWindow] && (bits & rKeepalive) === 0) w[fDupacks]++;
    }
    if (ack !== w[fLastack]) w[fDupacks] = 0;

    if ((seglen > 0 || (flags & SYN_FIN) !== 0) && nextseq !== 0 && ltSeq(seq, nextseq) && !keepalive) {
      this.classifyOldSegment(r, rw, seq, seglen, (flags & SYN_FIN) !== 0, nextseq, t, f[rLastackTime], w[rDupacks], w[rLastack], f[fNextseqTime]);
    }

    let end = (seq + seglen) >>> 0;
    if ((flags & SYN_FIN) !== 0) end = (end + 1) >>> 0;
    if ((ltSeq(nextseq, end) || nextseq === 0) && !zeroWindowProbe) {
      w[fNextseq] = end;
      f[fNextseqTime] = t;
    }
    w[fWindow] = window;
    if (ackSet) {
      w[fLastack] = ack;
      f[fLastackTime] = t;
    }
    // Read again: counting a retransmission may have marked the flow pending.
    w[rw + W_BITS] = (w[rw + W_BITS] & ~fKeepalive) | (keepalive ? fKeepalive : 0);
  }

  /** A segment below its direction's highest sequence number: fast retransmission, out of order, spurious or plain retransmission. */
  private classifyOldSegment(
    r: number, rw: number, seq: number, seglen: number, synOrFin: boolean, nextseq: number, t: number,
    revLastackTime: number, revDupacks: number, revLastack: number, nextseqTime: number,
  ): void {
    const w = this.table.words;
    const f = this.table.f64;
    if (revDupacks >= 2 && revLastack === seq && t - revLastackTime < FAST_RETRANSMISSION_SECONDS) {
      this.countRetransmission(rw);
      return;
    }
    const firstRtt = (w[rw + W_BITS] & B_FIRST_RTT) !== 0 ? f[r + F_FIRST_RTT] : 0;
    const threshold = firstRtt !== 0 ? firstRtt : DEFAULT_OUT_OF_ORDER_SECONDS;
    // A segment ending where the highest one ended (a SYN or FIN counting one) repeats it: not out of order.
    if (t - nextseqTime < threshold && nextseq !== ((seq + seglen + (synOrFin ? 1 : 0)) >>> 0)) {
      w[rw + W_OUT_OF_ORDER]++;
      this.totals.outOfOrder++;
      return;
    }
    // A spurious retransmission (already acknowledged) is still a retransmission to Wireshark.
    this.countRetransmission(rw);
  }

  private countRetransmission(rw: number): void {
    this.table.words[rw + W_RETRANSMISSIONS]++;
    this.totals.retransmissions++;
    if (this.maxFlowsPerSecond > 0) {
      this.second.retransmissions++;
      this.markPending(rw, this.currentSlot);
    }
  }

  /** SYN, SYN/ACK and the ACK completing the handshake: the two halves of the handshake RTT. */
  private handshake(r: number, rw: number, bits: number, L: IpLayer, fromA: boolean): void {
    const flags = L.tcpFlags;
    const seq = L.tcpSeq >>> 0;
    const ack = L.tcpAck >>> 0;
    const t = this.currentTime;
    const w = this.table.words;
    const f = this.table.f64;
    const syn = (flags & TcpFlag.syn) !== 0;
    const ackSet = (flags & TcpFlag.ack) !== 0;
    if (syn && !ackSet && fromA) {
      // The server side counts from the first SYN (as tshark's ack_rtt of the SYN/ACK does), the first RTT from the latest.
      f[r + F_LAST_SYN_TIME] = t;
      if ((bits & B_SYN) === 0) {
        f[r + F_SYN_TIME] = t;
        w[rw + W_SYN_SEQ] = seq;
        w[rw + W_BITS] = bits | B_SYN;
      }
      return;
    }
    if (syn && ackSet && !fromA) {
      if ((bits & B_SYNACK) !== 0) return;
      let next = bits | B_SYNACK;
      f[r + F_SYNACK_TIME] = t;
      w[rw + W_SYNACK_SEQ] = seq;
      if ((bits & B_SYN) !== 0 && ack === ((w[rw + W_SYN_SEQ] + 1) >>> 0)) {
        f[r + F_RTT_SERVER] = (t - f[r + F_SYN_TIME]) * 1000;
        next |= B_RTT_SERVER;
      }
      w[rw + W_BITS] = next;
      return;
    }
    if (!syn && ackSet && fromA && (bits & (B_SYNACK | B_RTT_CLIENT)) === B_SYNACK && ack === ((w[rw + W_SYNACK_SEQ] + 1) >>> 0)) {
      f[r + F_RTT_CLIENT] = (t - f[r + F_SYNACK_TIME]) * 1000;
      let next = bits | B_RTT_CLIENT;
      if ((bits & B_SYN) !== 0) {
        f[r + F_FIRST_RTT] = t - f[r + F_LAST_SYN_TIME];
        next |= B_FIRST_RTT;
      }
      w[rw + W_BITS] = next;
      if ((bits & B_RTT_SERVER) !== 0 && this.maxFlowsPerSecond > 0) {
        this.second.handshakes++;
        this.second.rttSumMs += f[r + F_RTT_SERVER] + f[r + F_RTT_CLIENT];
        w[rw + W_BITS] |= B_RTT_REPORTED_NOW;
        this.markPending(rw, this.currentSlot);
      }
    }
  }

  /** Figures of the active flow in `slot`, or null for a flow that is not TCP. */
  figures(slot: number): TcpQualityFigures | null {
    const table = this.table;
    if (table.protoOf(slot) !== 6) return null;
    const f = table.f64;
    const w = table.words;
    const r = table.recordF64(slot) + this.offsetF64;
    const rw = r * 2;
    const bits = w[rw + W_BITS];
    const server = (bits & B_RTT_SERVER) !== 0 ? f[r + F_RTT_SERVER] : null;
    const client = (bits & B_RTT_CLIENT) !== 0 ? f[r + F_RTT_CLIENT] : null;
    return {
      rttServerMs: server,
      rttClientMs: client,
      rttMs: server !== null && client !== null ? server + client : null,
      retransmissions: w[rw + W_RETRANSMISSIONS],
      outOfOrder: w[rw + W_OUT_OF_ORDER],
      zeroWindows: w[rw + W_ZERO_WINDOWS],
    };
  }
}
