/**
 * Writes raw-IP captures for name attribution: DNS questions and answers,
 * pings and HTTP requests placed before and after the answers, at chosen
 * times. Checksums are computed so tshark reads the packets as sent.
 */
import fs from 'node:fs';
import { PcapWriter } from '../../../src-capture-helper/capture-file/capture-writers';

const LINKTYPE_RAW = 101;
export const CAPTURE_START = 1_700_000_000;

function v4(addr: string): number[] {
  return addr.split('.').map(Number);
}

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(proto: number, src: string, dst: string, l4: number[]): Uint8Array {
  const total = 20 + l4.length;
  const h = [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, ...v4(src), ...v4(dst)];
  const sum = checksum(h);
  h[10] = sum >> 8;
  h[11] = sum & 0xff;
  return Uint8Array.from([...h, ...l4]);
}

function pseudo(src: string, dst: string, proto: number, l4: number[]): number[] {
  return [...v4(src), ...v4(dst), 0, proto, l4.length >> 8, l4.length & 0xff, ...l4];
}

export function udp(src: string, sport: number, dst: string, dport: number, payload: number[]): Uint8Array {
  const len = 8 + payload.length;
  const l4 = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0, ...payload];
  const sum = checksum(pseudo(src, dst, 17, l4)) || 0xffff;
  l4[6] = sum >> 8;
  l4[7] = sum & 0xff;
  return ipv4(17, src, dst, l4);
}

export const SYN = 0x02;
export const ACK = 0x10;
export const PSH_ACK = 0x18;

export function tcp(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: number, payload: number[] = []): Uint8Array {
  const w = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const l4 = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...w(seq), ...w(ack), 0x50, flags, 0xff, 0xff, 0, 0, 0, 0, ...payload];
  const sum = checksum(pseudo(src, dst, 6, l4));
  l4[16] = sum >> 8;
  l4[17] = sum & 0xff;
  return ipv4(6, src, dst, l4);
}

/** ICMP echo request (type 8) or reply (type 0). */
export function echo(src: string, dst: string, type: 8 | 0, id: number, seq: number): Uint8Array {
  const l4 = [type, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff, ...new Array<number>(16).fill(0x61)];
  const sum = checksum(l4);
  l4[2] = sum >> 8;
  l4[3] = sum & 0xff;
  return ipv4(1, src, dst, l4);
}

function qname(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'ascii'));
  out.push(0);
  return out;
}

/** A DNS query for `name` (type A), or its response with one A record when `answer` is given. */
export function dns(id: number, name: string, answer?: string): number[] {
  const flags = answer === undefined ? 0x0100 : 0x8180;
  const head = [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, answer === undefined ? 0 : 1, 0, 0, 0, 0];
  const question = [...qname(name), 0, 1, 0, 1];
  const records = answer === undefined ? [] : [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...v4(answer)];
  return [...head, ...question, ...records];
}

export function httpGet(host: string): number[] {
  return [...Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: test\r\n\r\n`, 'latin1')];
}

/** A packet due `at` seconds after the capture start. */
export interface TimedPacket {
  at: number;
  bytes: Uint8Array;
}

export function writeRawCapture(file: string, packets: TimedPacket[]): void {
  const writer = new PcapWriter({ linkType: LINKTYPE_RAW });
  const parts: Buffer[] = [writer.header()];
  for (const p of [...packets].sort((x, y) => x.at - y.at)) {
    const sec = CAPTURE_START + Math.floor(p.at);
    const nsec = Math.round((p.at - Math.floor(p.at)) * 1e6) * 1000;
    parts.push(writer.record({ ifIndex: 0, linkType: LINKTYPE_RAW, tsSec: sec, tsNsec: nsec, hasTimestamp: true, wireLength: p.bytes.length, bytes: p.bytes, offset: 0, length: p.bytes.length }));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}
