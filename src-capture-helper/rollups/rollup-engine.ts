/**
 * Per-second traffic rollups over the packets that pass through a FlowTable.
 *
 * Per packet only fixed counters move (interface × direction, protocol): no
 * allocation, no map lookup. Top talkers come from the flow table at the tick:
 * the table keeps per-flow packets/bytes of the current second, and the tick
 * visits exactly the flows that had traffic, so the per-second top flows and
 * top hosts are exact. Each second keeps its `keepPerSecond` largest hosts and
 * flows; 10 s and 60 s windows merge those lists and report the worst-case
 * error of the merge (0 whenever a second had fewer talkers than it keeps).
 *
 * Direction ("in"/"out" per interface):
 * - with local addresses (live capture knows the interface's addresses): a
 *   packet from a local address to a non-local one is "out", the reverse "in";
 * - otherwise (capture files, or traffic between two local or two remote
 *   hosts): "out" is the direction of the flow's initiator (requests,
 *   uploads) and "in" the answer (downloads) - the view from the side that
 *   opened the connection;
 * - frames without IP have no direction and count as "in".
 *
 * Time: in 'packet' mode a packet of a later second closes the current one
 * (empty seconds in a gap are emitted, up to `maxGapSeconds`, so windows
 * decay); packets older than the current second count in it. In 'external'
 * mode the caller calls `tick(nowSec)` once a second on the wall clock.
 *
 * Why one file: the per-packet counters, the second they close into and the
 * windows merged from closed seconds share one record layout (`SecondRecord`)
 * and one clock; split apart, each part would need the other's internals.
 */
import type { DecodedPacket } from '../decode/decoded-packet';
import { L4Kind, NetKind } from '../decode/decoded-packet';
import { formatIpWords, isV4Mapped, parseIp } from '../../src-shared/ip';
import type { FlowTable } from '../flows/flow-table';
import type { PacketRecord } from '../pipeline/packet-sink';
import type { FlowRollup, HostRollup, InterfaceRollup, RollupProtocol, RollupSnapshot, RollupWindow, TrafficCount } from './rollup-types';
import { rollupProtocols } from './rollup-types';

export interface RollupConfig {
  clock?: 'packet' | 'external';
  /** Name of an interface index in the rollup output (default "if<N>"). */
  interfaceName?: (ifIndex: number) => string;
  /** Addresses of the capturing host, for in/out by address. */
  localAddresses?: string[];
  /** Entries in each published top list (default 10, max 100). */
  topK?: number;
  /** Entries kept per second for window merges (default 100, at least topK). */
  keepPerSecond?: number;
  /** Interfaces tracked (default 64); packets of higher indexes are counted in `interfaceOverflowPackets`. */
  maxInterfaces?: number;
  /** Empty seconds emitted for a gap in packet time (default 60, one full window). */
  maxGapSeconds?: number;
  onSnapshot?: (snapshot: RollupSnapshot) => void;
}

const P_IPV4 = 0;
const P_IPV6 = 1;
const P_TCP = 2;
const P_UDP = 3;
const P_ICMP = 4;
const P_ICMPV6 = 5;
const P_OTHER = 6;
const HISTORY = 60;

/** One closed second, kept in a ring of 60 for the windows. */
class SecondRecord {
  second = 0;
  packets = 0;
  bytes = 0;
  readonly ifPackets: Float64Array;
  readonly ifBytes: Float64Array;
  readonly ifKernelDrops: Float64Array;
  readonly ifHelperDrops: Float64Array;
  readonly proto = new Float64Array(14);
  topHosts: HostRollup[] = [];
  topFlows: FlowRollup[] = [];
  /** Largest bytes left out of the kept lists. */
  hostsCutoff = 0;
  flowsCutoff = 0;

  constructor(maxIf: number) {
    // [ifIndex * 2 + (out ? 1 : 0)]
    this.ifPackets = new Float64Array(maxIf * 2);
    this.ifBytes = new Float64Array(maxIf * 2);
    this.ifKernelDrops = new Float64Array(maxIf);
    this.ifHelperDrops = new Float64Array(maxIf);
  }

  clear(): void {
    this.packets = 0;
    this.bytes = 0;
    this.ifPackets.fill(0);
    this.ifBytes.fill(0);
    this.ifKernelDrops.fill(0);
    this.ifHelperDrops.fill(0);
    this.proto.fill(0);
    this.topHosts = [];
    this.topFlows = [];
    this.hostsCutoff = 0;
    this.flowsCutoff = 0;
  }
}

interface HostAcc {
  addr: string;
  packets: number;
  bytes: number;
}

