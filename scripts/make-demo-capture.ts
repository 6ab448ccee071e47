/**
 * Writes assets/demo.pcapng: one minute of a small home network (DNS, HTTP,
 * TLS with SNI, a download, pings, NTP), replayed by `netmon serve` when the
 * machine grants no capture rights. Deterministic: the same bytes every run.
 * Bulk data packets are stored truncated (headers only, 64 bytes) with their
 * full original length, as a capture with a small snaplen would, to keep the
 * file small while the counters show real volumes.
 *
 *   node dist/scripts/make-demo-capture.js [OUT]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PcapngWriter } from '../src-capture-helper/capture-file/capture-writers';
import type { PacketRecord } from '../src-capture-helper/pipeline/packet-sink';

const START_SEC = Date.UTC(2025, 0, 1, 12, 0, 0) / 1000;
const DURATION_SEC = 60;
const SNAPLEN = 64;

const HOST = '192.168.1.10';
const DNS_SERVER = '192.168.1.1';
const HOST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x10];
const GATEWAY_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

interface Packet {
  tsUs: number;
  data: Buffer;
  wireLength: number;
}

/** Small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2 === 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(src: string, dst: string, proto: number, payload: Buffer, id: number): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header.writeUInt16BE(id & 0xffff, 4);
  header.writeUInt16BE(0x4000, 6);
  header[8] = 64;
  header[9] = proto;
  Buffer.from(ipBytes(src)).copy(header, 12);
  Buffer.from(ipBytes(dst)).copy(header, 16);
  header.writeUInt16BE(checksum(header), 10);
  return Buffer.concat([header, payload]);
}

function transportChecksum(src: string, dst: string, proto: number, segment: Buffer): number {
  const pseudo = Buffer.alloc(12);
  Buffer.from(ipBytes(src)).copy(pseudo, 0);
  Buffer.from(ipBytes(dst)).copy(pseudo, 4);
  pseudo[9] = proto;
  pseudo.writeUInt16BE(segment.length, 10);
  return checksum(Buffer.concat([pseudo, segment]));
}

function ethernet(fromHost: boolean, ip: Buffer): Buffer {
  const header = Buffer.from([...(fromHost ? GATEWAY_MAC : HOST_MAC), ...(fromHost ? HOST_MAC : GATEWAY_MAC), 0x08, 0x00]);
  return Buffer.concat([header, ip]);
}

let ipId = 1;

function udp(src: string, sport: number, dst: string, dport: number, payload: Buffer): Buffer {
  const seg = Buffer.alloc(8 + payload.length);
  seg.writeUInt16BE(sport, 0);
  seg.writeUInt16BE(dport, 2);
  seg.writeUInt16BE(seg.length, 4);
  payload.copy(seg, 8);
  seg.writeUInt16BE(transportChecksum(src, dst, 17, seg) || 0xffff, 6);
  return ethernet(src === HOST, ipv4(src, dst, 17, seg, ipId++));
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

function tcp(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const seg = Buffer.alloc(20 + payload.length);
  seg.writeUInt16BE(sport, 0);
  seg.writeUInt16BE(dport, 2);
  seg.writeUInt32BE(seq >>> 0, 4);
  seg.writeUInt32BE(ack >>> 0, 8);
  seg[12] = 5 << 4;
  seg[13] = flags;
  seg.writeUInt16BE(64_240, 14);
  payload.copy(seg, 20);
  seg.writeUInt16BE(transportChecksum(src, dst, 6, seg), 16);
  return ethernet(src === HOST, ipv4(src, dst, 6, seg, ipId++));
}

function icmpEcho(src: string, dst: string, type: 0 | 8, seq: number): Buffer {
  const msg = Buffer.alloc(8 + 32);
  msg[0] = type;
  msg.writeUInt16BE(0x4e4d, 4);
  msg.writeUInt16BE(seq, 6);
  for (let i = 0; i < 32; i++) msg[8 + i] = 0x61 + (i % 23);
  msg.writeUInt16BE(checksum(msg), 2);
  return ethernet(src === HOST, ipv4(src, dst, 1, msg, ipId++));
}

function dnsName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

function dnsQuery(id: number, name: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, dnsName(name), Buffer.from([0, 1, 0, 1])]);
}

function dnsAnswer(id: number, name: string, address: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  const answer = Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]), Buffer.from(ipBytes(address))]);
  return Buffer.concat([header, dnsName(name), Buffer.from([0, 1, 0, 1]), answer]);
}

function clientHello(sni: string): Buffer {
  const name = Buffer.from(sni);
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0x0000, 0);
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const versions = Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]);
  const extensions = Buffer.concat([sniExt, versions]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 0x42),
    Buffer.from([0x00]),
    Buffer.from([0x00, 0x02, 0x13, 0x01]),
    Buffer.from([0x01, 0x00]),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, handshake.length >> 8, handshake.length & 0xff]), handshake]);
}

function build(): Packet[] {
  const rand = random(20250101);
  const packets: Packet[] = [];
  const at = (sec: number, data: Buffer, wireLength = data.length) =>
    packets.push({ tsUs: Math.round((START_SEC + sec) * 1e6), data, wireLength });

  // Name lookups, then the connections that use them.
  const sites: [string, string][] = [['example.com', '93.184.216.34'], ['updates.netmon.example', '198.51.100.7'], ['time.example.org', '203.0.113.123']];
  sites.forEach(([name, address], i) => {
    at(0.1 + i * 0.05, udp(HOST, 50_000 + i, DNS_SERVER, 53, dnsQuery(0x1000 + i, name)));
    at(0.12 + i * 0.05, udp(DNS_SERVER, 53, HOST, 50_000 + i, dnsAnswer(0x1000 + i, name, address)));
  });

  // Plain HTTP page from example.com, closed with FIN.
  const web = '93.184.216.34';
  let c = 1000;
  let s = 5000;
  at(0.5, tcp(HOST, 41_000, web, 80, c, 0, SYN, Buffer.alloc(0)));
  at(0.52, tcp(web, 80, HOST, 41_000, s, c + 1, SYN | ACK, Buffer.alloc(0)));
  at(0.53, tcp(HOST, 41_000, web, 80, ++c, ++s, ACK, Buffer.alloc(0)));
  const request = Buffer.from('GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: netmon-demo\r\nAccept: */*\r\n\r\n');
  at(0.54, tcp(HOST, 41_000, web, 80, c, s, PSH | ACK, request));
  c += request.length;
  for (let i = 0; i < 8; i++) {
    const full = tcp(web, 80, HOST, 41_000, s, c, ACK, Buffer.alloc(1448, 0x20));
    at(0.6 + i * 0.01, full.subarray(0, SNAPLEN), full.length);
    s += 1448;
  }
  at(0.7, tcp(HOST, 41_000, web, 80, c, s, ACK, Buffer.alloc(0)));
  at(0.8, tcp(HOST, 41_000, web, 80, c, s, FIN | ACK, Buffer.alloc(0)));
  at(0.82, tcp(web, 80, HOST, 41_000, s, c + 1, FIN | ACK, Buffer.alloc(0)));
  at(0.83, tcp(HOST, 41_000, web, 80, c + 1, s + 1, ACK, Buffer.alloc(0)));

  // A TLS download from updates.netmon.example lasting most of the minute, ending with a reset.
  const cdn = '198.51.100.7';
  c = 7000;
  s = 9000;
  at(1.0, tcp(HOST, 41_002, cdn, 443, c, 0, SYN, Buffer.alloc(0)));
  at(1.03, tcp(cdn, 443, HOST, 41_002, s, c + 1, SYN | ACK, Buffer.alloc(0)));
  at(1.04, tcp(HOST, 41_002, cdn, 443, ++c, ++s, ACK, Buffer.alloc(0)));
  const hello = clientHello('updates.netmon.example');
  at(1.05, tcp(HOST, 41_002, cdn, 443, c, s, PSH | ACK, hello));
  c += hello.length;
  for (let t = 1.2; t < 50; t += 0.1 + rand() * 0.1) {
    // A rate that rises and falls, so the chart has a shape.
    const burst = Math.round(1 + 2 * (1 + Math.sin(t / 6)));
    for (let k = 0; k < burst; k++) {
      const full = tcp(cdn, 443, HOST, 41_002, s, c, ACK, Buffer.alloc(1448, 0x17));
      at(t + k * 0.001, full.subarray(0, SNAPLEN), full.length);
      s += 1448;
    }
    at(t + 0.004, tcp(HOST, 41_002, cdn, 443, c, s, ACK, Buffer.alloc(0)));
  }
  at(50.5, tcp(HOST, 41_002, cdn, 443, c, s, RST | ACK, Buffer.alloc(0)));

  // Pings every second, and an NTP exchange every 16 s.
  for (let sec = 0; sec < DURATION_SEC; sec++) {
    at(sec + 0.9, icmpEcho(HOST, '1.1.1.1', 8, sec));
    at(sec + 0.912, icmpEcho('1.1.1.1', HOST, 0, sec));
  }
  for (let sec = 2; sec < DURATION_SEC; sec += 16) {
    const ntp = Buffer.alloc(48);
    ntp[0] = 0x23;
    at(sec, udp(HOST, 123, '203.0.113.123', 123, ntp));
    const reply = Buffer.alloc(48);
    reply[0] = 0x24;
    at(sec + 0.03, udp('203.0.113.123', 123, HOST, 123, reply));
  }
  return packets.sort((a, b) => a.tsUs - b.tsUs);
}

