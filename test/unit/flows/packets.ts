/** Test packets: Ethernet frames built from a readable spec and decoded by the real decoder. */
import { FrameBuilder, IP_PROTO } from '../../../bench/frame-builder';
import { LinkType, decodePacket } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import { ipWords, parseIp } from '../../../src-shared/ip';
import type { PacketRecord } from '../../../src-capture-helper/pipeline/packet-sink';

export interface PacketSpec {
  src: string;
  dst: string;
  proto?: keyof typeof IP_PROTO;
  sport?: number;
  dport?: number;
  /** TCP flags as letters: S, A, F, R, P. */
  flags?: string;
  seq?: number;
  vlan?: number;
  /** Seconds (fractions allowed). */
  t?: number;
  payload?: number | Uint8Array;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  ifIndex?: number;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

export function tcpFlags(letters: string): number {
  let f = 0;
  for (const c of letters) f |= FLAG_BITS[c] ?? 0;
  return f;
}

function words(text: string): Uint32Array {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`bad address ${text}`);
  const w = new Uint32Array(4);
  ipWords(bytes, w, 0);
  return w;
}

export function frameBytes(spec: PacketSpec): Uint8Array {
  const b = new FrameBuilder();
  const s = words(spec.src);
  const d = words(spec.dst);
  const v4 = s[2] === 0xffff && s[0] === 0 && s[1] === 0;
  if (v4) b.setV4(s[3], d[3]);
  else b.setV6(s, d);
  const proto = spec.proto ?? 'tcp';
  b.ipProto = proto === 'icmp' && !v4 ? IP_PROTO.icmpv6 : IP_PROTO[proto];
  b.vlan = spec.vlan ?? -1;
  b.srcPort = spec.sport ?? 0;
  b.dstPort = spec.dport ?? 0;
  b.tcpFlags = tcpFlags(spec.flags ?? 'A');
  b.seq = spec.seq ?? 1000;
  b.icmpType = spec.icmpType ?? 8;
  b.icmpCode = spec.icmpCode ?? 0;
  b.icmpId = spec.icmpId ?? 0;
  if (spec.payload instanceof Uint8Array) b.payload = spec.payload;
  else b.payloadLength = spec.payload ?? 0;
  return b.build();
}

export interface TestPacket {
  pkt: DecodedPacket;
  rec: PacketRecord;
}

/** A frame decoded from raw bytes, as a packet source would hand it over. */
export function decodeFrame(data: Uint8Array, t = 0, ifIndex = 0, linkType: number = LinkType.ethernet): TestPacket {
  const pkt = new DecodedPacket();
  decodePacket(linkType, data, pkt, data.length);
  const sec = Math.floor(t);
  const rec: PacketRecord = {
    ifIndex,
    linkType,
    tsSec: sec,
    tsNsec: Math.round((t - sec) * 1e9),
    hasTimestamp: true,
    wireLength: data.length,
    bytes: data,
    offset: 0,
    length: data.length,
  };
  return { pkt, rec };
}

export function packet(spec: PacketSpec): TestPacket {
  return decodeFrame(frameBytes(spec), spec.t ?? 0, spec.ifIndex ?? 0);
}
