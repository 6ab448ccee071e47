import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodedPacket } from '../../src-capture-helper/decode/decoded-packet';
import { decodePacket, LinkType } from '../../src-capture-helper/decode/decode-packet';
import { FlowTable } from '../../src-capture-helper/flows/flow-table';
import { CaptureEngine } from '../../src-capture-helper/pipeline/engine';
import type { PacketRecord } from '../../src-capture-helper/pipeline/packet-sink';
import { ReportBuilder } from '../../src-capture-helper/report/analyze-report';
import { FrameBuilder, IP_PROTO } from '../../bench/frame-builder';
import { tcpFlags } from '../unit/flows/packets';

// Few endpoints, ports and sequence numbers, so that 4-tuples are reused,
// TCP streams restart (new ISN) and the same 4-tuple runs on several VLANs.
// IPv6 packets may carry IPv4-mapped addresses: same words as IPv4, another family.
const ADDRESSES = [
  [0, 0, 0xffff, 0x0a000001],
  [0, 0, 0xffff, 0x0a000002],
  [0x20010db8, 0, 0, 1],
];

const spec = fc.record({
    v6: fc.boolean(),
    src: fc.nat(2),
    dst: fc.nat(2),
    proto: fc.constantFrom(IP_PROTO.tcp, IP_PROTO.udp, IP_PROTO.icmp),
    sport: fc.integer({ min: 1, max: 2 }),
    dport: fc.integer({ min: 1, max: 2 }),
    flags: fc.constantFrom('S', 'SA', 'A', 'FA', 'R', 'PA'),
    seq: fc.integer({ min: 0, max: 2 }),
    vlan: fc.constantFrom(-1, 7),
    t: fc.double({ min: 0, max: 300, noNaN: true }),
    payload: fc.integer({ min: 0, max: 20 }),
  });

interface FrameSpec {
  v6: boolean;
  /** Indexes into ADDRESSES. */
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
  flags: string;
  seq: number;
  vlan: number;
  payload: number;
}

function frameBytes(s: FrameSpec): Uint8Array {
  const b = new FrameBuilder();
  const src = Uint32Array.from(ADDRESSES[s.src]);
  const dst = Uint32Array.from(ADDRESSES[s.dst]);
  // An IPv4 header cannot carry the IPv6 address.
  if (!s.v6 && src[2] === 0xffff && dst[2] === 0xffff) b.setV4(src[3], dst[3]);
  else b.setV6(src, dst);
  b.ipProto = s.proto === IP_PROTO.icmp && b.v6 ? IP_PROTO.icmpv6 : s.proto;
  b.vlan = s.vlan;
  b.srcPort = s.sport;
  b.dstPort = s.dport;
  b.tcpFlags = tcpFlags(s.flags);
  b.seq = s.seq;
  b.payloadLength = s.payload;
  return b.build();
}

/** A well-formed frame or one with a few bytes changed. */
const frame = fc.tuple(spec, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.boolean()).map(([s, flips, damage]) => {
  const bytes = frameBytes(s);
  if (damage) for (const [at, v] of flips) bytes[at % bytes.length] = v;
  return { bytes, t: s.t };
});

function record(bytes: Uint8Array, t: number): PacketRecord {
  const sec = Math.floor(t);
  return { ifIndex: 0, linkType: LinkType.ethernet, tsSec: sec, tsNsec: Math.round((t - sec) * 1e6) * 1000, hasTimestamp: true, wireLength: bytes.length, bytes, offset: 0, length: bytes.length };
}

describe('conversation rows found through the flow of a packet', () => {
  it('equal the rows found by key for every packet sequence (stream restarts, VLANs, damaged headers, flow eviction)', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 120 }), fc.integer({ min: 1, max: 8 }), (frames, maxFlows) => {
        const byKey = new ReportBuilder({ maxConversations: 1000 });
        const byFlow = new ReportBuilder({ maxConversations: 1000 });
        // A small table evicts and reuses slots, so stale flow ids must never match.
        const flows = new FlowTable({ maxFlows, initialCapacity: 1, timeouts: { udp: 20, tcpClosed: 1 } });
        const pkt = new DecodedPacket();
        for (const f of frames) {
          const rec = record(f.bytes, f.t);
          decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength);
          byKey.observe(pkt, rec);
          const id = pkt.layerCount > 0 ? flows.observe(pkt, rec) : -1;
          byFlow.observe(pkt, rec, id);
        }
        const file = { format: 'pcap' as const, version: '2.4', bigEndian: false, nanosecond: false, sections: 1, interfaces: [], packets: frames.length, fileSize: 0, complete: true, error: undefined };
        expect(byFlow.build('x', file).conversations.toJSON()).toEqual(byKey.build('x', file).conversations.toJSON());
      }),
      { numRuns: 400 },
    );
  });
});

describe('conversation rows found through the flow of a packet, by example', () => {
  it('a TCP stream restarted on one VLAN moves the same 4-tuple on another VLAN to the new row', () => {
    const base = { v6: false, src: 0, dst: 1, proto: IP_PROTO.tcp, sport: 1, dport: 2, payload: 0, t: 0 };
    const frames = [
      { ...base, vlan: -1, flags: 'S', seq: 0 },
      { ...base, vlan: 7, flags: 'A', seq: 5 },
      { ...base, vlan: 7, flags: 'A', seq: 6 },
      { ...base, vlan: -1, flags: 'S', seq: 1 },
      { ...base, vlan: 7, flags: 'A', seq: 7 },
    ];
    const report = new ReportBuilder({ maxConversations: 10 });
    const flows = new FlowTable({ maxFlows: 10 });
    const pkt = new DecodedPacket();
    for (const f of frames) {
      const rec = record(frameBytes(f), f.t);
      decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength);
      report.observe(pkt, rec, flows.observe(pkt, rec));
    }
    const file = { format: 'pcap' as const, version: '2.4', bigEndian: false, nanosecond: false, sections: 1, interfaces: [], packets: frames.length, fileSize: 0, complete: true, error: undefined };
    expect(report.build('x', file).conversations.rows('tcp').map((r) => r.frames)).toEqual([3, 2]);
  });
});

describe('largest flows kept by the engine', () => {
  it('are the first N of all finished flows by bytes, earlier first on ties', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 20, maxLength: 200 }), fc.integer({ min: 0, max: 4 }), (frames, keep) => {
        // A small table and short timeouts end flows all along the capture.
        const flows = { maxFlows: 3, initialCapacity: 1, timeouts: { udp: 5, tcp: 5, icmp: 5, tcpClosed: 1 } };
        const kept = new CaptureEngine({ flows, reportFlows: keep });
        const all = new CaptureEngine({ flows, reportFlows: 1_000_000 });
        const sorted = [...frames].sort((x, y) => x.t - y.t);
        for (const f of sorted) {
          kept.packet(record(f.bytes, f.t));
          all.packet(record(f.bytes, f.t));
        }
        const file = { format: 'pcap' as const, version: '2.4', bigEndian: false, nanosecond: false, sections: 1, interfaces: [], packets: frames.length, fileSize: 0, complete: true, error: undefined };
        const a = kept.finish('x', file);
        const b = all.finish('x', file);
        expect(a.flows_total).toBe(b.flows_total);
        expect(a.flows).toEqual(b.flows.slice(0, keep));
      }),
      { numRuns: 300 },
    );
  });
});
