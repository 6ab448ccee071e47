import fs from 'node:fs';
import { PcapWriter } from '../../../src-capture-helper/capture-file/capture-writers';

const LINKTYPE_RAW = 101;

/** An IPv4/UDP packet from 10.0.0.1:`sourcePort` to 10.0.0.2:9999 with `payload` zero bytes. */
function udpPacket(payload: number, sourcePort = 40000): Uint8Array {
  const b = Buffer.alloc(28 + payload);
  b[0] = 0x45;
  b.writeUInt16BE(28 + payload, 2);
  b[8] = 64;
  b[9] = 17;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(b, 12);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 10);
  b.writeUInt16BE(sourcePort, 20);
  b.writeUInt16BE(9999, 22);
  b.writeUInt16BE(8 + payload, 24);
  return b;
}

/** Writes a raw-IP pcap with one UDP packet per second for `seconds` seconds; returns its size per packet. */
export function writeOnePacketPerSecond(file: string, seconds: number, payload: number): number {
  return writeUdpPacketsAt(file, Array.from({ length: seconds }, (_, s) => s), payload);
}

/** Writes a raw-IP pcap with the same UDP packet at each of the given seconds (from 1,700,000,000); returns its size. */
export function writeUdpPacketsAt(file: string, seconds: readonly number[], payload: number): number {
  const writer = new PcapWriter({ linkType: LINKTYPE_RAW });
  const data = udpPacket(payload);
  const parts: Buffer[] = [writer.header()];
  for (const s of seconds) {
    parts.push(writer.record({ ifIndex: 0, linkType: LINKTYPE_RAW, tsSec: 1_700_000_000 + s, tsNsec: 0, hasTimestamp: true, wireLength: data.length, bytes: data, offset: 0, length: data.length }));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return data.length;
}

/** Writes a raw-IP pcap where each of `flows` UDP flows (source ports 1024 up) sends one packet in each of the given
 *  seconds (from 1,700,000,000); returns the packets written. */
export function writeUdpFlowsAt(file: string, flows: number, seconds: readonly number[], payload: number): number {
  const writer = new PcapWriter({ linkType: LINKTYPE_RAW });
  const packets = Array.from({ length: flows }, (_, i) => udpPacket(payload, 1024 + i));
  const parts: Buffer[] = [writer.header()];
  for (const s of seconds) {
    packets.forEach((data, i) => {
      const tsNsec = Math.floor((i / flows) * 1e9);
      parts.push(writer.record({ ifIndex: 0, linkType: LINKTYPE_RAW, tsSec: 1_700_000_000 + s, tsNsec, hasTimestamp: true, wireLength: data.length, bytes: data, offset: 0, length: data.length }));
    });
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return flows * seconds.length;
}
