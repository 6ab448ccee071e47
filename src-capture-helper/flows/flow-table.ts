/**
 * The flow table: every IP conversation the helper sees, keyed
 * bidirectionally, in struct-of-arrays typed arrays indexed by slot.
 *
 * Memory is the design constraint (1 million active flows in well under 300
 * bytes each): no JS object per flow, one open-addressing hash (linear probing,
 * backward-shift deletion) over a numeric hash of the canonical key, a free
 * list of slots, and five intrusive LRU lists (TCP, UDP, ICMP, other, closed
 * TCP) through which idle flows expire from the head in O(1) per flow.
 *
 * Canonical key (Zeek's convention): the lower endpoint first (address, then
 * port), IPv4 as IPv4-mapped IPv6, plus VLAN, IP protocol and, for ICMP, the
 * type family. The table remembers which side sent the first packet (the
 * initiator); counters and flags are kept per initiator direction, so "A" in
 * every output is the initiator.
 *
 * Flow ids are `generation * 2^24 + slot`: O(1) to resolve, and a stale id of a
 * finished flow never resolves to the flow that reuses its slot.
 */
import type { DecodedPacket } from '../decode/decoded-packet';
import { L4Kind, NetKind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import { formatAddress } from './address';
import type { FinishReason, FlowSnapshot, FlowTableConfig, FlowTimeouts } from './flow-types';
import { FLOW_LABEL_KINDS, FLOW_SLOT_SPACE, FlowState, defaultFlowTimeouts, flowStateName, protoName } from './flow-types';
import { QuotedTuple, icmpFamily, icmpFamilyHasId, isIcmpError, parseQuotedTuple } from './icmp-key';
import { isTcpFinished, nextTcpState, startsNewTcpStream, tcpBaseSeq, tcpReverseBaseSeq } from './tcp-lifecycle';


/** Words per slot in `keys`. */
const KEY_STRIDE = 16;
const K_LO = 0;
const K_HI = 4;
const K_HASH = 8;
/** Low endpoint port << 16 | high endpoint port. */
const K_PORTS = 9;
/** IP protocol | ICMP type family << 8 | (VLAN id + 1, 0 without tag) << 16. */
const K_KIND = 10;
/** First sequence number seen from A and from B (tshark's base_seq: a pure SYN with another one starts a new flow). */
const K_BASE_A = 11;
const K_BASE_B = 12;
const K_LAST_NSEC = 13;
/** Packets in the current rollup second (see `drainSecond`). */
const K_SEC_PACKETS = 14;
const K_CHANGED = 15;

/** Numbers per slot in `nums`. */
export const NUM_STRIDE = 8;
/** Offsets of a slot's numbers in `nums`. */
export const FlowNum = { packetsAB: 0, packetsBA: 1, bytesAB: 2, bytesBA: 3, firstSec: 4, lastSec: 5, firstNsec: 6, secBytes: 7 } as const;
const N_PACKETS_AB = FlowNum.packetsAB;
const N_PACKETS_BA = FlowNum.packetsBA;
const N_BYTES_AB = FlowNum.bytesAB;
const N_BYTES_BA = FlowNum.bytesBA;
const N_FIRST_SEC = FlowNum.firstSec;
const N_LAST_SEC = FlowNum.lastSec;
const N_FIRST_NSEC = FlowNum.firstNsec;
const N_SEC_BYTES = FlowNum.secBytes;

const BITS_STRIDE = 8;
const B_META = 0;
const B_STATE = 1;
const B_LIST = 2;
const B_FLAGS_A = 3;
const B_FLAGS_B = 4;
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

/** Finished-flow ids kept for delta consumers (`changesSince`). */
const ENDED_RING = 1 << 16;

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

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function mix(h: number, v: number): number {
  let k = Math.imul(v, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // Signed: an unsigned result above 2^31 would be boxed on its way out (lookup reads it unsigned).
  return h | 0;
}

export class FlowTable {
  readonly maxFlows: number;
  readonly timeouts: FlowTimeouts;
  private readonly packetClock: boolean;
  private readonly icmpErrorsToQuoted: boolean;
  private readonly onFinish: FlowTableConfig['onFinish'];
  private secondSink: ((table: FlowTable, slot: number) => void) | undefined;

  private capacity = 0;
  /** Slots ever handed out (high-water mark); slots below it are active or on the free list. */
  private used = 0;
  private freeHead = NIL;

  // Per-slot columns. What every packet touches is packed into two cache lines
  // per slot (`keys` and `nums`) and one small group (`bits`), since packets
  // reach the slots at random: see the K_*, FlowNum and B_* layouts.
  /** KEY_STRIDE words per slot: canonical low and high endpoint addresses (4 big-endian words each), hash, ports, kind, TCP bases, ... */
  keys = new Uint32Array(0);
  /** NUM_STRIDE numbers per slot: counters and times (FlowNum). */
  nums = new Float64Array(0);
  /** BITS_STRIDE bytes per slot: meta, state, LRU list, TCP flags ORed from the initiator (A) and from the responder (B). */
  private bits = new Uint8Array(0);
  ifIndex = new Uint16Array(0);
  generation = new Uint32Array(0);
  prev = new Int32Array(0);
  next = new Int32Array(0);
  labels = new Int32Array(0);

  private index = new Int32Array(0);
  private indexMask = 0;
  private readonly heads = new Int32Array(LIST_COUNT).fill(NIL);
  private readonly tails = new Int32Array(LIST_COUNT).fill(NIL);
  private readonly listTimeout = new Float64Array(LIST_COUNT);

  /** Slots with traffic in the current rollup second. */
  private secDirty = new Int32Array(0);
  private secDirtyLength = 0;
  private secDirtyOverflow = false;

  private epoch = 1;
  private readonly endedIds = new Float64Array(ENDED_RING);
  private readonly endedEpochs = new Uint32Array(ENDED_RING);
  private endedCount = 0;

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
  /** Direction of the last observed packet: true when it came from the flow's initiator. */
  lastFromInitiator = false;

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
    this.grow(Math.min(this.maxFlows, Math.max(16, config.initialCapacity ?? 4096)));
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
    return (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE) !== 0;
  }

  initiatorIsHigh(slot: number): boolean {
    return (this.bits[slot * BITS_STRIDE + B_META] & M_INIT_HIGH) !== 0;
  }

  /** IP protocol of the flow in `slot`. */
  protoOf(slot: number): number {
    return this.keys[slot * KEY_STRIDE + K_KIND] & 0xff;
  }

  /** Port of the canonical lower endpoint. */
  loPortOf(slot: number): number {
    return this.keys[slot * KEY_STRIDE + K_PORTS] >>> 16;
  }

  /** Port of the canonical higher endpoint. */
  hiPortOf(slot: number): number {
    return this.keys[slot * KEY_STRIDE + K_PORTS] & 0xffff;
  }

  /** Offset in `keys` of the four address words of the canonical lower endpoint. */
  loAddressAt(slot: number): number {
    return slot * KEY_STRIDE + K_LO;
  }

  /** Offset in `keys` of the four address words of the canonical higher endpoint. */
  hiAddressAt(slot: number): number {
    return slot * KEY_STRIDE + K_HI;
  }

  stateOf(slot: number): FlowState {
    return this.bits[slot * BITS_STRIDE + B_STATE] as FlowState;
  }

  lastNsecOf(slot: number): number {
    return this.keys[slot * KEY_STRIDE + K_LAST_NSEC];
  }

  /** Packets of the flow in the current rollup second. */
  secondPackets(slot: number): number {
    return this.keys[slot * KEY_STRIDE + K_SEC_PACKETS];
  }

  /** Bytes of the flow in the current rollup second. */
  secondBytes(slot: number): number {
    return this.nums[slot * NUM_STRIDE + N_SEC_BYTES];
  }

  idOf(slot: number): number {
    return this.generation[slot] * FLOW_SLOT_SPACE + slot;
  }

  /** Slot of an active flow id, or -1 when that flow has ended. */
  slotOf(id: number): number {
    if (!Number.isInteger(id) || id < 0) return NIL;
    const slot = id % FLOW_SLOT_SPACE;
    if (slot >= this.used || !(this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE)) return NIL;
    return this.generation[slot] === Math.floor(id / FLOW_SLOT_SPACE) ? slot : NIL;
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
    const k = this.key;
    const v4 = L.net === NetKind.ipv4;
    this.loadAddress(v4, L.src4, L.src, 0);
    this.loadAddress(v4, L.dst4, L.dst, 4);
    const proto = L.ipProto;
    let sport = 0;
    let dport = 0;
    let family = 0;
    let isTcp = false;
    const hasL4 = L.l4Valid && (!L.isFragment || L.isFirstFragment);
    if (hasL4) {
      const l4 = L.l4;
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

    // Canonical order: lower (address, port) first.
    let flip = false;
    let decided = false;
    for (let i = 0; i < 4; i++) {
      if (k[i] !== k[4 + i]) {
        flip = k[i] > k[4 + i];
        decided = true;
        break;
      }
    }
    if (!decided) flip = sport > dport;
    const lo = flip ? 4 : 0;
    const hi = flip ? 0 : 4;
    const loPort = flip ? dport : sport;
    const hiPort = flip ? sport : dport;
    const vlan1 = pkt.vlan + 1;

    let slot = this.lookup(k, lo, hi, loPort, hiPort, proto, family, vlan1);
    let created = false;
    if (slot !== NIL && isTcp) {
      const fromInit = flip === ((this.bits[slot * BITS_STRIDE + B_META] & M_INIT_HIGH) !== 0);
      if (this.startsNewStream(slot, L.tcpFlags, L.tcpSeq | 0, fromInit)) {
        this.finish(slot, 'reused');
        this.stats.reused++;
        slot = NIL;
      }
    }
    if (slot === NIL) {
      slot = this.create(lo, hi, loPort, hiPort, proto, family, vlan1, flip, rec.ifIndex, tSec, tNsec);
      created = true;
    }
    const fromInit = flip === ((this.bits[slot * BITS_STRIDE + B_META] & M_INIT_HIGH) !== 0);
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
      k[at + 2] = 0xffff;
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
      if (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE) {
        this.finish(slot, 'flush');
        this.stats.flushed++;
      }
    }
  }

  setLabel(id: number, kind: number, stringId: number): boolean {
    const slot = this.slotOf(id);
    if (slot === NIL || !(kind >= 0 && kind < FLOW_LABEL_KINDS)) return false;
    this.labels[slot * FLOW_LABEL_KINDS + kind] = stringId;
    this.keys[slot * KEY_STRIDE + K_CHANGED] = this.epoch;
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
    const initHigh = (this.bits[slot * BITS_STRIDE + B_META] & M_INIT_HIGH) !== 0;
    const kb = slot * KEY_STRIDE;
    const ports = this.keys[kb + K_PORTS];
    const kind = this.keys[kb + K_KIND];
    const loPort = ports >>> 16;
    const hiPort = ports & 0xffff;
    const labels: number[] = [];
    for (let i = 0; i < FLOW_LABEL_KINDS; i++) labels.push(this.labels[slot * FLOW_LABEL_KINDS + i]);
    const ipProto = kind & 0xff;
    return {
      id: this.idOf(slot),
      ipProto,
      proto: protoName(ipProto),
      a: formatAddress(this.keys, kb + (initHigh ? K_HI : K_LO)),
      portA: initHigh ? hiPort : loPort,
      b: formatAddress(this.keys, kb + (initHigh ? K_LO : K_HI)),
      portB: initHigh ? loPort : hiPort,
      vlan: (kind >>> 16) - 1,
      ifIndex: this.ifIndex[slot],
      icmpFamily: (kind >>> 8) & 0xff,
      packetsAB: this.nums[slot * NUM_STRIDE + N_PACKETS_AB],
      bytesAB: this.nums[slot * NUM_STRIDE + N_BYTES_AB],
      packetsBA: this.nums[slot * NUM_STRIDE + N_PACKETS_BA],
      bytesBA: this.nums[slot * NUM_STRIDE + N_BYTES_BA],
      firstSec: this.nums[slot * NUM_STRIDE + N_FIRST_SEC],
      firstNsec: this.nums[slot * NUM_STRIDE + N_FIRST_NSEC],
      lastSec: this.nums[slot * NUM_STRIDE + N_LAST_SEC],
      lastNsec: this.keys[slot * KEY_STRIDE + K_LAST_NSEC],
      state: flowStateName(this.bits[slot * BITS_STRIDE + B_STATE]),
      tcpFlagsA: this.bits[slot * BITS_STRIDE + B_FLAGS_A],
      tcpFlagsB: this.bits[slot * BITS_STRIDE + B_FLAGS_B],
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
    for (let slot = 0; slot < this.used; slot++) {
      if (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE && this.keys[slot * KEY_STRIDE + K_CHANGED] > cursor) {
        if (changed.length < limit) changed.push(this.idOf(slot));
        else omitted++;
      }
    }
    const ended: number[] = [];
    const kept = Math.min(this.endedCount, ENDED_RING);
    let endedLost = 0;
    for (let i = this.endedCount - kept; i < this.endedCount; i++) {
      const at = i % ENDED_RING;
      if (this.endedEpochs[at] > cursor) ended.push(this.endedIds[at]);
    }
    if (this.endedCount > kept) {
      const oldestKept = this.endedEpochs[this.endedCount % ENDED_RING];
      if (oldestKept > cursor) endedLost = this.endedCount - kept;
    }
    const next = this.epoch;
    this.epoch++;
    return { cursor: next, changed, omitted, ended, endedLost };
  }

  /**
   * Visits every flow with traffic since the last call (its secPackets/secBytes
   * hold that traffic) and zeroes those counters: the rollup tick.
   */
  drainSecond(visit: (slot: number) => void): void {
    if (this.secDirtyOverflow) {
      for (let slot = 0; slot < this.used; slot++) {
        if (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE && this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] > 0) {
          visit(slot);
          this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] = 0;
          this.nums[slot * NUM_STRIDE + N_SEC_BYTES] = 0;
        }
      }
    } else {
      for (let i = 0; i < this.secDirtyLength; i++) {
        const slot = this.secDirty[i];
        if (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE && this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] > 0) {
          visit(slot);
          this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] = 0;
          this.nums[slot * NUM_STRIDE + N_SEC_BYTES] = 0;
        }
      }
    }
    this.secDirtyLength = 0;
    this.secDirtyOverflow = false;
  }

  // ------------------------------------------------------------------ internals

  private count(slot: number, fromInit: boolean, wireLength: number, tSec: number, tNsec: number): void {
    if (fromInit) {
      this.nums[slot * NUM_STRIDE + N_PACKETS_AB]++;
      this.nums[slot * NUM_STRIDE + N_BYTES_AB] += wireLength;
    } else {
      this.nums[slot * NUM_STRIDE + N_PACKETS_BA]++;
      this.nums[slot * NUM_STRIDE + N_BYTES_BA] += wireLength;
    }
    if (this.keys[slot * KEY_STRIDE + K_SEC_PACKETS]++ === 0) {
      if (this.secDirtyLength < this.secDirty.length) this.secDirty[this.secDirtyLength++] = slot;
      else this.secDirtyOverflow = true;
    }
    this.nums[slot * NUM_STRIDE + N_SEC_BYTES] += wireLength;
    if (tSec > this.nums[slot * NUM_STRIDE + N_LAST_SEC] || (tSec === this.nums[slot * NUM_STRIDE + N_LAST_SEC] && tNsec > this.keys[slot * KEY_STRIDE + K_LAST_NSEC])) {
      this.nums[slot * NUM_STRIDE + N_LAST_SEC] = tSec;
      this.keys[slot * KEY_STRIDE + K_LAST_NSEC] = tNsec;
    }
    this.keys[slot * KEY_STRIDE + K_CHANGED] = this.epoch;
    this.touch(slot);
  }

  /** tshark's tcp.stream rule (see tcp-lifecycle): a pure SYN whose sequence differs from its direction's base. */
  private startsNewStream(slot: number, flags: number, seq: number, fromInit: boolean): boolean {
    const m = this.bits[slot * BITS_STRIDE + B_META];
    return fromInit
      ? startsNewTcpStream(flags, seq, (m & M_BASE_A) !== 0, this.keys[slot * KEY_STRIDE + K_BASE_A] | 0)
      : startsNewTcpStream(flags, seq, (m & M_BASE_B) !== 0, this.keys[slot * KEY_STRIDE + K_BASE_B] | 0);
  }

  private tcpUpdate(slot: number, flags: number, seq: number, ack: number, fromInit: boolean, created: boolean): void {
    let m = this.bits[slot * BITS_STRIDE + B_META];
    const ackSet = (flags & TcpFlag.ack) !== 0;
    if (fromInit) {
      this.bits[slot * BITS_STRIDE + B_FLAGS_A] |= flags;
      if (!(m & M_BASE_A)) {
        this.keys[slot * KEY_STRIDE + K_BASE_A] = tcpBaseSeq(flags, seq);
        m |= M_BASE_A;
      }
      if (!(m & M_BASE_B) && ackSet) {
        this.keys[slot * KEY_STRIDE + K_BASE_B] = tcpReverseBaseSeq(ack);
        m |= M_BASE_B;
      }
    } else {
      this.bits[slot * BITS_STRIDE + B_FLAGS_B] |= flags;
      if (!(m & M_BASE_B)) {
        this.keys[slot * KEY_STRIDE + K_BASE_B] = tcpBaseSeq(flags, seq);
        m |= M_BASE_B;
      }
      if (!(m & M_BASE_A) && ackSet) {
        this.keys[slot * KEY_STRIDE + K_BASE_A] = tcpReverseBaseSeq(ack);
        m |= M_BASE_A;
      }
    }
    this.bits[slot * BITS_STRIDE + B_META] = m;
    const before = this.bits[slot * BITS_STRIDE + B_STATE] as FlowState;
    const finBoth = (this.bits[slot * BITS_STRIDE + B_FLAGS_A] & this.bits[slot * BITS_STRIDE + B_FLAGS_B] & TcpFlag.fin) !== 0;
    const st = nextTcpState(before, flags, fromInit, created, finBoth);
    if (st !== before) {
      this.bits[slot * BITS_STRIDE + B_STATE] = st;
      if (isTcpFinished(st) && this.bits[slot * BITS_STRIDE + B_LIST] !== LIST_CLOSED) {
        this.unlink(slot);
        this.bits[slot * BITS_STRIDE + B_LIST] = LIST_CLOSED;
        this.linkTail(slot);
      }
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
    let flip = false;
    let decided = false;
    for (let i = 0; i < 4; i++) {
      if (k[i] !== k[4 + i]) {
        flip = k[i] > k[4 + i];
        decided = true;
        break;
      }
    }
    if (!decided) flip = q.srcPort > q.dstPort;
    const slot = this.lookup(k, flip ? 4 : 0, flip ? 0 : 4, flip ? q.dstPort : q.srcPort, flip ? q.srcPort : q.dstPort, q.ipProto, q.family, vlan + 1);
    if (slot !== NIL) {
      // The quoted packet went from its source; the error comes back towards it.
      const quotedFromInit = flip === ((this.bits[slot * BITS_STRIDE + B_META] & M_INIT_HIGH) !== 0);
      this.lastFromInitiator = !quotedFromInit;
    }
    return slot;
  }

  private keyHash(k: Uint32Array, lo: number, hi: number, loPort: number, hiPort: number, proto: number, family: number, vlan1: number): number {
    let h = proto | (family << 8) | (vlan1 << 16);
    h = mix(h, k[lo]);
    h = mix(h, k[lo + 1]);
    h = mix(h, k[lo + 2]);
    h = mix(h, k[lo + 3]);
    h = mix(h, k[hi]);
    h = mix(h, k[hi + 1]);
    h = mix(h, k[hi + 2]);
    h = mix(h, k[hi + 3]);
    h = mix(h, (loPort << 16) | hiPort);
    return finalMix(h);
  }

  private lastHash = 0;

  private lookup(k: Uint32Array, lo: number, hi: number, loPort: number, hiPort: number, proto: number, family: number, vlan1: number): number {
    const h = this.keyHash(k, lo, hi, loPort, hiPort, proto, family, vlan1) >>> 0;
    this.lastHash = h;
    const ports = ((loPort << 16) | hiPort) >>> 0;
    const kind = (proto | (family << 8) | (vlan1 << 16)) >>> 0;
    const index = this.index;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const e = index[i];
      if (e === 0) return NIL;
      const s = e - 1;
      const w = s * KEY_STRIDE;
      const kw = this.keys;
      if (kw[w + K_HASH] === h && kw[w + K_PORTS] === ports && kw[w + K_KIND] === kind) {
        if (
          kw[w] === k[lo] && kw[w + 1] === k[lo + 1] && kw[w + 2] === k[lo + 2] && kw[w + 3] === k[lo + 3] &&
          kw[w + 4] === k[hi] && kw[w + 5] === k[hi + 1] && kw[w + 6] === k[hi + 2] && kw[w + 7] === k[hi + 3]
        ) {
          return s;
        }
      }
      i = (i + 1) & mask;
    }
  }

  private create(
    lo: number, hi: number, loPort: number, hiPort: number, proto: number, family: number, vlan1: number,
    flip: boolean, ifIndex: number, tSec: number, tNsec: number,
  ): number {
    // The hash of this key was computed by the lookup that just missed; a capacity eviction does not change it.
    const h = this.lastHash;
    if (this.stats.active >= this.maxFlows) this.evictOldest();
    let slot: number;
    if (this.freeHead !== NIL) {
      slot = this.freeHead;
      this.freeHead = this.next[slot];
    } else {
      if (this.used === this.capacity) this.grow(Math.min(this.maxFlows, this.capacity * 2));
      slot = this.used++;
    }
    const k = this.key;
    const kb = slot * KEY_STRIDE;
    const kw = this.keys;
    for (let i = 0; i < 4; i++) {
      kw[kb + K_LO + i] = k[lo + i];
      kw[kb + K_HI + i] = k[hi + i];
    }
    kw[kb + K_PORTS] = ((loPort << 16) | hiPort) >>> 0;
    kw[kb + K_KIND] = (proto | (family << 8) | (vlan1 << 16)) >>> 0;
    kw[kb + K_HASH] = h;
    // A reused slot keeps old bases, flags and counters: every one is set here.
    kw[kb + K_BASE_A] = 0;
    kw[kb + K_BASE_B] = 0;
    this.bits[slot * BITS_STRIDE + B_META] = M_ACTIVE | (flip ? M_INIT_HIGH : 0);
    this.bits[slot * BITS_STRIDE + B_STATE] = FlowState.active;
    this.bits[slot * BITS_STRIDE + B_FLAGS_A] = 0;
    this.bits[slot * BITS_STRIDE + B_FLAGS_B] = 0;
    this.ifIndex[slot] = ifIndex;
    this.nums[slot * NUM_STRIDE + N_PACKETS_AB] = 0;
    this.nums[slot * NUM_STRIDE + N_PACKETS_BA] = 0;
    this.nums[slot * NUM_STRIDE + N_BYTES_AB] = 0;
    this.nums[slot * NUM_STRIDE + N_BYTES_BA] = 0;
    this.nums[slot * NUM_STRIDE + N_FIRST_SEC] = tSec;
    this.nums[slot * NUM_STRIDE + N_FIRST_NSEC] = tNsec;
    this.nums[slot * NUM_STRIDE + N_LAST_SEC] = tSec;
    this.keys[slot * KEY_STRIDE + K_LAST_NSEC] = tNsec;
    this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] = 0;
    this.nums[slot * NUM_STRIDE + N_SEC_BYTES] = 0;
    this.labels.fill(NIL, slot * FLOW_LABEL_KINDS, (slot + 1) * FLOW_LABEL_KINDS);
    this.bits[slot * BITS_STRIDE + B_LIST] = proto === 6 ? LIST_TCP : proto === 17 ? LIST_UDP : proto === 1 || proto === 58 ? LIST_ICMP : LIST_OTHER;
    this.linkTail(slot);
    this.indexInsert(slot);
    this.stats.active++;
    this.stats.created++;
    return slot;
  }

  private finish(slot: number, reason: FinishReason): void {
    if (this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] > 0 && this.secondSink) this.secondSink(this, slot);
    if (this.onFinish) this.onFinish(this.snapshot(slot), reason);
    const at = this.endedCount % ENDED_RING;
    this.endedIds[at] = this.idOf(slot);
    this.endedEpochs[at] = this.epoch;
    this.endedCount++;
    this.indexRemove(slot);
    this.unlink(slot);
    this.bits[slot * BITS_STRIDE + B_META] = 0;
    this.keys[slot * KEY_STRIDE + K_SEC_PACKETS] = 0;
    this.nums[slot * NUM_STRIDE + N_SEC_BYTES] = 0;
    this.generation[slot] = (this.generation[slot] + 1) & 0x0fffffff;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.stats.active--;
  }

  private expire(): void {
    const now = this.nowSec + this.nowNsec / 1e9;
    for (let c = 0; c < LIST_COUNT; c++) {
      const limit = now - this.listTimeout[c];
      for (let s = this.heads[c]; s !== NIL; s = this.heads[c]) {
        if (this.nums[s * NUM_STRIDE + N_LAST_SEC] + this.keys[s * KEY_STRIDE + K_LAST_NSEC] / 1e9 >= limit) break;
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
      const s = this.heads[c];
      if (s === NIL) continue;
      const t = this.nums[s * NUM_STRIDE + N_LAST_SEC] + this.keys[s * KEY_STRIDE + K_LAST_NSEC] / 1e9;
      if (t < oldest) {
        oldest = t;
        victim = s;
      }
    }
    if (victim === NIL) return;
    this.finish(victim, 'capacity');
    this.stats.evictedCapacity++;
  }

  private touch(slot: number): void {
    const c = this.bits[slot * BITS_STRIDE + B_LIST];
    if (this.tails[c] === slot) return;
    this.unlink(slot);
    this.linkTail(slot);
  }

  private linkTail(slot: number): void {
    const c = this.bits[slot * BITS_STRIDE + B_LIST];
    const t = this.tails[c];
    this.prev[slot] = t;
    this.next[slot] = NIL;
    if (t === NIL) this.heads[c] = slot;
    else this.next[t] = slot;
    this.tails[c] = slot;
  }

  private unlink(slot: number): void {
    const c = this.bits[slot * BITS_STRIDE + B_LIST];
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p === NIL) this.heads[c] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[c] = p;
    else this.prev[n] = p;
    this.prev[slot] = NIL;
    this.next[slot] = NIL;
  }

  private indexInsert(slot: number): void {
    const mask = this.indexMask;
    let i = this.keys[slot * KEY_STRIDE + K_HASH] & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = slot + 1;
  }

  private indexRemove(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let i = this.keys[slot * KEY_STRIDE + K_HASH] & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    index[i] = 0;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j];
      if (e === 0) return;
      const home = this.keys[(e - 1) * KEY_STRIDE + K_HASH] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      index[i] = e;
      index[j] = 0;
      i = j;
    }
  }

  private grow(newCapacity: number): void {
    const n = newCapacity;
    const copy = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(old: T, make: (len: number) => T, per = 1): T => {
      const a = make(n * per);
      a.set(old);
      return a;
    };
    const u8 = (len: number) => new Uint8Array(len);
    const u16 = (len: number) => new Uint16Array(len);
    const u32 = (len: number) => new Uint32Array(len);
    const i32 = (len: number) => new Int32Array(len);
    const f64 = (len: number) => new Float64Array(len);
    this.keys = copy(this.keys, u32, KEY_STRIDE);
    this.nums = copy(this.nums, f64, NUM_STRIDE);
    this.bits = copy(this.bits, u8, BITS_STRIDE);
    this.ifIndex = copy(this.ifIndex, u16);
    this.generation = copy(this.generation, u32);
    this.prev = copy(this.prev, i32);
    this.next = copy(this.next, i32);
    this.labels = copy(this.labels, i32, FLOW_LABEL_KINDS);
    this.secDirty = copy(this.secDirty, i32);
    this.capacity = n;
    this.stats.capacity = n;
    // Load factor at most 1/2 keeps linear probes short.
    const size = nextPow2(n * 2);
    if (size !== this.index.length) {
      this.index = new Int32Array(size);
      this.indexMask = size - 1;
      for (let slot = 0; slot < this.used; slot++) if (this.bits[slot * BITS_STRIDE + B_META] & M_ACTIVE) this.indexInsert(slot);
    }
  }
}
