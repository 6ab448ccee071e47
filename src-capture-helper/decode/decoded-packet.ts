/**
 * The decoder fills one DecodedPacket per record and reuses it: no allocation
 * per packet. Consumers (flow table, name extractors, reports) read the fields
 * during the same call and copy what they keep.
 */

import { PacketReader } from './packet-reader';

export const DecodeStatus = { ok: 0, truncated: 1, unsupported: 2, malformed: 3 } as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

/** Network layer of an IP layer entry. */
export const NetKind = { none: 0, ipv4: 4, ipv6: 6 } as const;
export type NetKind = (typeof NetKind)[keyof typeof NetKind];

/** Transport carried directly by an IP header (IPv6 extension headers skipped). */
export const L4Kind = { none: 0, tcp: 1, udp: 2, icmp: 3, icmpv6: 4, other: 5 } as const;
export type L4Kind = (typeof L4Kind)[keyof typeof L4Kind];

export const TcpFlag = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ece: 0x40, cwr: 0x80 } as const;

/**
 * One IP header found in the packet, with what it carries. Layer 0 is the
 * outermost; tunnels (IP-in-IP, 6in4, GRE, VXLAN, GENEVE, Teredo, GTP-U) add
 * inner layers. Addresses are 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
 */
export class IpLayer {
  net: NetKind = NetKind.none;
  /** Index of the IP header in the decoded buffer (offsets count from the buffer, not the record: see decodePacket). */
  netOffset = 0;
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  /** IPv4 addresses as unsigned 32-bit numbers (valid when net === ipv4), for fast hashing. */
  src4 = 0;
  dst4 = 0;
  /** Final IP protocol number after IPv6 extension headers. */
  ipProto = 0;
  /** Hop limit / TTL. */
  ttl = 0;
  /** IPv4 total length or IPv6 payload length + 40, as the header says. */
  ipLength = 0;
  /** True for any IPv4 or IPv6 fragment; first = fragment offset 0. */
  isFragment = false;
  isFirstFragment = true;
  moreFragments = false;
  fragmentId = 0;

  l4: L4Kind = L4Kind.none;
  /** True when the transport header was fully dissected (tshark would tap it in conversation tables). */
  l4Valid = false;
  l4Offset = 0;
  srcPort = 0;
  dstPort = 0;
  /** ICMP/ICMPv6 type and code (valid when l4 is icmp or icmpv6). */
  icmpType = 0;
  icmpCode = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** Transport payload: index in the decoded buffer and bytes available in the capture. */
  payloadOffset = 0;
  payloadLength = 0;
  /** Payload length the headers claim (may exceed what was captured). */
  payloadClaimedLength = 0;

  /**
   * True when the IP header itself was fully dissected, so tshark would list it in
   * `-z conv,ip|ipv6` (IPv6: only once the extension-header chain reached a payload,
   * so never for a non-first fragment).
   */
  ipValid = false;
  /**
   * An IPv4 source-route option or an IPv6 routing header names a final
   * destination (`finalDst`): TCP/UDP conversations use it, and so does
   * IPv4's conversation (IPv6's keeps the header's destination).
   */
  routed = false;
  readonly finalDst = new Uint8Array(16);
  finalDst4 = 0;
  /** An IPv6 home-address destination option replaces the source for TCP/UDP (`homeSrc`). */
  hasHomeSrc = false;
  readonly homeSrc = new Uint8Array(16);
}

export const MAX_IP_LAYERS = 4;

export class DecodedPacket {
  status: DecodeStatus = DecodeStatus.ok;
  /** Short reason for non-ok status (a constant string, never built per packet). */
  reason = '';
  /** Outermost 802.1Q/802.1ad VLAN id, or -1 without a tag. */
  vlan = -1;
  /** EtherType (or equivalent) of the outermost network layer; 0 when unknown. */
  etherType = 0;
  readonly layers: IpLayer[] = Array.from({ length: MAX_IP_LAYERS }, () => new IpLayer());
  /** Number of valid entries in `layers`; 0 for non-IP frames. */
  layerCount = 0;
  /**
   * Protocol classification the way tshark's `frame.protocols` puts it: the
   * outermost network dissector (`ip` stays ipv4 even when it hands an IPv6
   * header on) and what that header carries directly (`none` when the IP header
   * could not be dissected, `other` for non-first fragments, GRE, ESP...).
   */
  l3Class: NetKind = NetKind.none;
  l4Class: L4Kind = L4Kind.none;
  /** The cursor the decoder reads this packet's buffer through (see PacketReader). */
  readonly reader = new PacketReader(this);

  /** Records the first problem found; later ones do not replace it. */
  fail(status: DecodeStatus, reason: string): void {
    if (this.status === DecodeStatus.ok) {
      this.status = status;
      this.reason = reason;
    }
  }

  reset(): void {
    this.status = DecodeStatus.ok;
    this.reason = '';
    this.vlan = -1;
    this.etherType = 0;
    this.layerCount = 0;
    this.l3Class = NetKind.none;
    this.l4Class = L4Kind.none;
  }

  /** The outermost IP layer, or undefined for a non-IP frame. */
  get outer(): IpLayer | undefined {
    return this.layerCount > 0 ? this.layers[0] : undefined;
  }
}
