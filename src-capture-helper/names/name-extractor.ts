/**
 * Names seen on the wire: DNS answers (name -> addresses), TLS/DTLS/QUIC
 * ClientHello SNI and plaintext HTTP request Host and path, with labels per
 * flow. The engine calls `observe` for every decoded packet; most packets
 * leave after a few comparisons. All state is bounded and every bound has a
 * counter of what it dropped.
 *
 * This file reassembles IP fragments and sends each segment or datagram to
 * what reads it; the parts live beside it: `dns-names` (DNS and its reverse
 * map), `tcp-streams` (segments buffered until a message is whole),
 * `hello-handshakes` (QUIC and DTLS ClientHellos), `flow-labels` (labels per
 * flow and the changes waiting to be pushed).
 */
import { decodePacket, LinkType } from '../decode/decode-packet';
import type { IpLayer } from '../decode/decoded-packet';
import { DecodedPacket, L4Kind, TcpFlag } from '../decode/decoded-packet';
import type { PacketRecord } from '../pipeline/packet-sink';
import { packetBytes } from '../pipeline/packet-sink';
import { FLOW_SLOT_SPACE } from '../flows/flow-types';
import { BoundedMap } from '../../src-shared/bounded-map';
import { HelloStatus, looksLikeDtlsHandshake, looksLikeTlsClientHello, parseTlsStream } from './client-hello';
import type { HelloResult } from './client-hello';
import { DnsNames } from './dns-names';
import type { DnsNameStats } from './dns-names';
import { FlowLabelBook } from './flow-labels';
import type { FlowLabelUpdate } from './flow-labels';
import type { FlowLabels } from './flow-name';
import { isAddressLiteral } from './flow-name';
import { HelloHandshakes } from './hello-handshakes';
import type { HelloSink } from './hello-handshakes';
import { HttpStatus, parseHttpRequestHead, pathSection, requestMethodAt, targetPath } from './http-request';
import { IpFragmentReassembler } from './ip-fragment-reassembler';
import type { FragmentCounters } from './ip-fragment-reassembler';
import { DEFAULT_NAME_LIMITS } from './name-limits';
import type { NameCounters, NameLimits } from './name-limits';
import { looksLikeQuicInitial } from './quic-initial';
import { StreamKind, TcpStreams, streamKey } from './tcp-streams';
import type { TcpStream } from './tcp-streams';
import { WebSections } from './web-sections';
import { assertNever } from '../util/assert-never';

export interface HttpRequestCount {
  host: string;
  /** Request path without query string. */
  path: string;
  /** First path segment ("top sections"). */
  section: string;
  count: number;
}

/** DNS, mDNS, LLMNR. */
function isDnsPort(p: number): boolean {
  return p === 53 || p === 5353 || p === 5355;
}
const SSDP_PORT = 1900;
/** Upper bound on requests parsed from one segment or datagram. */
const MAX_REQUESTS_PER_SEGMENT = 16;

export class NameExtractor implements HelloSink {
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

