/**
 * Test helper: reads the records of a small pcap or pcapng file into memory
 * and replays them through the decoder and a NameExtractor, with flow ids
 * from a plain 5-tuple map (the engine's flow table is not needed to test names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodePacket } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import type { PacketRecord } from '../../../src-capture-helper/pipeline/packet-sink';
import { NameExtractor } from '../../../src-capture-helper/names/name-extractor';

export const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');

export function readRecords(file: string): PacketRecord[] {
  const buf = readFileSync(file);
  const out: PacketRecord[] = [];
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(buf);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  for (let o = 24; o + 16 <= buf.length; ) {
    const caplen = u32(o + 8);
    if (o + 16 + caplen > buf.length) break;
    out.push(record(linkType, u32(o), buf.subarray(o + 16, o + 16 + caplen), u32(o + 12)));
    o += 16 + caplen;
  }
  return out;
}

function record(linkType: number, tsSec: number, data: Uint8Array, wireLength: number): PacketRecord {
  return { ifIndex: 0, linkType, tsSec, tsNsec: 0, hasTimestamp: true, wireLength, data };
}

function readPcapng(buf: Buffer): PacketRecord[] {
  const out: PacketRecord[] = [];
  let le = true;
  let links: number[] = [];
  for (let o = 0; o + 12 <= buf.length; ) {
    if (buf.readUInt32LE(o) === 0x0a0d0d0a) {
      le = buf.readUInt32LE(o + 8) === 0x1a2b3c4d;
      links = [];
    }
    const u32 = (p: number): number => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
    const u16 = (p: number): number => (le ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
    const type = u32(o);
    const len = u32(o + 4);
    if (len < 12 || o + len > buf.length) break;
    if (type === 1) links.push(u16(o + 8));
    else if (type === 6) {
      const caplen = u32(o + 20);
      out.push(record(links[u32(o + 8)] ?? -1, u32(o + 12), buf.subarray(o + 28, o + 28 + caplen), u32(o + 24)));
    } else if (type === 3) {
      const wire = u32(o + 8);
      out.push(record(links[0] ?? -1, 0, buf.subarray(o + 12, o + 12 + Math.min(wire, len - 16)), wire));
    }
    o += len;
  }
  return out;
}

/** Replays a capture file through a fresh extractor; returns it with the flow id of every record. */
export function replay(file: string, extractor = new NameExtractor()): { extractor: NameExtractor; flowIds: number[] } {
  const pkt = new DecodedPacket();
  const flows = new Map<string, number>();
  const flowIds: number[] = [];
  for (const rec of readRecords(file)) {
    decodePacket(rec.linkType, rec.data, pkt, rec.wireLength);
    let flowId = -1;
    if (pkt.layerCount > 0) {
      const l = pkt.layers[pkt.layerCount - 1];
      const a = `${Buffer.from(l.src).toString('hex')}/${l.srcPort}`;
      const b = `${Buffer.from(l.dst).toString('hex')}/${l.dstPort}`;
      const key = `${l.ipProto}|${a < b ? a + b : b + a}`;
      flowId = flows.get(key) ?? flows.size;
      flows.set(key, flowId);
    }
    flowIds.push(flowId);
    extractor.observe(pkt, rec, flowId);
  }
  return { extractor, flowIds };
}