const LINKTYPE_ETHERNET = 1;

export function encodeDemoCapture(packets: Packet[]): Buffer {
  const writer = new PcapngWriter();
  const blocks = [
    writer.sectionHeader('netmon make-demo-capture'),
    // Snaplen 0: no limit for the file; the bulk packets are cut at SNAPLEN by this generator alone.
    writer.interfaceDescription({ linkType: LINKTYPE_ETHERNET, snaplen: 0, name: 'demo0' }),
  ];
  for (const p of packets) {
    const record: PacketRecord = {
      ifIndex: 0,
      linkType: LINKTYPE_ETHERNET,
      tsSec: Math.floor(p.tsUs / 1e6),
      tsNsec: (p.tsUs % 1e6) * 1000,
      hasTimestamp: true,
      wireLength: p.wireLength,
      bytes: p.data,
      offset: 0,
      length: p.data.length,
    };
    blocks.push(writer.enhancedPacket(0, record));
  }
  return Buffer.concat(blocks);
}

function main(): void {
  const out = process.argv[2] ?? path.join(__dirname, '..', '..', 'assets', 'demo.pcapng');
  const packets = build();
  const bytes = encodeDemoCapture(packets);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, bytes);
  process.stdout.write(`${out}: ${packets.length} packets, ${bytes.length} bytes\n`);
}

if (require.main === module) main();