  private readonly dns: DnsNames;
  private readonly sni: BoundedMap<string, number>;
  private readonly hosts: BoundedMap<string, number>;
  private readonly requests: BoundedMap<string, HttpRequestCount>;
  private readonly labels: FlowLabelBook;
  private readonly streams: TcpStreams;
  private readonly handshakes: HelloHandshakes;
  private readonly fragments: IpFragmentReassembler;
  /** Decoder output for reassembled datagrams (the engine's packet is left untouched). */
  private readonly scratch = new DecodedPacket();
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
    this.labels = new FlowLabelBook(l.maxFlowLabels, l.maxPendingUpdates);
    this.dns = new DnsNames(l, this.labels);
    this.sni = new BoundedMap(l.maxValues);
    this.hosts = new BoundedMap(l.maxValues);
    this.requests = new BoundedMap(l.maxValues);
    this.streams = new TcpStreams(l.maxStreams, l.streamBufferBytes, l.streamIdleSec);
    this.handshakes = new HelloHandshakes(l.maxHandshakes, l.streamBufferBytes, l.streamIdleSec, this);
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
        if (this.dns.hasAddressNames) this.dns.labelByAddress(layer, flowId);
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
    return this.dns.names();
  }

  /** Every query name seen, with query/response counts and answer addresses. */
  dnsNameStats(): Map<string, DnsNameStats> {
    return this.dns.stats();
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
    return this.dns.nameForAddress(addr16);
  }

  labelsForFlow(flowId: number): FlowLabels | undefined {
    return this.labels.copyOf(flowId);
  }

  /** Flows whose labels changed since the last call (each flow once, with its current labels). */
  drainLabelUpdates(): FlowLabelUpdate[] {
    return this.labels.drainUpdates();
  }

  /** Forgets a flow the engine evicted or closed: its labels and any buffered stream. */
  forgetFlow(flowId: number): void {
    this.labels.forget(flowId);
    for (const key of [flowId * 2, flowId * 2 + 1]) {
      this.streams.delete(key);
      this.handshakes.delete(key);
    }
  }

  /** Drops incomplete streams, handshakes and fragments older than their timeouts (call once a second). */
  sweep(nowSec: number): void {
    this.streams.expire(nowSec);
    this.handshakes.expire(nowSec);
    this.fragments.expire(nowSec);
  }

  /** What was dropped so far, and how much is buffered now (`pending`). */
  counters(): NameCounters & { fragments: FragmentCounters; pending: { streams: number; handshakes: number; fragmentDatagrams: number } } {
    const c = this.c;
    const dns = this.dns;
    const hs = this.handshakes;
    c.dnsMessages = dns.messages;
    c.dnsMalformed = dns.malformed;
    c.quicInitials = hs.quicInitials;
    c.quicUndecrypted = hs.quicUndecrypted;
    c.dtlsClientHellos = hs.dtlsClientHellos;
    c.streamsEvicted = this.streams.evicted;
    c.streamsOverflowed = this.streams.overflowed + hs.overflowed;
    c.streamsTimedOut = this.streams.timedOut + hs.timedOut;
    c.handshakesEvicted = hs.evicted;
    c.dnsNamesEvicted = dns.namesEvicted;
    c.addressNamesEvicted = dns.addressNamesEvicted;
    c.valuesEvicted = this.sni.evicted + this.hosts.evicted + this.requests.evicted;
    c.flowLabelsEvicted = this.labels.evicted;
    c.labelUpdatesDropped = this.labels.updatesDropped;
    c.addressesDropped = dns.addressesDropped;
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
      this.dns.message(data, start, end, flowId);
      return;
    }
    if (sp === SSDP_PORT || dp === SSDP_PORT) {
      this.httpHeads(data, start, end, flowId);
      return;
    }
    const first = data[start];
    if ((first & 0x80) !== 0 && looksLikeQuicInitial(data, start, end)) this.handshakes.quic(data, start, end, streamKey(layer, flowId), flowId, sec);
    else if (first === 22 && looksLikeDtlsHandshake(data, start, end)) this.handshakes.dtls(data, start, end, streamKey(layer, flowId), flowId, sec);
  }

  private tcp(data: Uint8Array, start: number, end: number, layer: IpLayer, flowId: number, sec: number): void {
    let seq = layer.tcpSeq;
    const key = streamKey(layer, flowId);
    if ((layer.tcpFlags & TcpFlag.syn) !== 0) {
      // A new connection on this flow: whatever was buffered belongs to the old one.
      if (this.streams.find(key)) this.streams.delete(key);
      seq = (seq + 1) >>> 0;
    }
    if (end <= start) return;
    const st = this.streams.find(key);
    if (st) {
      if (this.streams.write(key, st, seq, data, start, end, sec)) this.readStream(key, st);
      return;
    }
    const first = data[start];
    const dnsPort = isDnsPort(layer.srcPort) || isDnsPort(layer.dstPort);
    // Most segments (encrypted records, bodies) leave here.
    if (!dnsPort && first !== 22 && (first < 0x41 || first > 0x5a)) return;
    if (dnsPort) {
      const used = this.dns.messagesOverTcp(data, start, end, flowId);
      if (used < end - start) this.streams.open(key, StreamKind.dns, (seq + used) >>> 0, data, start + used, end, flowId, sec);
    } else if (first === 22) {
      if (!looksLikeTlsClientHello(data, start, end)) return;
      const r = parseTlsStream(data, start, end, this.limits.streamBufferBytes);
      if (r.status === HelloStatus.needMore) this.streams.open(key, StreamKind.tls, seq, data, start, end, flowId, sec);
      else this.helloResult(r, flowId);
    } else if (requestMethodAt(data, start, end) >= 0) {
      const used = this.httpHeads(data, start, end, flowId);
      if (used < 0) this.streams.open(key, StreamKind.http, seq, data, start, end, flowId, sec);
      else if (used < end - start && requestMethodAt(data, start + used, end) >= 0) {
        this.streams.open(key, StreamKind.http, (seq + used) >>> 0, data, start + used, end, flowId, sec);
      }
    }
  }

  private growSeen(slot: number): void {
    let size = Math.max(1024, this.seenFlow.length);
    while (size <= slot) size *= 2;
    const flows = new Float64Array(size).fill(-1);
    flows.set(this.seenFlow);
    this.seenFlow = flows;
  }

  /** Reads what a buffered stream now holds in order: a message that is whole ends or advances the stream. */
  private readStream(key: number, st: TcpStream): void {
    const buf = st.asm.bytes;
    const have = st.asm.contiguous;
    if (have === 0) return;
    switch (st.kind) {
      case StreamKind.tls: {
        const r = parseTlsStream(buf, 0, have, this.limits.streamBufferBytes);
        if (r.status === HelloStatus.needMore) {
          if (st.asm.overflowed || r.needed > this.limits.streamBufferBytes) this.streams.drop(key);
          return;
        }
        this.helloResult(r, st.flowId);
        this.streams.delete(key);
        return;
      }
      case StreamKind.http: {
        const used = this.httpHeads(buf, 0, have, st.flowId);
        if (used < 0) {
          if (st.asm.overflowed) this.streams.drop(key);
          return;
        }
        if (used > 0 && used < have && requestMethodAt(buf, used, have) >= 0) {
          this.streams.consume(st, used);
          return;
        }
        this.streams.delete(key);
        return;
      }
      case StreamKind.dns: {
        // Its first message is longer than the buffer: nothing to read until it overflows.
        if (st.skip) {
          if (st.asm.overflowed) this.streams.drop(key);
          return;
        }
        const used = this.dns.messagesOverTcp(buf, 0, have, st.flowId);
        if (used > 0) this.streams.consume(st, used);
        if (st.asm.contiguous === 0 && st.asm.highest === 0) this.streams.delete(key);
        else if (st.asm.overflowed) this.streams.drop(key);
        return;
      }
      default:
        assertNever(st.kind);
    }
  }

  // --- TLS, DTLS, QUIC -------------------------------------------------------------

  /** A ClientHello read from a TCP stream, a QUIC Initial or a DTLS handshake. */
  helloResult(r: HelloResult, flowId: number): void {
    if (r.status === HelloStatus.malformed) this.c.tlsMalformed++;
    if (r.status !== HelloStatus.done) return;
    this.c.tlsClientHellos++;
    if (r.sni !== undefined) {
      this.sni.set(r.sni, (this.sni.get(r.sni) ?? 0) + 1);
      if (flowId >= 0 && !isAddressLiteral(r.sni)) this.labels.set(flowId, 'sni', r.sni);
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
    if (flowId >= 0 && !isAddressLiteral(host)) this.labels.set(flowId, 'httpHost', host);
  }

}