export class RollupEngine {
  private readonly table: FlowTable;
  private readonly packetClock: boolean;
  private readonly interfaceName: (ifIndex: number) => string;
  private readonly topK: number;
  private readonly keep: number;
  private readonly maxIf: number;
  private readonly maxGap: number;
  private readonly onSnapshot: RollupConfig['onSnapshot'];
  private readonly local4 = new Set<number>();
  private readonly local6: Uint8Array[] = [];

  private readonly ring: SecondRecord[] = [];
  /** Records closed so far; ring[(closed - 1) % HISTORY] is the latest. */
  private closed = 0;
  private readonly cur: SecondRecord;
  private curSecond = Number.NaN;
  private ifSeen = 0;

  // Flow traffic of the open second, gathered at the tick (and when a flow leaves mid-second).
  private flowIds: number[] = [];
  private flowPackets: number[] = [];
  private flowBytes: number[] = [];
  private hosts = new Map<number | string, HostAcc>();

  private readonly kernelDropsTotal: Float64Array;
  private readonly helperDropsTotal: Float64Array;
  private readonly kernelDropsReported: Float64Array;
  private readonly helperDropsReported: Float64Array;

  /** Packets of interfaces beyond maxInterfaces (counted in totals, not per interface). */
  interfaceOverflowPackets = 0;

  constructor(table: FlowTable, config: RollupConfig = {}) {
    this.table = table;
    this.packetClock = (config.clock ?? 'packet') === 'packet';
    this.interfaceName = config.interfaceName ?? ((i) => `if${i}`);
    this.topK = Math.min(100, Math.max(1, config.topK ?? 10));
    this.keep = Math.max(this.topK, config.keepPerSecond ?? 100);
    this.maxIf = Math.max(1, config.maxInterfaces ?? 64);
    this.maxGap = Math.max(0, config.maxGapSeconds ?? HISTORY);
    this.onSnapshot = config.onSnapshot;
    for (const a of config.localAddresses ?? []) {
      const bytes = parseIp(a);
      if (!bytes) throw new Error(`not an IP address: ${JSON.stringify(a)}`);
      if (isV4Mapped(bytes)) this.local4.add(((bytes[12] << 24) | (bytes[13] << 16) | (bytes[14] << 8) | bytes[15]) >>> 0);
      else this.local6.push(bytes);
    }
    for (let i = 0; i < HISTORY; i++) this.ring.push(new SecondRecord(this.maxIf));
    this.cur = new SecondRecord(this.maxIf);
    this.kernelDropsTotal = new Float64Array(this.maxIf);
    this.helperDropsTotal = new Float64Array(this.maxIf);
    this.kernelDropsReported = new Float64Array(this.maxIf);
    this.helperDropsReported = new Float64Array(this.maxIf);
    table.setSecondSink((t, slot) => this.addFlowSecond(t, slot));
  }

  /** Counts one packet (through the flow table) and returns its flow id, -1 without IP. */
  observe(pkt: DecodedPacket, rec: PacketRecord): number {
    if (this.packetClock && rec.hasTimestamp) {
      const s = rec.tsSec;
      if (this.curSecond !== this.curSecond) this.curSecond = s;
      else if (s > this.curSecond) this.advanceTo(s);
    }
    const id = this.table.observe(pkt, rec);
    const c = this.cur;
    const wl = rec.wireLength;
    c.packets++;
    c.bytes += wl;
    let out = false;
    if (id >= 0) {
      out = this.table.lastFromInitiator;
      if (this.local4.size > 0 || this.local6.length > 0) {
        const L = pkt.layers[0];
        const srcLocal = this.isLocal(L.net === NetKind.ipv4, L.src4, L.src);
        const dstLocal = this.isLocal(L.net === NetKind.ipv4, L.dst4, L.dst);
        if (srcLocal !== dstLocal) out = srcLocal;
      }
    }
    const ifIndex = rec.ifIndex;
    if (ifIndex < this.maxIf) {
      const k = ifIndex * 2 + (out ? 1 : 0);
      c.ifPackets[k]++;
      c.ifBytes[k] += wl;
      if (ifIndex >= this.ifSeen) this.ifSeen = ifIndex + 1;
    } else {
      this.interfaceOverflowPackets++;
    }
    const p = c.proto;
    if (pkt.l3Class === NetKind.ipv4) {
      p[P_IPV4 * 2]++;
      p[P_IPV4 * 2 + 1] += wl;
    } else if (pkt.l3Class === NetKind.ipv6) {
      p[P_IPV6 * 2]++;
      p[P_IPV6 * 2 + 1] += wl;
    }
    const l4 = pkt.l4Class;
    const pi = l4 === L4Kind.tcp ? P_TCP : l4 === L4Kind.udp ? P_UDP : l4 === L4Kind.icmp ? P_ICMP : l4 === L4Kind.icmpv6 ? P_ICMPV6 : P_OTHER;
    p[pi * 2]++;
    p[pi * 2 + 1] += wl;
    return id;
  }

