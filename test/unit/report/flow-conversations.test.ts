/**
 * The report counts most TCP/UDP packets in their flow's record and adds
 * them to the conversation rows when the flow leaves the table. These tests
 * hold it to the plain count, packet by packet in the rows, on traffic made
 * to hit every case: streams that start again on a 4-tuple, one 4-tuple on
 * several VLANs (one row, several flows), packets from and to one address,
 * IPv4 and IPv6, times going backwards, records without a timestamp, flows
 * ending by idle time, by the table's cap and by flush, and the fixtures'
 * tunnels, fragments and routing headers.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureReadResult } from '../../../src-capture-helper/capture-file/read-capture-file';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import type { PacketRecord } from '../../../src-capture-helper/pipeline/packet-sink';
import { ReportBuilder } from '../../../src-capture-helper/report/analyze-report';
import type { PacketSpec } from '../flows/packets';
import { decodeFrame, frameBytes } from '../flows/packets';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');

const READ: CaptureReadResult = {
  format: 'pcap', version: '2.4', bigEndian: false, nanosecond: false, sections: 0, interfaces: [], packets: 0, fileSize: 0, complete: true, error: undefined,
};

/** The same records through a report on its own (every packet counted in its rows) and one attached to a flow table. */
class Pair {
  readonly plain = new ReportBuilder();
  readonly attached = new ReportBuilder();
  readonly table: FlowTable;
  private readonly pkt = new DecodedPacket();

  constructor(maxFlows: number) {
    this.table = new FlowTable({ maxFlows, initialCapacity: 1, timeouts: { tcp: 9, udp: 5, icmp: 3, tcpClosed: 1 } });
    this.attached.attachTo(this.table);
  }

  packet(rec: PacketRecord): void {
    decodePacket(rec.linkType, rec.bytes, this.pkt, rec.wireLength, rec.offset, rec.length);
    this.plain.observe(this.pkt, rec);
    const id = this.pkt.layerCount > 0 ? this.table.observe(this.pkt, rec) : -1;
    this.attached.observe(this.pkt, rec, id);
  }

  /** Both reports, built once half the flows are still in the table. */
  reports(): [string, string] {
    return [JSON.stringify(this.plain.build('x', READ)), JSON.stringify(this.attached.build('x', READ))];
  }
}

const addr4 = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3');
const addr6 = fc.constantFrom('2001:db8::1', '2001:db8::2', '::ffff:10.0.0.1');
const spec = fc.oneof(fc.tuple(addr4, addr4), fc.tuple(addr6, addr6)).chain(([src, dst]) =>
  fc.record({
    src: fc.constant(src),
    dst: fc.constant(dst),
    proto: fc.constantFrom('tcp', 'tcp', 'udp', 'icmp'),
    sport: fc.integer({ min: 1, max: 3 }),
    dport: fc.integer({ min: 1, max: 3 }),
    flags: fc.constantFrom('S', 'S', 'SA', 'A', 'PA', 'FA', 'R', ''),
    seq: fc.integer({ min: 0, max: 4 }),
    vlan: fc.constantFrom(-1, -1, 7),
    t: fc.integer({ min: 0, max: 40_000 }).map((ms) => ms / 1000),
    payload: fc.integer({ min: 0, max: 20 }),
  }),
) as fc.Arbitrary<PacketSpec>;

describe('conversation rows counted through the flow records', () => {
  it('equal the rows counted packet by packet', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(spec, fc.integer({ min: 0, max: 9 })), { maxLength: 300 }), fc.integer({ min: 1, max: 12 }), (packets, maxFlows) => {
        const pair = new Pair(maxFlows);
        for (const [s, dice] of packets) {
          const { rec } = decodeFrame(frameBytes(s), s.t, 0);
          // Now and then a record without a timestamp, as a pcapng simple packet block.
          if (dice === 0) rec.hasTimestamp = false;
          pair.packet(rec);
        }
        const [plain, attached] = pair.reports();
        expect(attached).toBe(plain);
      }),
      { numRuns: 400 },
    );
  });

  it('follow a new stream that another flow on the same 4-tuple started (one row, two VLANs)', () => {
    const pair = new Pair(100);
    const a = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80 } as const;
    const b = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000 } as const;
    const steps: PacketSpec[] = [
      { ...a, flags: 'S', seq: 100, t: 1 },
      { ...b, flags: 'SA', seq: 500, t: 1.1 },
      { ...a, flags: 'A', seq: 101, payload: 10, t: 1.2 },
      // The same 4-tuple on VLAN 7 is another flow, but the same conversation row; then it starts a new stream.
      { ...a, vlan: 7, flags: 'A', seq: 111, t: 1.3 },
      { ...a, vlan: 7, flags: 'S', seq: 9000, t: 1.4 },
      // The first flow's next packets now count in the new row, as tshark's conversation table does.
      { ...b, flags: 'A', seq: 501, payload: 5, t: 1.5 },
      { ...a, flags: 'A', seq: 111, t: 1.6 },
    ];
    for (const s of steps) pair.packet(decodeFrame(frameBytes(s), s.t, 0).rec);
    const [plain, attached] = pair.reports();
    expect(JSON.parse(plain).conversations.tcp.map((r: { frames: number }) => r.frames)).toEqual([4, 3]);
    expect(attached).toBe(plain);
  });

  it('equal the rows counted packet by packet on every fixture, with a table small enough to evict', () => {
    const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.truth.json')).map((f) => f.slice(0, -'.truth.json'.length));
    expect(captures.length).toBeGreaterThan(30);
    for (const name of captures) {
      for (const maxFlows of [2, 1_000_000]) {
        const pair = new Pair(maxFlows);
        readCaptureFile(path.join(FIXTURES, name), pair);
        const [plain, attached] = pair.reports();
        expect(attached, `${name}, ${maxFlows} flows`).toBe(plain);
      }
    }
  });
});
