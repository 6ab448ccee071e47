/**
 * Names seen on the wire: DNS answers (name -> addresses), TLS/DTLS/QUIC
 * ClientHello SNI and plaintext HTTP request Host and path, with labels per
 * flow. The engine calls `observe` for every decoded packet; most packets
 * leave after a few comparisons. All state is bounded and every bound has a
 * counter of what it dropped.
 */
import { decodePacket, LinkType } from '../decode/decode-packet';
import type { IpLayer } from '../decode/decoded-packet';
import { DecodedPacket, L4Kind, NetKind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import { packetBytes } from '../pipeline/packet-sink';
import { FLOW_SLOT_SPACE } from '../flows/flow-types';
import { BoundedMap } from './bounded-map';
import {
  dtlsClientHelloFragments,
  HelloStatus,
  looksLikeDtlsHandshake,
  looksLikeTlsClientHello,
  parseClientHelloBody,
  parseHandshakeClientHello,
  parseTlsStream,
} from './client-hello';
import type { HelloResult } from './client-hello';
import { parseDnsMessage } from './dns-message';
import { HttpStatus, parseHttpRequestHead, pathSection, requestMethodAt, targetPath } from './http-request';
import { IpFragmentReassembler } from './ip-fragment-reassembler';
import type { FragmentCounters } from './ip-fragment-reassembler';
import { OffsetAssembler } from './offset-assembler';
import { clientInitialKeys, cryptoFrames, decryptInitial, findInitialPackets, looksLikeQuicInitial } from './quic-initial';
import type { InitialKeys } from './quic-initial';
import { address16Key } from './text';
import { isV4Mapped } from '../../src-shared/ip';
import { WebSections } from './web-sections';
import { assertNever } from '../util/assert-never';
import type { FlowLabels } from './flow-name';
import { isAddressLiteral } from './flow-name';

export type { FlowLabels } from './flow-name';

export interface NameLimits {
  /** Distinct DNS query names kept (oldest dropped first). */
  maxDnsNames: number;
  /** Addresses kept per DNS name. */
  maxAddressesPerName: number;
  /** Entries of the address -> name map. */
  maxAddressNames: number;
  /** Distinct SNI values, HTTP hosts and host+path pairs kept. */
  maxValues: number;
  /** Flows with labels kept. */
  maxFlowLabels: number;
  /** Label changes waiting for `drainLabelUpdates` (the oldest is dropped first). */
  maxPendingUpdates: number;
  /** TCP stream directions buffered at once (ClientHello, HTTP head or DNS message not complete yet). */
  maxStreams: number;
  /** Bytes buffered per stream direction, and the largest ClientHello/HTTP head/handshake we accept. */
  streamBufferBytes: number;
  /** Seconds after which an incomplete stream, QUIC or DTLS handshake is dropped. */
  streamIdleSec: number;
  /** QUIC/DTLS handshakes tracked at once. */
  maxHandshakes: number;
  /** IP datagrams under reassembly at once. */
  maxFragmentDatagrams: number;
  fragmentTimeoutSec: number;
}

export const DEFAULT_NAME_LIMITS: NameLimits = {
  maxDnsNames: 10_000,
  maxAddressesPerName: 64,
  maxAddressNames: 65_536,
  maxValues: 10_000,
  maxFlowLabels: 65_536,
  maxPendingUpdates: 65_536,
  maxStreams: 1024,
  streamBufferBytes: 16 * 1024,
  streamIdleSec: 60,
  maxHandshakes: 1024,
  maxFragmentDatagrams: 64,
  fragmentTimeoutSec: 30,
};

export interface FlowLabelUpdate {
  flowId: number;
  labels: FlowLabels;
}

export interface HttpRequestCount {
  host: string;
  /** Request path without query string. */
  path: string;
  /** First path segment ("top sections"). */
  section: string;
  count: number;
}

export interface DnsNameStats {
  queries: number;
  responses: number;
  /** Addresses of A/AAAA records in the Answers section of responses. */
  addresses: string[];
}

export interface NameCounters {
  dnsMessages: number;
  /** DNS messages that could not be read to the end (what was read is kept, as tshark does). */
  dnsMalformed: number;
  tlsClientHellos: number;
  /** ClientHellos whose fields contradict each other. */
  tlsMalformed: number;
  quicInitials: number;
  /** QUIC Initial packets no client key opened (server Initials, damaged packets). */
  quicUndecrypted: number;
  dtlsClientHellos: number;
  httpRequests: number;
  /** Stream directions dropped because `maxStreams` were buffered. */
  streamsEvicted: number;
  /** Streams given up because a message exceeded `streamBufferBytes` or had too many holes. */
  streamsOverflowed: number;
  /** Streams or handshakes dropped after `streamIdleSec` without completing. */
  streamsTimedOut: number;
  handshakesEvicted: number;
  /** Values not kept because a map was full (oldest evicted). */
  dnsNamesEvicted: number;
  addressNamesEvicted: number;
  valuesEvicted: number;
  flowLabelsEvicted: number;
  labelUpdatesDropped: number;
  /** Addresses beyond `maxAddressesPerName`. */
  addressesDropped: number;
}

const StreamKind = { tls: 0, http: 1, dns: 2 } as const;
type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

interface TcpStream {
  kind: StreamKind;
  /** TCP sequence number of buffer offset 0. */
  baseSeq: number;
  asm: OffsetAssembler;
  lastSec: number;
  flowId: number;
}

interface Handshake {
  asm: OffsetAssembler;
  /** QUIC: the client keys of this connection (derived from its first Destination Connection ID). */
  keys?: InitialKeys;
  /** DTLS: message sequence of the ClientHello being assembled. */
  messageSeq: number;
  done: boolean;
  lastSec: number;
}

/** DNS, mDNS, LLMNR. */
function isDnsPort(p: number): boolean {
  return p === 53 || p === 5353 || p === 5355;
}
const SSDP_PORT = 1900;
/** Dropped streams kept for reuse (each with a buffer of up to streamBufferBytes). */
const SPARE_STREAMS = 16;
/** Upper bound on requests parsed from one segment or datagram. */
const MAX_REQUESTS_PER_SEGMENT = 16;

export class NameExtractor {
  readonly limits: NameLimits;
  private readonly c: NameCounters = {
    dnsMessages: 0,
    dnsMalformed: 0,
    tlsClientHellos: 0,
    tlsMalformed: 0,
    quicInitials: 0,
    quicUndecrypted: 0,
    dtlsClientHellos: 0,
    httpRequests: 0,
    streamsEvicted: 0,
    streamsOverflowed: 0,
    streamsTimedOut: 0,
    handshakesEvicted: 0,
    dnsNamesEvicted: 0,
    addressNamesEvicted: 0,
    valuesEvicted: 0,
    flowLabelsEvicted: 0,
    labelUpdatesDropped: 0,
    addressesDropped: 0,
  };

  private readonly dns: BoundedMap<string, DnsNameStats>;
  /** Reverse map for IPv4 (key: address as unsigned 32-bit number) and IPv6 (key: hex). */
  private readonly names4: BoundedMap<number, string>;
  private readonly names6: BoundedMap<string, string>;
  private readonly sni: BoundedMap<string, number>;
  private readonly hosts: BoundedMap<string, number>;
  private readonly requests: BoundedMap<string, HttpRequestCount>;
  private readonly labels: BoundedMap<number, FlowLabels>;
  private updates = new Map<number, FlowLabels>();
  private readonly streams: BoundedMap<number, TcpStream>;
  /** Per flow slot: bit 0 or 1 set when direction 0 or 1 may have a buffered stream (see findStream). */
  private streamHints: Uint8Array = new Uint8Array(0);
  /** Streams dropped, kept for reuse. */
  private readonly spareStreams: TcpStream[] = [];
  private readonly handshakes: BoundedMap<number, Handshake>;
  private readonly fragments: IpFragmentReassembler;
  /** Decoder output for reassembled datagrams (the engine's packet is left untouched). */
  private readonly scratch = new DecodedPacket();
  /** QUIC client keys by version and DCID: retransmitted Initials need no new derivation. */
  private readonly keyCache = new BoundedMap<string, InitialKeys>(256);
  /**
   * Per flow slot: the flow whose packets were last seen there. Another id in
   * the slot is a new flow's first packet, the one moment a flow takes a name
   * from the DNS answers: an answer names flows that start after it, never one
   * already running. Grown to the highest flow slot seen (the flow table bounds it).
   */
  private seenFlow = new Float64Array(0);
  /** Requests per host and first path segment, over the last 10 s, 60 s and the session. */
  readonly webSections = new WebSections();
  /** The IP layer and second of the packet being read: the server and time of a request it completes. */
  private packetLayer: IpLayer | undefined;
  private packetSec = 0;

  constructor(limits: Partial<NameLimits> = {}) {
    this.limits = { ...DEFAULT_NAME_LIMITS, ...limits };
    const l = this.limits;
    this.dns = new BoundedMap(l.maxDnsNames);
    this.names4 = new BoundedMap(l.maxAddressNames);
    this.names6 = new BoundedMap(l.maxAddressNames);
    this.sni = new BoundedMap(l.maxValues);
    this.hosts = new BoundedMap(l.maxValues);
    this.requests = new BoundedMap(l.maxValues);
    this.labels = new BoundedMap(l.maxFlowLabels);
    this.streams = new BoundedMap(l.maxStreams, (_key, st) => this.spareStream(st));
    this.handshakes = new BoundedMap(l.maxHandshakes);
    this.fragments = new IpFragmentReassembler({ maxDatagrams: l.maxFragmentDatagrams, timeoutSec: l.fragmentTimeoutSec });
  }

  /**
   * Looks at one decoded packet. `flowId` is the engine's flow (negative when
   * the packet belongs to none); labels are kept per flow id.
   */
  observe(pkt: DecodedPacket, rec: PacketRecord, flowId: number): void {
    const n = pkt.layerCount;
    if (n === 0) return;
    const layer = pkt.layers[n - 1];
    if (flowId >= 0) {
      const slot = flowId % FLOW_SLOT_SPACE;
      if (slot >= this.seenFlow.length) this.growSeen(slot);
      if (this.seenFlow[slot] !== flowId) {
        this.seenFlow[slot] = flowId;
        if (this.names4.size > 0 || this.names6.size > 0) this.labelByAddress(layer, flowId);
      }
    }
    if (layer.isFragment) {
      const whole = this.fragments.add(packetBytes(rec), layer.netOffset - rec.offset, flowId, rec.tsSec);
      if (!whole) return;
      decodePacket(LinkType.raw, whole.datagram, this.scratch);
      if (this.scratch.layerCount === 0) return;
      const inner = this.scratch.layers[this.scratch.layerCount - 1];
      // A reassembled datagram that is itself a fragment (fragments inside a tunnel) stops here.
      if (!inner.isFragment) this.transport(whole.datagram, inner, whole.flowId, rec.tsSec);
      return;
    }
    this.transport(rec.bytes, layer, flowId, rec.tsSec);
  }

  /** Query name -> addresses of A/AAAA records in the Answers section of its responses. */
  dnsNames(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [name, s] of this.dns.entries()) if (s.addresses.length > 0) out.set(name, [...s.addresses]);
    return out;
  }

  /** Every query name seen, with query/response counts and answer addresses. */
  dnsNameStats(): Map<string, DnsNameStats> {
    const out = new Map<string, DnsNameStats>();
    for (const [name, s] of this.dns.entries()) out.set(name, { queries: s.queries, responses: s.responses, addresses: [...s.addresses] });
    return out;
  }

  /** Distinct TLS/DTLS/QUIC server names, in the order first seen. */
  sniValues(): string[] {
    return [...this.sni.keys()];
  }

  /** Distinct HTTP Host values of requests, in the order first seen. */
  httpHosts(): string[] {
    return [...this.hosts.keys()];
  }

  /** Requests per host and path, most requested first. */
  httpRequests(): HttpRequestCount[] {
    return [...this.requests.entries()].map(([, r]) => ({ ...r })).sort((a, b) => b.count - a.count);
  }

  /** The DNS name under which `addr16` (IPv4 as IPv4-mapped IPv6) was last seen in an answer. */
  nameForAddress(addr16: Uint8Array): string | undefined {
    if (addr16.length !== 16) return undefined;
    if (isV4Mapped(addr16)) return this.names4.get(((addr16[12] << 24) | (addr16[13] << 16) | (addr16[14] << 8) | addr16[15]) >>> 0);
    return this.names6.get(address16Key(addr16));
  }

  labelsForFlow(flowId: number): FlowLabels | undefined {
    const l = this.labels.get(flowId);
    return l && { ...l };
  }

  /** Flows whose labels changed since the last call (each flow once, with its current labels). */
  drainLabelUpdates(): FlowLabelUpdate[] {
    const out: FlowLabelUpdate[] = [];
    for (const [flowId, labels] of this.updates) out.push({ flowId, labels: { ...labels } });
    this.updates = new Map();
    return out;
  }

  /** Forgets a flow the engine evicted or closed: its labels and any buffered stream. */
  forgetFlow(flowId: number): void {
    this.labels.delete(flowId);
    this.updates.delete(flowId);
    for (const key of [flowId * 2, flowId * 2 + 1]) {
      this.deleteStream(key);
      this.handshakes.delete(key);
    }
  }

  /** Drops incomplete streams, handshakes and fragments older than their timeouts (call once a second). */
  sweep(nowSec: number): void {
    this.expireStreams(nowSec);
    this.expireHandshakes(nowSec);
    this.fragments.expire(nowSec);
  }

  /** What was dropped so far, and how much is buffered now (`pending`). */
  counters(): NameCounters & { fragments: FragmentCounters; pending: { streams: number; handshakes: number; fragmentDatagrams: number } } {
    this.c.dnsNamesEvicted = this.dns.evicted;
    this.c.addressNamesEvicted = this.names4.evicted + this.names6.evicted;
    this.c.valuesEvicted = this.sni.evicted + this.hosts.evicted + this.requests.evicted;
    this.c.flowLabelsEvicted = this.labels.evicted;
    this.c.streamsEvicted = this.streams.evicted;
    this.c.handshakesEvicted = this.handshakes.evicted;
    return {
      ...this.c,
      fragments: { ...this.fragments.counters },
      pending: { streams: this.streams.size, handshakes: this.handshakes.size, fragmentDatagrams: this.fragments.size },
    };
  }

  // --- transport dispatch -------------------------------------------------

  private transport(data: Uint8Array, layer: IpLayer, flowId: number, sec: number): void {
    if (!layer.l4Valid) return;
    this.packetLayer = layer;
    this.packetSec = sec;
    const start = layer.payloadOffset;
    const end = start + Math.min(layer.payloadLength, layer.payloadClaimedLength);
    if (layer.l4 === L4Kind.tcp) this.tcp(data, start, end, layer, flowId, sec);
    else if (layer.l4 === L4Kind.udp && end > start) this.udp(data, start, end, layer, flowId, sec);
  }

  private udp(data: Uint8Array, start: number, end: number, layer: IpLayer, flowId: number, sec: number): void {
    const sp = layer.srcPort;
    const dp = layer.dstPort;
    if (isDnsPort(sp) || isDnsPort(dp)) {
      this.dnsMessage(data, start, end, flowId);
      return;
    }
    if (sp === SSDP_PORT || dp === SSDP_PORT) {
      this.httpHeads(data, start, end, flowId);
      return;
    }
    const first = data[start];
    if ((first & 0x80) !== 0 && looksLikeQuicInitial(data, start, end)) this.quic(data, start, end, this.streamKey(layer, flowId), flowId, sec);
    else if (first === 22 && looksLikeDtlsHandshake(data, start, end)) this.dtls(data, start, end, this.streamKey(layer, flowId), flowId, sec);
  }

  private tcp(data: Uint8Array, start: number, end: number, layer: IpLayer, flowId: number, sec: number): void {
    let seq = layer.tcpSeq;
    const key = this.streamKey(layer, flowId);
    if ((layer.tcpFlags & TcpFlag.syn) !== 0) {
      // A new connection on this flow: whatever was buffered belongs to the old one.
      if (this.findStream(key)) this.deleteStream(key);
      seq = (seq + 1) >>> 0;
    }
    if (end <= start) return;
    const st = this.findStream(key);
    if (st) {
      this.feed(key, st, seq, data, start, end, sec);
      return;
    }
    const first = data[start];
    const dnsPort = isDnsPort(layer.srcPort) || isDnsPort(layer.dstPort);
    // Most segments (encrypted records, bodies) leave here.
    if (!dnsPort && first !== 22 && (first < 0x41 || first > 0x5a)) return;
    if (dnsPort) this.tcpDnsStart(key, data, start, end, seq, flowId, sec);
    else if (first === 22) {
      if (!looksLikeTlsClientHello(data, start, end)) return;
      const r = parseTlsStream(data, start, end, this.limits.streamBufferBytes);
      if (r.status === HelloStatus.needMore) this.newStream(key, StreamKind.tls, seq, data, start, end, flowId, sec);
      else this.helloResult(r, flowId);
    } else if (requestMethodAt(data, start, end) >= 0) {
      const used = this.httpHeads(data, start, end, flowId);
      if (used < 0) this.newStream(key, StreamKind.http, seq, data, start, end, flowId, sec);
      else if (used < end - start && requestMethodAt(data, start + used, end) >= 0) {
        this.newStream(key, StreamKind.http, (seq + used) >>> 0, data, start + used, end, flowId, sec);
      }
    }
  }

  /** Key of one direction of a flow: 2 * flowId, plus 1 for the direction from the higher endpoint. */
  private streamKey(layer: IpLayer, flowId: number): number {
    if (flowId < 0) return -1;
    let dir = 0;
    if (layer.srcPort !== layer.dstPort) dir = layer.srcPort > layer.dstPort ? 1 : 0;
    else {
      for (let i = 0; i < 16; i++) {
        if (layer.src[i] !== layer.dst[i]) {
          dir = layer.src[i] > layer.dst[i] ? 1 : 0;
          break;
        }
      }
    }
    return flowId * 2 + dir;
  }

  // --- TCP streams -------------------------------------------------------------

  private newStream(key: number, kind: StreamKind, seq: number, data: Uint8Array, start: number, end: number, flowId: number, sec: number): void {
    if (key < 0) return;
    this.expireStreams(sec);
    let st = this.spareStreams.pop();
    if (st) {
      st.kind = kind;
      st.baseSeq = seq;
      st.lastSec = sec;
      st.flowId = flowId;
      st.asm.reset();
    } else {
      st = { kind, baseSeq: seq, asm: new OffsetAssembler(this.limits.streamBufferBytes), lastSec: sec, flowId };
    }
    this.streams.setNewest(key, st);
    const slot = Math.floor(key / 2) % FLOW_SLOT_SPACE;
    if (slot >= this.streamHints.length) this.streamHints = grownBytes(this.streamHints, slot);
    this.streamHints[slot] |= 1 << (key & 1);
    st.asm.write(0, data, start, end);
  }

  /**
   * The buffered stream of a flow direction. Most segments belong to none:
   * a bit per flow slot and direction, set when a stream starts and cleared
   * when a lookup finds none, spares them the map lookup.
   */
  private findStream(key: number): TcpStream | undefined {
    if (key < 0) return undefined;
    const slot = Math.floor(key / 2) % FLOW_SLOT_SPACE;
    const bit = 1 << (key & 1);
    if (slot >= this.streamHints.length || (this.streamHints[slot] & bit) === 0) return undefined;
    const st = this.streams.get(key);
    if (st === undefined) this.streamHints[slot] &= ~bit;
    return st;
  }

  /** Drops a buffered stream, keeping a few for the next ones (their buffers are reused). */
  private deleteStream(key: number): void {
    const st = this.streams.get(key);
    if (st === undefined) return;
    this.streams.delete(key);
    this.spareStream(st);
  }

  private spareStream(st: TcpStream): void {
    if (this.spareStreams.length < SPARE_STREAMS) this.spareStreams.push(st);
  }

  private expireStreams(nowSec: number): void {
    for (;;) {
      const oldest = this.streams.oldest();
      if (!oldest || nowSec - oldest[1].lastSec <= this.limits.streamIdleSec) return;
      this.deleteStream(oldest[0]);
      this.c.streamsTimedOut++;
    }
  }

  private feed(key: number, st: TcpStream, seq: number, data: Uint8Array, start: number, end: number, sec: number): void {
    // Signed distance in sequence space handles wrap-around at 2^32.
    let rel = (seq - st.baseSeq) | 0;
    if (rel < 0) {
      if (end - start <= -rel) return; // an old retransmission
      start += -rel;
      rel = 0;
    }
    st.asm.write(rel, data, start, end);
    st.lastSec = sec;
    this.streams.setNewest(key, st);
    if (st.asm.tooFragmented) {
      this.dropStream(key, true);
      return;
    }
    const buf = st.asm.bytes;
    const have = st.asm.contiguous;
    if (have === 0) return;
    switch (st.kind) {
      case StreamKind.tls: {
        const r = parseTlsStream(buf, 0, have, this.limits.streamBufferBytes);
        if (r.status === HelloStatus.needMore) {
          if (st.asm.overflowed || r.needed > this.limits.streamBufferBytes) this.dropStream(key, true);
          return;
        }
        this.helloResult(r, st.flowId);
        this.deleteStream(key);
        return;
      }
      case StreamKind.http: {
        const used = this.httpHeads(buf, 0, have, st.flowId);
        if (used < 0) {
          if (st.asm.overflowed) this.dropStream(key, true);
          return;
        }
        if (used > 0 && used < have && requestMethodAt(buf, used, have) >= 0) {
          st.asm.consume(used);
          st.baseSeq = (st.baseSeq + used) >>> 0;
          return;
        }
        this.deleteStream(key);
        return;
      }
      case StreamKind.dns: {
        const used = this.dnsOverTcp(buf, 0, have, st.flowId);
        if (used > 0) {
          st.asm.consume(used);
          st.baseSeq = (st.baseSeq + used) >>> 0;
        }
        if (st.asm.contiguous === 0 && st.asm.highest === 0) this.deleteStream(key);
        else if (st.asm.overflowed) this.dropStream(key, true);
        return;
      }
      default:
        assertNever(st.kind);
    }
  }

  private dropStream(key: number, overflow: boolean): void {
    this.deleteStream(key);
    if (overflow) this.c.streamsOverflowed++;
  }

  private tcpDnsStart(key: number, data: Uint8Array, start: number, end: number, seq: number, flowId: number, sec: number): void {
    const used = this.dnsOverTcp(data, start, end, flowId);
    if (used < end - start) this.newStream(key, StreamKind.dns, (seq + used) >>> 0, data, start + used, end, flowId, sec);
  }

  /** Parses whole length-prefixed DNS messages; returns the bytes used. */
  private dnsOverTcp(b: Uint8Array, start: number, end: number, flowId: number): number {
    let p = start;
    for (let n = 0; n < MAX_REQUESTS_PER_SEGMENT && end - p >= 2; n++) {
      const len = (b[p] << 8) | b[p + 1];
      if (len === 0) {
        p += 2;
        continue;
      }
      if (end - p < 2 + len) break;
      this.dnsMessage(b, p + 2, p + 2 + len, flowId);
      p += 2 + len;
    }
    return p - start;
  }

  // --- DNS -----------------------------------------------------------------------

  private dnsMessage(b: Uint8Array, start: number, end: number, flowId: number): void {
    const msg = parseDnsMessage(b, start, end);
    this.c.dnsMessages++;
    if (msg.status !== 0) this.c.dnsMalformed++;
    // A DNS flow is named by its own first question (a flow that asks again keeps it).
    if (flowId >= 0 && msg.queries.length > 0 && this.labels.get(flowId)?.dnsQuery === undefined) {
      this.setLabel(flowId, 'dnsQuery', msg.queries[0]);
    }
    // A name asked twice in one message counts once.
    const seen = msg.queries.length > 1 ? new Set<string>() : undefined;
    for (const q of msg.queries) {
      if (seen !== undefined) {
        if (seen.has(q)) continue;
        seen.add(q);
      }
      let s = this.dns.get(q);
      if (!s) {
        s = { queries: 0, responses: 0, addresses: [] };
        this.dns.set(q, s);
      }
      if (!msg.response) {
        s.queries++;
        continue;
      }
      s.responses++;
      for (const a of msg.answers) {
        if (s.addresses.includes(a.address)) continue;
        if (s.addresses.length >= this.limits.maxAddressesPerName) this.c.addressesDropped++;
        else s.addresses.push(a.address);
      }
    }
    if (!msg.response) return;
    // Reverse map: an address is named after the question (what the user asked for), else the record owner.
    const asked = msg.queries.length > 0 ? msg.queries[0] : undefined;
    for (const a of msg.answers) {
      const name = asked ?? a.name;
      if (typeof a.key === 'number') this.names4.setNewest(a.key, name);
      else this.names6.setNewest(a.key, name);
    }
  }

  private growSeen(slot: number): void {
    let size = Math.max(1024, this.seenFlow.length);
    while (size <= slot) size *= 2;
    const flows = new Float64Array(size).fill(-1);
    flows.set(this.seenFlow);
    this.seenFlow = flows;
  }

  /**
   * Names a flow at its first packet after its destination (B), else its
   * source (A), as the DNS answers seen so far name them.
   */
  private labelByAddress(layer: IpLayer, flowId: number): void {
    let nameB: string | undefined;
    let nameA: string | undefined;
    if (layer.net === NetKind.ipv4) {
      nameB = this.names4.get(layer.dst4 >>> 0);
      nameA = nameB === undefined ? this.names4.get(layer.src4 >>> 0) : undefined;
    } else if (layer.net === NetKind.ipv6) {
      nameB = this.names6.get(address16Key(layer.dst));
      nameA = nameB === undefined ? this.names6.get(address16Key(layer.src)) : undefined;
    }
    if (nameB !== undefined) this.setLabel(flowId, 'dnsName', nameB, 'b');
    else if (nameA !== undefined) this.setLabel(flowId, 'dnsName', nameA, 'a');
  }

  // --- TLS, DTLS, QUIC -------------------------------------------------------------

  private helloResult(r: HelloResult, flowId: number): void {
    if (r.status === HelloStatus.malformed) this.c.tlsMalformed++;
    if (r.status !== HelloStatus.done) return;
    this.c.tlsClientHellos++;
    if (r.sni !== undefined) this.recordSni(r.sni, flowId);
  }

  private recordSni(sni: string, flowId: number): void {
    this.sni.set(sni, (this.sni.get(sni) ?? 0) + 1);
    if (flowId >= 0 && !isAddressLiteral(sni)) this.setLabel(flowId, 'sni', sni);
  }

  private handshake(key: number, sec: number): Handshake {
    this.expireHandshakes(sec);
    const hs: Handshake = { asm: new OffsetAssembler(this.limits.streamBufferBytes), messageSeq: -1, done: false, lastSec: sec };
    if (key >= 0) this.handshakes.setNewest(key, hs);
    return hs;
  }

  private expireHandshakes(nowSec: number): void {
    for (;;) {
      const oldest = this.handshakes.oldest();
      if (!oldest || nowSec - oldest[1].lastSec <= this.limits.streamIdleSec) return;
      this.handshakes.delete(oldest[0]);
      if (!oldest[1].done) this.c.streamsTimedOut++;
    }
  }

  private quic(data: Uint8Array, start: number, end: number, key: number, flowId: number, sec: number): void {
    let hs = key >= 0 ? this.handshakes.get(key) : undefined;
    if (hs?.done) return;
    for (const pkt of findInitialPackets(data, start, end)) {
      this.c.quicInitials++;
      let plain = hs?.keys ? decryptInitial(data, pkt, hs.keys) : undefined;
      if (!plain) {
        const keys = this.initialKeys(pkt.version, pkt.dcid);
        plain = keys && decryptInitial(data, pkt, keys);
        if (plain) {
          // First Initial of a connection in this direction (or a new connection on the same ports).
          hs = this.handshake(key, sec);
          hs.keys = keys;
        }
      }
      if (!plain || !hs) {
        this.c.quicUndecrypted++;
        continue;
      }
      hs.lastSec = sec;
      for (const f of cryptoFrames(plain)) hs.asm.write(f.offset, f.data, 0, f.data.length);
      const r = parseHandshakeClientHello(hs.asm.bytes, 0, hs.asm.contiguous, this.limits.streamBufferBytes);
      if (r.status === HelloStatus.needMore && !hs.asm.overflowed && !hs.asm.tooFragmented) continue;
      if (r.status === HelloStatus.needMore) this.c.streamsOverflowed++;
      hs.done = true;
      hs.asm = new OffsetAssembler(0, 0);
      this.helloResult(r, flowId);
      return;
    }
  }

  private initialKeys(version: number, dcid: Uint8Array): InitialKeys | undefined {
    const k = `${version}:${address16KeyOf(dcid)}`;
    let keys = this.keyCache.get(k);
    if (!keys) {
      keys = clientInitialKeys(version, dcid);
      if (keys) this.keyCache.set(k, keys);
    }
    return keys;
  }

  private dtls(data: Uint8Array, start: number, end: number, key: number, flowId: number, sec: number): void {
    const max = this.limits.streamBufferBytes;
    for (const f of dtlsClientHelloFragments(data, start, end, max)) {
      if (f.fragmentOffset === 0 && f.end - f.start === f.messageLength) {
        this.c.dtlsClientHellos++;
        this.helloResult(parseClientHelloBody(data, f.start, f.end, true), flowId);
        continue;
      }
      let hs = key >= 0 ? this.handshakes.get(key) : undefined;
      if (!hs || hs.messageSeq !== f.messageSeq || hs.done) {
        hs = this.handshake(key, sec);
        hs.messageSeq = f.messageSeq;
      }
      hs.lastSec = sec;
      hs.asm.write(f.fragmentOffset, data, f.start, f.end);
      if (hs.asm.contiguous >= f.messageLength) {
        hs.done = true;
        this.c.dtlsClientHellos++;
        this.helloResult(parseClientHelloBody(hs.asm.bytes, 0, f.messageLength, true), flowId);
      } else if (hs.asm.overflowed || hs.asm.tooFragmented) {
        hs.done = true;
        this.c.streamsOverflowed++;
      }
    }
  }

  // --- HTTP --------------------------------------------------------------------------

  /**
   * Parses request heads at `b[start, end)`. Returns the bytes used by complete
   * heads (and bodies whose length is known and present), or -1 when the first
   * head is not complete yet.
   */
  private httpHeads(b: Uint8Array, start: number, end: number, flowId: number): number {
    let p = start;
    for (let n = 0; n < MAX_REQUESTS_PER_SEGMENT && p < end; n++) {
      const head = parseHttpRequestHead(b, p, end, this.limits.streamBufferBytes);
      if (head.status === HttpStatus.needMore) return n === 0 ? -1 : p - start;
      if (head.status === HttpStatus.notHttp) break;
      this.recordRequest(head.host, head.target, flowId);
      p += head.headLength;
      if (head.contentLength > end - p) return end - start;
      p += head.contentLength;
    }
    return p - start;
  }

  private recordRequest(host: string | undefined, target: string, flowId: number): void {
    this.c.httpRequests++;
    // Heads complete on a packet of the client's direction: its destination is the server.
    const layer = this.packetLayer;
    if (layer !== undefined) this.webSections.record({ target, host, server: layer.dst, serverPort: layer.dstPort }, this.packetSec);
    if (host === undefined) return;
    this.hosts.set(host, (this.hosts.get(host) ?? 0) + 1);
    const path = targetPath(target);
    const k = `${host}\n${path}`;
    const r = this.requests.get(k);
    if (r) r.count++;
    else this.requests.set(k, { host, path, section: pathSection(path), count: 1 });
    // "Host: 198.18.0.2:8000" says which address was asked, not a name.
    if (flowId >= 0 && !isAddressLiteral(host)) this.setLabel(flowId, 'httpHost', host);
  }

  // --- labels ------------------------------------------------------------------------

  private setLabel(flowId: number, field: 'sni' | 'httpHost' | 'dnsQuery' | 'dnsName', value: string, endpoint?: 'a' | 'b'): void {
    let l = this.labels.get(flowId);
    if (l?.[field] === value && (endpoint === undefined || l.dnsNameOf === endpoint)) return;
    if (!l) {
      l = {};
      this.labels.set(flowId, l);
    }
    l[field] = value;
    if (endpoint !== undefined) l.dnsNameOf = endpoint;
    if (!this.updates.has(flowId) && this.updates.size >= this.limits.maxPendingUpdates) {
      const first = this.updates.keys().next();
      if (!first.done) this.updates.delete(first.value);
      this.c.labelUpdatesDropped++;
    }
    this.updates.set(flowId, l);
  }
}

/** A copy of `a`, zero-filled, large enough for index `at`. */
function grownBytes(a: Uint8Array, at: number): Uint8Array {
  let size = Math.max(1024, a.length);
  while (size <= at) size *= 2;
  const out = new Uint8Array(size);
  out.set(a);
  return out;
}

function address16KeyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