  /** Cumulative drop counters of an interface as the source reports them (pcap_stats, helper queues). */
  setDrops(ifIndex: number, kernel: number, helper: number): void {
    if (ifIndex >= this.maxIf) return;
    this.kernelDropsTotal[ifIndex] = kernel;
    this.helperDropsTotal[ifIndex] = helper;
    if (ifIndex >= this.ifSeen) this.ifSeen = ifIndex + 1;
  }

  /** External clock: closes the open second and opens `nowSec`. */
  tick(nowSec: number): void {
    if (this.curSecond !== this.curSecond) {
      this.curSecond = nowSec;
      return;
    }
    if (nowSec > this.curSecond) this.advanceTo(nowSec);
  }

  /** Closes the open second (end of a capture). */
  finish(): void {
    if (this.curSecond === this.curSecond) {
      this.closeCurrent();
      this.curSecond = Number.NaN;
    }
  }

  /** The most recent closed second. */
  latest(): RollupSnapshot | undefined {
    return this.closed === 0 ? undefined : this.snapshotOf(this.ring[(this.closed - 1) % HISTORY]);
  }

  /** Sums over the last `seconds` closed seconds (1..60). */
  window(seconds: number): RollupWindow | undefined {
    if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= HISTORY)) {
      throw new RangeError(`window must be 1..${HISTORY} seconds, got ${seconds}`);
    }
    const n = Math.min(seconds, this.closed);
    if (n === 0) return undefined;
    const sum = new SecondRecord(this.maxIf);
    const hosts = new Map<string, HostAcc>();
    const flows = new Map<number, FlowRollup>();
    let hostErr = 0;
    let flowErr = 0;
    let from = 0;
    let last = 0;
    for (let i = this.closed - n; i < this.closed; i++) {
      const r = this.ring[i % HISTORY];
      if (i === this.closed - n) from = r.second;
      last = r.second;
      sum.packets += r.packets;
      sum.bytes += r.bytes;
      for (let k = 0; k < sum.ifPackets.length; k++) {
        sum.ifPackets[k] += r.ifPackets[k];
        sum.ifBytes[k] += r.ifBytes[k];
      }
      for (let k = 0; k < this.maxIf; k++) {
        sum.ifKernelDrops[k] += r.ifKernelDrops[k];
        sum.ifHelperDrops[k] += r.ifHelperDrops[k];
      }
      for (let k = 0; k < sum.proto.length; k++) sum.proto[k] += r.proto[k];
      for (const h of r.topHosts) {
        const acc = hosts.get(h.addr);
        if (acc) {
          acc.packets += h.packets;
          acc.bytes += h.bytes;
        } else hosts.set(h.addr, { ...h });
      }
      for (const f of r.topFlows) {
        const acc = flows.get(f.flowId);
        if (acc) {
          acc.packets += f.packets;
          acc.bytes += f.bytes;
        } else flows.set(f.flowId, { ...f });
      }
      hostErr += r.hostsCutoff;
      flowErr += r.flowsCutoff;
    }
    sum.second = last;
    sum.topHosts = topByBytes([...hosts.values()], this.topK, (h) => h.addr).items;
    sum.topFlows = topByBytes([...flows.values()], this.topK, (f) => f.flowId).items;
    return { ...this.snapshotOf(sum), seconds: n, fromSecond: from, topHostsMaxErrorBytes: hostErr, topFlowsMaxErrorBytes: flowErr };
  }

  // ------------------------------------------------------------------ internals

  private isLocal(v4: boolean, addr4: number, bytes: Uint8Array): boolean {
    if (v4) return this.local4.has(addr4);
    for (const l of this.local6) {
      let same = true;
      for (let i = 0; i < 16; i++) {
        if (l[i] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  private advanceTo(sec: number): void {
    const gap = sec - this.curSecond - 1;
    this.closeCurrent();
    const empties = Math.min(gap, this.maxGap);
    for (let i = 0; i < empties; i++) {
      this.curSecond = sec - empties + i;
      this.closeCurrent();
    }
    this.curSecond = sec;
  }

  /** Called by the flow table for a flow that leaves the table with traffic in the open second. */
  private addFlowSecond(t: FlowTable, slot: number): void {
    const packets = t.secondPackets(slot);
    const bytes = t.secondBytes(slot);
    this.flowIds.push(t.idOf(slot));
    this.flowPackets.push(packets);
    this.flowBytes.push(bytes);
    const k = t.words;
    const lo = t.loAddressAt(slot);
    const hi = t.hiAddressAt(slot);
    this.addHost(k, lo, packets, bytes);
    // A flow from a host to itself counts once for that host.
    if (k[lo] !== k[hi] || k[lo + 1] !== k[hi + 1] || k[lo + 2] !== k[hi + 2] || k[lo + 3] !== k[hi + 3]) {
      this.addHost(k, hi, packets, bytes);
    }
  }

  /** `words[w..w+3]`: the host's address. */
  private addHost(words: Uint32Array, w: number, packets: number, bytes: number): void {
    const v4 = words[w] === 0 && words[w + 1] === 0 && words[w + 2] === 0xffff;
    const key: number | string = v4 ? words[w + 3] : `${words[w]}:${words[w + 1]}:${words[w + 2]}:${words[w + 3]}`;
    const acc = this.hosts.get(key);
    if (acc) {
      acc.packets += packets;
      acc.bytes += bytes;
    } else {
      this.hosts.set(key, { addr: formatIpWords(words, w), packets, bytes });
    }
  }

  private closeCurrent(): void {
    this.table.drainSecond((slot) => this.addFlowSecond(this.table, slot));
    const c = this.cur;
    c.second = this.curSecond;
    for (let i = 0; i < this.ifSeen; i++) {
      c.ifKernelDrops[i] = Math.max(0, this.kernelDropsTotal[i] - this.kernelDropsReported[i]);
      c.ifHelperDrops[i] = Math.max(0, this.helperDropsTotal[i] - this.helperDropsReported[i]);
      this.kernelDropsReported[i] = this.kernelDropsTotal[i];
      this.helperDropsReported[i] = this.helperDropsTotal[i];
    }
    const flows: FlowRollup[] = this.flowIds.map((flowId, i) => ({ flowId, packets: this.flowPackets[i], bytes: this.flowBytes[i] }));
    const topFlows = topByBytes(flows, this.keep, (f) => f.flowId);
    const topHosts = topByBytes([...this.hosts.values()], this.keep, (h) => h.addr);
    c.topFlows = topFlows.items;
    c.flowsCutoff = topFlows.cutoff;
    c.topHosts = topHosts.items;
    c.hostsCutoff = topHosts.cutoff;
    this.flowIds = [];
    this.flowPackets = [];
    this.flowBytes = [];
    this.hosts = new Map();

    // Swap the open record into the ring.
    const slot = this.closed % HISTORY;
    const stored = this.ring[slot];
    copyRecord(c, stored);
    this.closed++;
    c.clear();
    if (this.onSnapshot) this.onSnapshot(this.snapshotOf(stored));
  }

  private snapshotOf(r: SecondRecord): RollupSnapshot {
    const interfaces: InterfaceRollup[] = [];
    for (let i = 0; i < this.ifSeen; i++) {
      interfaces.push({
        iface: this.interfaceName(i),
        packetsIn: r.ifPackets[i * 2],
        bytesIn: r.ifBytes[i * 2],
        packetsOut: r.ifPackets[i * 2 + 1],
        bytesOut: r.ifBytes[i * 2 + 1],
        kernelDrops: r.ifKernelDrops[i],
        helperDrops: r.ifHelperDrops[i],
      });
    }
    const byProtocol = {} as Record<RollupProtocol, TrafficCount>;
    rollupProtocols.forEach((name, i) => {
      byProtocol[name] = { packets: r.proto[i * 2], bytes: r.proto[i * 2 + 1] };
    });
    return {
      second: r.second,
      packets: r.packets,
      bytes: r.bytes,
      interfaces,
      byProtocol,
      topHosts: r.topHosts.slice(0, this.topK).map((h) => ({ addr: h.addr, packets: h.packets, bytes: h.bytes })),
      topFlows: r.topFlows.slice(0, this.topK).map((f) => ({ ...f })),
    };
  }
}

function copyRecord(from: SecondRecord, to: SecondRecord): void {
  to.second = from.second;
  to.packets = from.packets;
  to.bytes = from.bytes;
  to.ifPackets.set(from.ifPackets);
  to.ifBytes.set(from.ifBytes);
  to.ifKernelDrops.set(from.ifKernelDrops);
  to.ifHelperDrops.set(from.ifHelperDrops);
  to.proto.set(from.proto);
  to.topHosts = from.topHosts;
  to.topFlows = from.topFlows;
  to.hostsCutoff = from.hostsCutoff;
  to.flowsCutoff = from.flowsCutoff;
}

/**
 * The `k` largest items by bytes (ties: by key ascending, so results are
 * deterministic) and the largest bytes left out.
 */
export function topByBytes<T extends { bytes: number }>(items: T[], k: number, key: (item: T) => number | string): { items: T[]; cutoff: number } {
  const sorted = items.sort((x, y) => {
    if (y.bytes !== x.bytes) return y.bytes - x.bytes;
    const a = key(x);
    const b = key(y);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return { items: sorted.slice(0, k), cutoff: sorted.length > k ? sorted[k].bytes : 0 };
}
