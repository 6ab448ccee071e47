/**
 * Test helper: builds raw IPv4/IPv6 packets (LINKTYPE_RAW) with UDP or TCP
 * payloads, and hands them to a NameExtractor through the real decoder.
 */
import { decodePacket, LinkType } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import type { NameExtractor } from '../../../src-capture-helper/names/name-extractor';

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;
export const TCP_PSH = 0x08;

export interface Endpoints {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

function v4(addr: string): number[] {
  return addr.split('.').map(Number);
}

function ipv4(proto: number, e: Endpoints, l4: Uint8Array, opts: { id?: number; fragOffset?: number; more?: boolean } = {}): Uint8Array {
  const total = 20 + l4.length;
  const h = [0x45, 0, total >> 8, total & 0xff, (opts.id ?? 1) >> 8, (opts.id ?? 1) & 0xff];
  const frag = ((opts.fragOffset ?? 0) / 8) | (opts.more ? 0x2000 : 0);
  h.push(frag >> 8, frag & 0xff, 64, proto, 0, 0, ...v4(e.src), ...v4(e.dst));
  return Uint8Array.from([...h, ...l4]);
}

export function udpHeader(e: Endpoints, payload: Uint8Array): Uint8Array {
  const len = 8 + payload.length;
  return Uint8Array.from([e.sport >> 8, e.sport & 0xff, e.dport >> 8, e.dport & 0xff, len >> 8, len & 0xff, 0, 0, ...payload]);
}

export function udp4(e: Endpoints, payload: Uint8Array): Uint8Array {
  return ipv4(17, e, udpHeader(e, payload));
}

export function tcp4(e: Endpoints, seq: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = [e.sport >> 8, e.sport & 0xff, e.dport >> 8, e.dport & 0xff];
  h.push((seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0);
  return ipv4(6, e, Uint8Array.from([...h, ...payload]));
}

/** Splits the IPv4 payload of `packet` (a whole datagram) into fragments of `chunk` bytes (a multiple of 8). */
export function fragment4(packet: Uint8Array, chunk: number, id: number): Uint8Array[] {
  const proto = packet[9];
  const e: Endpoints = { src: [...packet.subarray(12, 16)].join('.'), dst: [...packet.subarray(16, 20)].join('.'), sport: 0, dport: 0 };
  const body = packet.subarray(20);
  const out: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += chunk) {
    out.push(ipv4(proto, e, body.subarray(off, off + chunk), { id, fragOffset: off, more: off + chunk < body.length }));
  }
  return out;
}

/** Hex dump to bytes: whitespace ignored, `//` starts a comment that runs to the end of the line. */
export function hex(s: string): Uint8Array {
  const digits = s.replace(/\/\/.*$/gm, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex fixture: ${digits}`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** Feeds raw IP packets through the decoder into the extractor, all on flow `flowId`. */
export class Feeder {
  private readonly pkt = new DecodedPacket();
  sec = 1_700_000_000;

  constructor(private readonly extractor: NameExtractor) {}

  feed(data: Uint8Array, flowId: number): void {
    decodePacket(LinkType.raw, data, this.pkt);
    this.extractor.observe(this.pkt, { ifIndex: 0, linkType: LinkType.raw, tsSec: this.sec, tsNsec: 0, hasTimestamp: true, wireLength: data.length, bytes: data, offset: 0, length: data.length }, flowId);
  }
}

/**
 * A TLS ClientHello record (TLS 1.2 layout) with an optional server_name
 * extension and `padding` bytes of an extra extension to make it large.
 */
export function clientHello(sni: string | undefined, padding = 0): Uint8Array {
  const ext: number[] = [];
  if (sni !== undefined) {
    const name = [...Buffer.from(sni, 'latin1')];
    const entry = [0, name.length >> 8, name.length & 0xff, ...name]; // host_name(0), length, name
    const list = [entry.length >> 8, entry.length & 0xff, ...entry];
    ext.push(0, 0, list.length >> 8, list.length & 0xff, ...list); // server_name(0)
  }
  if (padding > 0) ext.push(0, 21, padding >> 8, padding & 0xff, ...new Array<number>(padding).fill(0)); // padding(21)
  const body = [
    3, 3, // legacy_version TLS 1.2
    ...new Array<number>(32).fill(7), // random
    0, // session id length
    0, 2, 0x13, 0x01, // one cipher suite
    1, 0, // null compression
    ext.length >> 8, ext.length & 0xff, ...ext,
  ];
  const hs = [1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body]; // ClientHello
  return handshakeRecords(Uint8Array.from(hs), 16384);
}

/** Wraps handshake bytes in TLS handshake records of at most `maxRecord` bytes each. */
export function handshakeRecords(hs: Uint8Array, maxRecord: number): Uint8Array {
  const out: number[] = [];
  for (let o = 0; o < hs.length; o += maxRecord) {
    const part = hs.subarray(o, o + maxRecord);
    out.push(22, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  return Uint8Array.from(out);
}
