/**
 * The flow table: every IP conversation the helper sees, keyed
 * bidirectionally, one fixed-size record per flow in one typed buffer.
 *
 * Packets reach flows at random, so the cost of a packet is the cache lines
 * it touches. Everything a packet reads or writes (key, counters, times, TCP
 * state, the change stamp) sits in one 128-byte record, and consumers that
 * keep per-flow state of their own (the analyze report, the name extractor)
 * attach words to the same record (`attach`), so a packet of a known flow
 * touches its index entry and its record and little else. Fields read only
 * at creation or in snapshots (first time, interface, labels) live apart.
 *
 * Memory is the other constraint (1 million active flows in well under 300
 * bytes each): no JS object per flow, one open-addressing hash index
 * (`FlowKeyIndex`) whose entries carry a few bits of the hash so that a probe
 * rarely reads a record that is not the one, a free list of slots, and five
 * LRU lists (TCP, UDP, ICMP, other, closed TCP; see `LruLists`) through which
 * idle flows expire from the head in O(1) per flow. Ended flows are
 * remembered for delta consumers in `EndedFlowRing`.
 *
 * Canonical key (Zeek's convention): the lower endpoint first (address, then
 * port), IPv4 as IPv4-mapped IPv6, plus VLAN, IP protocol and, for ICMP, the
 * type family. The table remembers which side sent the first packet (the
 * initiator); counters and flags are kept per initiator direction, so "A" in
 * every output is the initiator.
 *
 * Flow ids are `generation * 2^24 + slot`: O(1) to resolve, and a stale id of a
 * finished flow never resolves to the flow that reuses its slot.
 *
 * Why this file stays long: the record layout below, the per-packet path that
 * writes it and the accessors that read it share module-local constants;
 * imported from another module they would become property loads on that
 * module's exports object on every packet (the build emits CommonJS).
 */
import type { DecodedPacket, IpLayer } from '../decode/decoded-packet';
import { L4Kind, NetKind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import { formatIpWords } from '../../src-shared/ip';
import type { FinishReason, FlowSnapshot, FlowTableConfig, FlowTimeouts } from './flow-types';
import { FLOW_LABEL_KINDS, FLOW_SLOT_SPACE, FlowState, defaultFlowTimeouts, flowStateName, protoName } from './flow-types';
import { QuotedTuple, icmpFamily, icmpFamilyHasId, isIcmpError, parseQuotedTuple } from './icmp-key';
import { EndedFlowRing } from './ended-flow-ring';
import * as FlowKey from './flow-key-index';
import { FlowKeyIndex, keyHash, sourceIsHigh, v4KeyHash } from './flow-key-index';
import { LruLists } from './lru-lists';
import { isTcpFinished, nextTcpState, startsNewTcpStream, tcpBaseSeq, tcpReverseBaseSeq } from './tcp-lifecycle';

// The record, in 32-bit words (W_*), bytes (B_*) and 64-bit numbers (F_*), all
// counted from the record's start. The first cache line holds what a lookup
// compares (the key, words 0-10, laid out in flow-key-index) and what every
// packet updates in 32 bits; the second the 64-bit counters.
// The key's words, laid out in flow-key-index, taken as module-local constants
// (read per packet: see "Why this file stays long" above).
const W_LO = FlowKey.W_LO;
const W_HI = FlowKey.W_HI;
const W_HASH = FlowKey.W_HASH;
const W_PORTS = FlowKey.W_PORTS;
const W_KIND = FlowKey.W_KIND;
const V4_MAPPED = FlowKey.V4_MAPPED;
/** First sequence number seen from A and from B (tshark's base_seq: a pure SYN with another one starts a new flow). */
const W_BASE_A = 11;
const W_BASE_B = 12;
const W_LAST_NSEC = 13;
/** Packets in the current rollup second (see `drainSecond`). */
const W_SEC_PACKETS = 14;
/** Epoch of the flow's last change (see `changesSince`). */
const W_CHANGED = 15;
const W_GENERATION = 16;
const W_FIRST_NSEC = 17;
const B_META = 72;
const B_STATE = 73;
/** TCP flags ORed from the initiator (A) and from the responder (B). */
const B_FLAGS_A = 74;
const B_FLAGS_B = 75;
const F_PACKETS_AB = 10;
const F_PACKETS_BA = 11;
const F_BYTES_AB = 12;
const F_BYTES_BA = 13;
const F_LAST_SEC = 14;
const F_SEC_BYTES = 15;
/** 64-bit numbers of the table's own part of a record (128 bytes); attachments follow. */
const RECORD_F64 = 16;

/** Numeric fields of a flow, for queries and sorts (`numOf`). */
export const FlowNum = { packetsAB: 0, packetsBA: 1, bytesAB: 2, bytesBA: 3, firstSec: 4, lastSec: 5, firstNsec: 6 } as const;
export type FlowNum = (typeof FlowNum)[keyof typeof FlowNum];

export const MAX_FLOW_TABLE_SIZE = FLOW_SLOT_SPACE;
const NIL = -1;

const LIST_TCP = 0;
const LIST_UDP = 1;
const LIST_ICMP = 2;
const LIST_OTHER = 3;
const LIST_CLOSED = 4;
const LIST_COUNT = 5;

/** meta bits */
const M_ACTIVE = 1;
/** The initiator is the canonical higher endpoint. */
const M_INIT_HIGH = 2;
const M_BASE_A = 4;
const M_BASE_B = 8;

/** Counters of what the table did, for stats and tests. */
export interface FlowTableStats {
  packetsObserved: number;
  /** Packets without an IP layer (returned -1). */
  nonIpPackets: number;
  active: number;
  created: number;
  evictedIdle: number;
  /** Flows evicted because the table was at maxFlows: the hard-cap counter. */
  evictedCapacity: number;
  reused: number;
  flushed: number;
  /** ICMP errors counted in the flow of the packet they quote. */
  icmpErrorsAttached: number;
  capacity: number;
}

export interface FlowChanges {
  /** Pass this back next time. */
  cursor: number;
  /** Ids of active flows changed after the given cursor (at most `limit`). */
  changed: number[];
  /** Changed flows beyond `limit`. */
  omitted: number;
  /** Ids of flows that ended after the cursor. */
  ended: number[];
  /** Ended flows no longer remembered (the cursor was too old). */
  endedLost: number;
}

/** Called before an attachment's flow leaves the table (its words are still readable). */
export type ReleaseHook = (slot: number, reason: FinishReason) => void;

export class FlowTable {
  readonly maxFlows: number;
  readonly timeouts: FlowTimeouts;
  private readonly packetClock: boolean;
  private readonly icmpErrorsToQuoted: boolean;
  private readonly onFinish: FlowTableConfig['onFinish'];
  private secondSink: ((table: FlowTable, slot: number) => void) | undefined;
  private readonly releaseHooks: ReleaseHook[] = [];

  private capacity = 0;
  /** Slots ever handed out (high-water mark); slots below it are active or on the free list. */
  private used = 0;
  private freeHead = NIL;
  /** Next slot of the free list, per free slot. */
  private freeNext = new Int32Array(0);

  /** Record size in 64-bit numbers: the table's part and the attachments. */
  private strideF64 = RECORD_F64;
  private strideW = RECORD_F64 * 2;
  private strideB = RECORD_F64 * 8;
  /** The records: one buffer, three views. Replaced when the table grows: read them through the table. */
  f64 = new Float64Array(0);
  words = new Uint32Array(0);
  private bytes8 = new Uint8Array(0);
  // Fields not touched per packet.
  private firstSec = new Float64Array(0);
  private ifIndexes = new Uint16Array(0);
  /** Per slot: 1 + (type << 8 | code) of an ICMP flow's first message, 0 for other flows. */
  private icmpFirst = new Int32Array(0);
  labels = new Int32Array(0);

  private readonly index = new FlowKeyIndex();
  private lru: LruLists;
  private readonly listTimeout = new Float64Array(LIST_COUNT);

  /** Slots with traffic in the current rollup second. */
  private secDirty = new Int32Array(0);
  private secDirtyLength = 0;
  private secDirtyOverflow = false;

  private epoch = 1;
  /** Slot where the next changesSince scan starts (see there). */
  private changeScanFrom = 0;
  private readonly ended = new EndedFlowRing();

  /** Current time: packet time in 'packet' clock mode, else what advanceTime() set. */
  private nowSec = -Infinity;
  private nowNsec = 0;
  private nextExpirySec = -Infinity;

  private readonly stats: FlowTableStats = {
    packetsObserved: 0,
    nonIpPackets: 0,
    active: 0,
    created: 0,
    evictedIdle: 0,
    evictedCapacity: 0,
    reused: 0,
    flushed: 0,
    icmpErrorsAttached: 0,
    capacity: 0,
  };

  // Scratch key of the packet being observed: words 0-3 source, 4-7 destination.
  private readonly key = new Uint32Array(8);
  private readonly quoted = new QuotedTuple();
  private readonly quotedKey = new Uint32Array(8);
  private lastHash = 0;
  /** Direction of the last observed packet: true when it came from the flow's initiator. */
  lastFromInitiator = false;
  /** Direction of the last observed TCP/UDP packet in its key: true when its source is the canonical lower endpoint. */
  lastFromLow = false;

  constructor(config: FlowTableConfig) {
    if (!Number.isInteger(config.maxFlows) || config.maxFlows < 1 || config.maxFlows > MAX_FLOW_TABLE_SIZE) {
      throw new RangeError(`maxFlows must be an integer in 1..${MAX_FLOW_TABLE_SIZE}, got ${config.maxFlows}`);
    }
    this.maxFlows = config.maxFlows;
    this.timeouts = { ...defaultFlowTimeouts, ...config.timeouts };
    for (const [name, v] of Object.entries(this.timeouts)) {
      if (!(typeof v === 'number' && v > 0)) throw new RangeError(`timeout ${name} must be a positive number of seconds, got ${v}`);
    }
    this.listTimeout[LIST_TCP] = this.timeouts.tcp;
    this.listTimeout[LIST_UDP] = this.timeouts.udp;
    this.listTimeout[LIST_ICMP] = this.timeouts.icmp;
    this.listTimeout[LIST_OTHER] = this.timeouts.other;
    this.listTimeout[LIST_CLOSED] = this.timeouts.tcpClosed;
    this.packetClock = (config.clock ?? 'packet') === 'packet';
    this.icmpErrorsToQuoted = config.icmpErrorsToQuotedFlow ?? true;
    this.onFinish = config.onFinish;
    const initial = Math.min(this.maxFlows, Math.max(16, config.initialCapacity ?? 4096));
    this.lru = new LruLists(LIST_COUNT, initial);
    this.grow(initial);
  }

  /**
   * Reserves `count` 64-bit numbers in every flow's record for a consumer's
   * own per-flow state, zeroed when a flow starts; returns their offset in a
   * record (`f64[recordF64(slot) + offset]`, or twice both in `words`).
   * `onRelease` runs before a flow leaves the table, its numbers still set.
   * Only before the first packet.
   */
  attach(count: number, onRelease?: ReleaseHook): number {
    if (this.used > 0) throw new Error('attach() before the first packet');
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
    const offset = this.strideF64;
    this.strideF64 += count;
    this.strideW = this.strideF64 * 2;
    this.strideB = this.strideF64 * 8;
    if (onRelease) this.releaseHooks.push(onRelease);
    // No flow yet: new, empty records of the new size.
    this.bytes8 = new Uint8Array(0);
    this.grow(this.capacity);
    return offset;
  }

  /** Offset of a slot's record in `f64` (in `words`, twice it). */
  recordF64(slot: number): number {
    return slot * this.strideF64;
  }

  getStats(): FlowTableStats {
    return { ...this.stats, capacity: this.capacity };
  }

  get activeCount(): number {
    return this.stats.active;
  }

  /** Slots below this bound may hold active flows (for scans by queries and rollups). */
  get slotLimit(): number {
    return this.used;
  }

  isActive(slot: number): boolean {
    return (this.bytes8[slot * this.strideB + B_META] & M_ACTIVE) !== 0;
  }

  initiatorIsHigh(slot: number): boolean {
    return (this.bytes8[slot * this.strideB + B_META] & M_INIT_HIGH) !== 0;
  }

  /** IP protocol of the flow in `slot`. */
  protoOf(slot: number): number {
    return this.words[slot * this.strideW + W_KIND] & 0xff;
  }

  /** Port of the canonical lower endpoint. */
  loPortOf(slot: number): number {
    return this.words[slot * this.strideW + W_PORTS] >>> 16;
  }

  /** Port of the canonical higher endpoint. */
  hiPortOf(slot: number): number {
    return this.words[slot * this.strideW + W_PORTS] & 0xffff;
  }

  /** Offset in `words` of the four address words of the canonical lower endpoint. */
  loAddressAt(slot: number): number {
    return slot * this.strideW + W_LO;
  }

  /** Offset in `words` of the four address words of the canonical higher endpoint. */
  hiAddressAt(slot: number): number {
    return slot * this.strideW + W_HI;
  }

  stateOf(slot: number): FlowState {
    return this.bytes8[slot * this.strideB + B_STATE] as FlowState;
  }

  lastNsecOf(slot: number): number {
    return this.words[slot * this.strideW + W_LAST_NSEC];
  }

  /** A numeric field of the flow in `slot`. */
  numOf(slot: number, field: FlowNum): number {
    const r = slot * this.strideF64;
    switch (field) {
      case FlowNum.packetsAB:
        return this.f64[r + F_PACKETS_AB];
      case FlowNum.packetsBA:
        return this.f64[r + F_PACKETS_BA];
      case FlowNum.bytesAB:
        return this.f64[r + F_BYTES_AB];
      case FlowNum.bytesBA:
        return this.f64[r + F_BYTES_BA];
      case FlowNum.firstSec:
        return this.firstSec[slot];
      case FlowNum.lastSec:
        return this.f64[r + F_LAST_SEC];
      case FlowNum.firstNsec:
        return this.words[slot * this.strideW + W_FIRST_NSEC];
    }
  }

  /** Total bytes of the flow in `slot`, both directions. */
  bytesOf(slot: number): number {
    const r = slot * this.strideF64;
    return this.f64[r + F_BYTES_AB] + this.f64[r + F_BYTES_BA];
  }

  /** Packets of the flow in the current rollup second. */
  secondPackets(slot: number): number {
    return this.words[slot * this.strideW + W_SEC_PACKETS];
  }

  /** Bytes of the flow in the current rollup second. */
  secondBytes(slot: number): number {
    return this.f64[slot * this.strideF64 + F_SEC_BYTES];
  }

  idOf(slot: number): number {
    return this.words[slot * this.strideW + W_GENERATION] * FLOW_SLOT_SPACE + slot;
  }

  /** Slot of an active flow id, or -1 when that flow has ended. */
  slotOf(id: number): number {
    if (!Number.isInteger(id) || id < 0) return NIL;
    const slot = id % FLOW_SLOT_SPACE;
    if (slot >= this.used || !(this.bytes8[slot * this.strideB + B_META] & M_ACTIVE)) return NIL;
    return this.words[slot * this.strideW + W_GENERATION] === Math.floor(id / FLOW_SLOT_SPACE) ? slot : NIL;
  }

  /** Registers the rollup engine's hook, called for a flow with traffic in the current second before it leaves. */
  setSecondSink(sink: ((table: FlowTable, slot: number) => void) | undefined): void {
    this.secondSink = sink;
  }

  /**
   * Counts one packet in its flow and returns the flow id, or -1 for a packet
   * without an IP layer. `layerIndex` picks which IP header keys the flow
   * (0 = outermost, the default).
   */
  observe(pkt: DecodedPacket, rec: PacketRecord, layerIndex = 0): number {
    const stats = this.stats;
    stats.packetsObserved++;
    if (layerIndex >= pkt.layerCount) {
      stats.nonIpPackets++;
      return NIL;
    }
    let tSec = this.nowSec;
    let tNsec = this.nowNsec;
    if (rec.hasTimestamp) {
      tSec = rec.tsSec;
      tNsec = rec.tsNsec;
      if (this.packetClock) {
        if (tSec > this.nowSec || (tSec === this.nowSec && tNsec > this.nowNsec)) {
          this.nowSec = tSec;
          this.nowNsec = tNsec;
        }
        if (tSec >= this.nextExpirySec) {
          this.expire();
          this.nextExpirySec = tSec + 1;
        }
      }
    }
    if (tSec === -Infinity) {
      // No timestamp seen yet: count the flow at time 0 rather than losing it.
      tSec = 0;
      tNsec = 0;
    }

    const L = pkt.layers[layerIndex];
    const l4 = L.l4;
    const hasL4 = L.l4Valid && (!L.isFragment || L.isFirstFragment);
    if (L.net === NetKind.ipv4 && hasL4 && (l4 === L4Kind.tcp || l4 === L4Kind.udp) && !L.routed && !L.hasHomeSrc) {
      return this.observeV4(pkt, rec, L, tSec, tNsec);
    }
    const k = this.key;
    const v4 = L.net === NetKind.ipv4;
    this.loadAddress(v4, L.src4, L.src, 0);
    this.loadAddress(v4, L.dst4, L.dst, 4);
    const proto = L.ipProto;
    let sport = 0;
    let dport = 0;
    let family = 0;
    let isTcp = false;
    if (hasL4) {
      if (l4 === L4Kind.tcp || l4 === L4Kind.udp) {
        isTcp = l4 === L4Kind.tcp;
        sport = L.srcPort;
        dport = L.dstPort;
        // The transport connection runs to the source route's final destination (and from an IPv6 home address).
        if (L.routed) this.loadAddress(L.net === NetKind.ipv4, L.finalDst4, L.finalDst, 4);
        if (L.hasHomeSrc) this.loadAddress(false, 0, L.homeSrc, 0);
      } else if (l4 === L4Kind.icmp || l4 === L4Kind.icmpv6) {
        const v6 = l4 === L4Kind.icmpv6;
        const type = L.icmpType;
        if (isIcmpError(v6, type)) {
          if (this.icmpErrorsToQuoted) {
            const slot = this.findQuotedFlow(rec, L.l4Offset, v6, pkt.vlan);
            if (slot !== NIL) {
              stats.icmpErrorsAttached++;
              // The error travels back towards the quoted packet's sender.
              const fromInit = this.lastFromInitiator;
              this.count(slot, fromInit, rec.wireLength, tSec, tNsec);
              return this.idOf(slot);
            }
          }
          family = type;
        } else {
          family = icmpFamily(v6, type);
          const o = L.l4Offset;
          if (icmpFamilyHasId(v6, family) && o + 6 <= rec.offset + rec.length) {
            sport = (rec.bytes[o + 4] << 8) | rec.bytes[o + 5];
            dport = sport;
          }
        }
      }
    }

    const flip = sourceIsHigh(k, sport, dport);
    const loPort = flip ? dport : sport;
    const hiPort = flip ? sport : dport;
    const kind = (proto | (family << 8) | ((pkt.vlan + 1) << 16)) >>> 0;
    const slot = this.lookup(k, flip, loPort, hiPort, kind);
    return this.settle(slot, flip, loPort, hiPort, kind, isTcp, L, rec, tSec, tNsec);
  }

  /** observe() for the common case, a TCP or UDP packet over plain IPv4: the key in four numbers, no scratch words. */
  private observeV4(pkt: DecodedPacket, rec: PacketRecord, L: IpLayer, tSec: number, tNsec: number): number {
    const s = L.src4;
    const d = L.dst4;
    const sport = L.srcPort;
    const dport = L.dstPort;
    // sourceIsHigh() for two mapped addresses, without building their words.
    const flip = s !== d ? s > d : sport > dport;
    const lo4 = flip ? d : s;
    const hi4 = flip ? s : d;
    const loPort = flip ? dport : sport;
    const hiPort = flip ? sport : dport;
    const kind = (L.ipProto | ((pkt.vlan + 1) << 16)) >>> 0;
    const ports = ((loPort << 16) | hiPort) >>> 0;
    const h = v4KeyHash(lo4, hi4, ports, kind);
    this.lastHash = h;
    const slot = this.index.findV4(this.words, this.strideW, h, lo4, hi4, ports, kind);
    if (slot === NIL) {
      // A new flow: create() takes the key from the scratch words.
      this.loadAddress(true, s, L.src, 0);
      this.loadAddress(true, d, L.dst, 4);
    }
    return this.settle(slot, flip, loPort, hiPort, kind, L.l4 === L4Kind.tcp, L, rec, tSec, tNsec);
  }

  /**
   * The rest of observe() once the flow was looked up (`slot`, NIL when not
   * found, the key in the scratch words then): a TCP segment that starts a new
   * stream ends the flow it found; a new flow is created; the packet counts.
   */
  private settle(
    found: number, flip: boolean, loPort: number, hiPort: number, kind: number, isTcp: boolean,
    L: IpLayer, rec: PacketRecord, tSec: number, tNsec: number,
  ): number {
    let slot = found;
    this.lastFromLow = !flip;
    let created = false;
    if (slot !== NIL && isTcp) {
      const fromInit = flip === ((this.bytes8[slot * this.strideB + B_META] & M_INIT_HIGH) !== 0);
      if (this.startsNewStream(slot, L.tcpFlags, L.tcpSeq | 0, fromInit)) {
        this.finish(slot, 'reused');
        this.stats.reused++;
        slot = NIL;
      }
    }
    if (slot === NIL) {
      slot = this.create(flip ? 4 : 0, flip ? 0 : 4, loPort, hiPort, kind, flip, rec.ifIndex, tSec, tNsec);
      created = true;
      if (L.l4Valid && (L.l4 === L4Kind.icmp || L.l4 === L4Kind.icmpv6)) this.icmpFirst[slot] = 1 + ((L.icmpType << 8) | L.icmpCode);
    }
    const fromInit = flip === ((this.bytes8[slot * this.strideB + B_META] & M_INIT_HIGH) !== 0);
    this.lastFromInitiator = fromInit;
    this.count(slot, fromInit, rec.wireLength, tSec, tNsec);
    if (isTcp) this.tcpUpdate(slot, L.tcpFlags, L.tcpSeq | 0, L.tcpAck | 0, fromInit, created);
    return this.idOf(slot);
  }

  private loadAddress(v4: boolean, addr4: number, bytes: Uint8Array, at: number): void {
    const k = this.key;
    if (v4) {
      k[at] = 0;
      k[at + 1] = 0;
      k[at + 2] = V4_MAPPED;
      k[at + 3] = addr4;
      return;
    }
    for (let i = 0; i < 4; i++) {
      const o = i * 4;
      k[at + i] = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    }
  }

  /** Sets the clock (wall time in 'external' mode) and expires idle flows. */
  advanceTime(sec: number, nsec = 0): void {
    if (sec > this.nowSec || (sec === this.nowSec && nsec > this.nowNsec)) {
      this.nowSec = sec;
      this.nowNsec = nsec;
    }
    this.expire();
  }

  /** Ends every active flow (end of a capture), reporting each through onFinish. */
  flush(): void {
    for (let slot = 0; slot < this.used; slot++) {
      if (this.bytes8[slot * this.strideB + B_META] & M_ACTIVE) {
        this.finish(slot, 'flush');
        this.stats.flushed++;
      }
    }
  }

  setLabel(id: number, kind: number, stringId: number): boolean {
    const slot = this.slotOf(id);
    if (slot === NIL || !(kind >= 0 && kind < FLOW_LABEL_KINDS)) return false;
    this.labels[slot * FLOW_LABEL_KINDS + kind] = stringId;
    this.words[slot * this.strideW + W_CHANGED] = this.epoch;
    return true;
  }

  getLabel(id: number, kind: number): number {
    const slot = this.slotOf(id);
    if (slot === NIL || !(kind >= 0 && kind < FLOW_LABEL_KINDS)) return NIL;
    return this.labels[slot * FLOW_LABEL_KINDS + kind];
  }

  /** A copy of an active flow, or undefined when it has ended. */
  get(id: number): FlowSnapshot | undefined {
    const slot = this.slotOf(id);
    return slot === NIL ? undefined : this.snapshot(slot);
  }

  snapshot(slot: number): FlowSnapshot {
    const b = slot * this.strideB;
    const w = slot * this.strideW;
    const r = slot * this.strideF64;
    const initHigh = (this.bytes8[b + B_META] & M_INIT_HIGH) !== 0;
    const ports = this.words[w + W_PORTS];
    const kind = this.words[w + W_KIND];
    const loPort = ports >>> 16;
    const hiPort = ports & 0xffff;
    const labels: number[] = [];
    for (let i = 0; i < FLOW_LABEL_KINDS; i++) labels.push(this.labels[slot * FLOW_LABEL_KINDS + i]);
    const ipProto = kind & 0xff;
    return {
      id: this.idOf(slot),
      ipProto,
      proto: protoName(ipProto),
      a: formatIpWords(this.words, w + (initHigh ? W_HI : W_LO)),
      portA: initHigh ? hiPort : loPort,
      b: formatIpWords(this.words, w + (initHigh ? W_LO : W_HI)),
      portB: initHigh ? loPort : hiPort,
      vlan: (kind >>> 16) - 1,
      ifIndex: this.ifIndexes[slot],
      icmpFamily: (kind >>> 8) & 0xff,
      icmpType: this.icmpFirst[slot] === 0 ? -1 : ((this.icmpFirst[slot] - 1) >>> 8) & 0xff,
      icmpCode: this.icmpFirst[slot] === 0 ? -1 : (this.icmpFirst[slot] - 1) & 0xff,
      packetsAB: this.f64[r + F_PACKETS_AB],
      bytesAB: this.f64[r + F_BYTES_AB],
      packetsBA: this.f64[r + F_PACKETS_BA],
      bytesBA: this.f64[r + F_BYTES_BA],
      firstSec: this.firstSec[slot],
      firstNsec: this.words[w + W_FIRST_NSEC],
      lastSec: this.f64[r + F_LAST_SEC],
      lastNsec: this.words[w + W_LAST_NSEC],
      state: flowStateName(this.bytes8[b + B_STATE]),
      tcpFlagsA: this.bytes8[b + B_FLAGS_A],
      tcpFlagsB: this.bytes8[b + B_FLAGS_B],
      labels,
    };
  }

  /**
   * Flows changed and ended after `cursor` (0 for everything), for the 1 s
   * flow-delta push. Each consumer keeps its own cursor.
   */
  changesSince(cursor: number, limit = Number.MAX_SAFE_INTEGER): FlowChanges {
    const changed: number[] = [];
    let omitted = 0;
    // Past the limit, the next call starts where this one stopped: no flow waits behind the same lower slots every time.
    const used = this.used;
    const from = this.changeScanFrom < used ? this.changeScanFrom : 0;
    let next = from;
    for (let n = 0; n < used; n++) {
      const slot = from + n < used ? from + n : from + n - used;
      if (this.bytes8[slot * this.strideB + B_META] & M_ACTIVE && this.words[slot * this.strideW + W_CHANGED] > cursor) {
        if (changed.length < limit) {
          changed.push(this.idOf(slot));
          next = slot + 1;
        } else omitted++;
      }
    }
    this.changeScanFrom = omitted > 0 ? next : 0;
    const ended: number[] = [];
    const endedLost = this.ended.since(cursor, ended);
    const epoch = this.epoch;
    this.epoch++;
    return { cursor: epoch, changed, omitted, ended, endedLost };
  }

  /**
   * Visits every flow with traffic since the last call (its secPackets/secBytes
   * hold that traffic) and zeroes those counters: the rollup tick.
   */
  drainSecond(visit: (slot: number) => void): void {
    // Every slot when more flows had traffic than the dirty list holds.
    const all = this.secDirtyOverflow;
    const n = all ? this.used : this.secDirtyLength;
    for (let i = 0; i < n; i++) {
      const slot = all ? i : this.secDirty[i];
      const w = slot * this.strideW;
      if (this.bytes8[slot * this.strideB + B_META] & M_ACTIVE && this.words[w + W_SEC_PACKETS] > 0) {
        visit(slot);
        this.words[w + W_SEC_PACKETS] = 0;
        this.f64[slot * this.strideF64 + F_SEC_BYTES] = 0;
      }
    }
    this.secDirtyLength = 0;
    this.secDirtyOverflow = false;
  }

  // ------------------------------------------------------------------ internals

  private count(slot: number, fromInit: boolean, wireLength: number, tSec: number, tNsec: number): void {
    const f = this.f64;
    const w = this.words;
    const r = slot * this.strideF64;
    const rw = r * 2;
    if (fromInit) {
      f[r + F_PACKETS_AB]++;
      f[r + F_BYTES_AB] += wireLength;
    } else {
      f[r + F_PACKETS_BA]++;
      f[r + F_BYTES_BA] += wireLength;
    }
    if (w[rw + W_SEC_PACKETS]++ === 0) {
      if (this.secDirtyLength < this.secDirty.length) this.secDirty[this.secDirtyLength++] = slot;
      else this.secDirtyOverflow = true;
    }
    f[r + F_SEC_BYTES] += wireLength;
    const lastSec = f[r + F_LAST_SEC];
    if (tSec > lastSec || (tSec === lastSec && tNsec > w[rw + W_LAST_NSEC])) {
      f[r + F_LAST_SEC] = tSec;
      w[rw + W_LAST_NSEC] = tNsec;
    }
    w[rw + W_CHANGED] = this.epoch;
    this.lru.touch(slot, this.listOf(slot));
  }

  /** The LRU list a flow belongs in: by protocol, or the closed list once its TCP connection has ended. */
  private listOf(slot: number): number {
    if (isTcpFinished(this.bytes8[slot * this.strideB + B_STATE] as FlowState)) return LIST_CLOSED;
    const proto = this.words[slot * this.strideW + W_KIND] & 0xff;
    return proto === 6 ? LIST_TCP : proto === 17 ? LIST_UDP : proto === 1 || proto === 58 ? LIST_ICMP : LIST_OTHER;
  }

  /** tshark's tcp.stream rule (see tcp-lifecycle): a pure SYN whose sequence differs from its direction's base. */
  private startsNewStream(slot: number, flags: number, seq: number, fromInit: boolean): boolean {
    const m = this.bytes8[slot * this.strideB + B_META];
    const w = slot * this.strideW;
    return fromInit
      ? startsNewTcpStream(flags, seq, (m & M_BASE_A) !== 0, this.words[w + W_BASE_A] | 0)
      : startsNewTcpStream(flags, seq, (m & M_BASE_B) !== 0, this.words[w + W_BASE_B] | 0);
  }

  private tcpUpdate(slot: number, flags: number, seq: number, ack: number, fromInit: boolean, created: boolean): void {
    const by = this.bytes8;
    const w = this.words;
    const b = slot * this.strideB;
    const rw = slot * this.strideW;
    let m = by[b + B_META];
    const ackSet = (flags & TcpFlag.ack) !== 0;
    if (fromInit) {
      by[b + B_FLAGS_A] |= flags;
      if (!(m & M_BASE_A)) {
        w[rw + W_BASE_A] = tcpBaseSeq(flags, seq);
        m |= M_BASE_A;
      }
      if (!(m & M_BASE_B) && ackSet) {
        w[rw + W_BASE_B] = tcpReverseBaseSeq(ack);
        m |= M_BASE_B;
      }
    } else {
      by[b + B_FLAGS_B] |= flags;
      if (!(m & M_BASE_B)) {
        w[rw + W_BASE_B] = tcpBaseSeq(flags, seq);
        m |= M_BASE_B;
      }
      if (!(m & M_BASE_A) && ackSet) {
        w[rw + W_BASE_A] = tcpReverseBaseSeq(ack);
        m |= M_BASE_A;
      }
    }
    by[b + B_META] = m;
    const before = by[b + B_STATE] as FlowState;
    const finBoth = (by[b + B_FLAGS_A] & by[b + B_FLAGS_B] & TcpFlag.fin) !== 0;
    const st = nextTcpState(before, flags, fromInit, created, finBoth);
    if (st !== before) {
      by[b + B_STATE] = st;
      if (isTcpFinished(st) && !isTcpFinished(before)) this.lru.append(slot, LIST_CLOSED);
    }
  }

  private findQuotedFlow(rec: PacketRecord, icmpOffset: number, v6: boolean, vlan: number): number {
    const q = this.quoted;
    if (!parseQuotedTuple(rec.bytes, icmpOffset, rec.offset + rec.length, v6, q)) return NIL;
    const k = this.quotedKey;
    for (let i = 0; i < 4; i++) {
      k[i] = q.src[i];
      k[4 + i] = q.dst[i];
    }
    const flip = sourceIsHigh(k, q.srcPort, q.dstPort);
    const kind = (q.ipProto | (q.family << 8) | ((vlan + 1) << 16)) >>> 0;
    const slot = this.lookup(k, flip, flip ? q.dstPort : q.srcPort, flip ? q.srcPort : q.dstPort, kind);
    if (slot !== NIL) {
      // The quoted packet went from its source; the error comes back towards it.
      const quotedFromInit = flip === ((this.bytes8[slot * this.strideB + B_META] & M_INIT_HIGH) !== 0);
      this.lastFromInitiator = !quotedFromInit;
    }
    return slot;
  }

  /** Slot of the key in the scratch words `k` (source at 0, destination at 4; `flip` from sourceIsHigh), or -1. */
  private lookup(k: Uint32Array, flip: boolean, loPort: number, hiPort: number, kind: number): number {
    const lo = flip ? 4 : 0;
    const hi = flip ? 0 : 4;
    const ports = ((loPort << 16) | hiPort) >>> 0;
    const h = keyHash(k, lo, hi, ports, kind);
    this.lastHash = h;
    return this.index.find(this.words, this.strideW, h, k, lo, hi, ports, kind);
  }

  private create(lo: number, hi: number, loPort: number, hiPort: number, kind: number, flip: boolean, ifIndex: number, tSec: number, tNsec: number): number {
    // The hash of this key was computed by the lookup that just missed; a capacity eviction does not change it.
    const h = this.lastHash;
    if (this.stats.active >= this.maxFlows) this.evictOldest();
    let slot: number;
    if (this.freeHead !== NIL) {
      slot = this.freeHead;
      this.freeHead = this.freeNext[slot];
    } else {
      if (this.used === this.capacity) this.grow(Math.min(this.maxFlows, this.capacity * 2));
      slot = this.used++;
    }
    const k = this.key;
    const kw = this.words;
    const w = slot * this.strideW;
    // A reused record keeps the last flow's numbers: clear the whole record, then set the key.
    const r = slot * this.strideF64;
    const generation = kw[w + W_GENERATION];
    this.f64.fill(0, r, r + this.strideF64);
    for (let i = 0; i < 4; i++) {
      kw[w + W_LO + i] = k[lo + i];
      kw[w + W_HI + i] = k[hi + i];
    }
    kw[w + W_PORTS] = ((loPort << 16) | hiPort) >>> 0;
    kw[w + W_KIND] = kind;
    kw[w + W_HASH] = h;
    kw[w + W_GENERATION] = generation;
    kw[w + W_FIRST_NSEC] = tNsec;
    kw[w + W_LAST_NSEC] = tNsec;
    const b = slot * this.strideB;
    this.bytes8[b + B_META] = M_ACTIVE | (flip ? M_INIT_HIGH : 0);
    this.bytes8[b + B_STATE] = FlowState.active;
    this.f64[r + F_LAST_SEC] = tSec;
    this.firstSec[slot] = tSec;
    this.ifIndexes[slot] = ifIndex;
    this.icmpFirst[slot] = 0;
    this.labels.fill(NIL, slot * FLOW_LABEL_KINDS, (slot + 1) * FLOW_LABEL_KINDS);
    this.lru.append(slot, this.listOf(slot));
    this.index.insert(slot, h);
    this.stats.active++;
    this.stats.created++;
    return slot;
  }

  private finish(slot: number, reason: FinishReason): void {
    const w = slot * this.strideW;
    if (this.words[w + W_SEC_PACKETS] > 0 && this.secondSink) this.secondSink(this, slot);
    for (const hook of this.releaseHooks) hook(slot, reason);
    if (this.onFinish) this.onFinish(this.snapshot(slot), reason);
    this.ended.push(this.idOf(slot), this.epoch);
    this.index.remove(slot, this.words, this.strideW);
    this.lru.remove(slot);
    this.bytes8[slot * this.strideB + B_META] = 0;
    this.words[w + W_SEC_PACKETS] = 0;
    this.f64[slot * this.strideF64 + F_SEC_BYTES] = 0;
    this.words[w + W_GENERATION] = (this.words[w + W_GENERATION] + 1) & 0x0fffffff;
    this.freeNext[slot] = this.freeHead;
    this.freeHead = slot;
    this.stats.active--;
  }

  /** Time of the last packet of the flow in `slot`, in seconds. */
  private lastTime(slot: number): number {
    return this.f64[slot * this.strideF64 + F_LAST_SEC] + this.words[slot * this.strideW + W_LAST_NSEC] / 1e9;
  }

  private expire(): void {
    const now = this.nowSec + this.nowNsec / 1e9;
    for (let c = 0; c < LIST_COUNT; c++) {
      const limit = now - this.listTimeout[c];
      for (let s = this.lru.oldest(c); s !== NIL; s = this.lru.oldest(c)) {
        if (this.lastTime(s) >= limit) break;
        this.finish(s, 'idle');
        this.stats.evictedIdle++;
      }
    }
  }

  /** Evicts the least recently seen flow: the oldest of the list heads. */
  private evictOldest(): void {
    let victim = NIL;
    let oldest = Infinity;
    for (let c = 0; c < LIST_COUNT; c++) {
      const s = this.lru.oldest(c);
      if (s === NIL) continue;
      const t = this.lastTime(s);
      if (t < oldest) {
        oldest = t;
        victim = s;
      }
    }
    if (victim === NIL) return;
    this.finish(victim, 'capacity');
    this.stats.evictedCapacity++;
  }

  private grow(newCapacity: number): void {
    const n = newCapacity;
    const copy = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(old: T, make: (len: number) => T, per = 1): T => {
      const a = make(n * per);
      a.set(old);
      return a;
    };
    const records = new ArrayBuffer(n * this.strideB);
    new Uint8Array(records).set(this.bytes8);
    this.f64 = new Float64Array(records);
    this.words = new Uint32Array(records);
    this.bytes8 = new Uint8Array(records);
    this.firstSec = copy(this.firstSec, (len) => new Float64Array(len));
    this.ifIndexes = copy(this.ifIndexes, (len) => new Uint16Array(len));
    this.icmpFirst = copy(this.icmpFirst, (len) => new Int32Array(len));
    this.labels = copy(this.labels, (len) => new Int32Array(len), FLOW_LABEL_KINDS);
    this.freeNext = copy(this.freeNext, (len) => new Int32Array(len));
    this.secDirty = copy(this.secDirty, (len) => new Int32Array(len));
    this.lru.grow(n);
    this.capacity = n;
    this.stats.capacity = n;
    if (this.index.resize(n)) {
      for (let slot = 0; slot < this.used; slot++) {
        if (this.bytes8[slot * this.strideB + B_META] & M_ACTIVE) this.index.insert(slot, this.words[slot * this.strideW + W_HASH] | 0);
      }
    }
  }
}
