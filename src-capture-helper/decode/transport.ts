import type { IpLayer } from './decoded-packet';
import { DecodeStatus, L4Kind, NetKind } from './decoded-packet';
import { ipByVersion, ipv6 } from './ip';
import type { PacketReader } from './packet-reader';
import { gre, udpTunnel } from './tunnels';

const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
const IPPROTO_ICMPV6 = 58;

/**
 * What an IP header carries. `end`: end of the IP payload by the header's
 * length (never past the frame); `fragmented`: a first fragment, whose
 * transport header describes more than it carries; `classify`: this is the
 * header `frame.protocols` buckets the packet by.
 */
export function transport(r: PacketReader, layer: IpLayer, proto: number, off: number, end: number, fragmented: boolean, classify: boolean): void {
  const pkt = r.pkt;
  const capEnd = end < r.cap ? end : r.cap;
  layer.l4Offset = off;
  switch (proto) {
    case IPPROTO_TCP:
      layer.l4 = L4Kind.tcp;
      if (classify) pkt.l4Class = L4Kind.tcp;
      tcp(r, layer, off, end, capEnd);
      return;
    case IPPROTO_UDP:
      layer.l4 = L4Kind.udp;
      if (classify) pkt.l4Class = L4Kind.udp;
      udp(r, layer, off, end, capEnd, fragmented);
      return;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      layer.l4 = proto === IPPROTO_ICMP ? L4Kind.icmp : L4Kind.icmpv6;
      if (classify) pkt.l4Class = layer.l4;
      if (capEnd - off < 4) {
        pkt.fail(DecodeStatus.truncated, 'icmp header truncated');
        return;
      }
      layer.icmpType = r.u8(off);
      layer.icmpCode = r.u8(off + 1);
      layer.l4Valid = true;
      setPayload(layer, off + 4, end, capEnd);
      return;
    case IPPROTO_IPIP:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      ipByVersion(r, off, end);
      return;
    case IPPROTO_IPV6:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      ipv6(r, off, end, true);
      return;
    case IPPROTO_GRE:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      gre(r, off, end, capEnd);
      return;
    default:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
  }
}

function setPayload(layer: IpLayer, start: number, end: number, capEnd: number): void {
  layer.payloadOffset = start;
  layer.payloadLength = capEnd > start ? capEnd - start : 0;
  layer.payloadClaimedLength = end > start ? end - start : 0;
}

function tcp(r: PacketReader, layer: IpLayer, off: number, end: number, capEnd: number): void {
  const pkt = r.pkt;
  if (capEnd - off < 20) {
    pkt.fail(DecodeStatus.truncated, 'tcp header truncated');
    return;
  }
  layer.srcPort = r.u16(off);
  layer.dstPort = r.u16(off + 2);
  layer.tcpSeq = r.u32(off + 4);
  layer.tcpAck = r.u32(off + 8);
  layer.tcpFlags = r.u8(off + 13);
  layer.tcpWindow = r.u16(off + 14);
  const hlen = (r.u8(off + 12) >> 4) * 4;
  if (hlen < 20) {
    pkt.fail(DecodeStatus.malformed, 'tcp header length below 20');
    return;
  }
  if (off + hlen > end) {
    pkt.fail(DecodeStatus.malformed, 'tcp header longer than the segment');
    return;
  }
  if (off + hlen > capEnd) {
    pkt.fail(DecodeStatus.truncated, 'tcp options truncated');
    return;
  }
  layer.l4Valid = true;
  setPayload(layer, off + hlen, end, capEnd);
}

/**
 * UDP as tshark 4.0 takes it: a length below 8 stops it; a length of zero
 * under IPv6 is a jumbogram's (the IP payload); a length beyond the IP
 * payload is flagged but the datagram is still dissected, up to the payload's end.
 */
function udp(r: PacketReader, layer: IpLayer, off: number, end: number, capEnd: number, fragmented: boolean): void {
  const pkt = r.pkt;
  if (capEnd - off < 8) {
    pkt.fail(DecodeStatus.truncated, 'udp header truncated');
    return;
  }
  layer.srcPort = r.u16(off);
  layer.dstPort = r.u16(off + 2);
  let ulen = r.u16(off + 4);
  if (ulen === 0 && layer.net === NetKind.ipv6) ulen = end - off;
  if (ulen < 8) {
    pkt.fail(DecodeStatus.malformed, 'udp length below 8');
    return;
  }
  // A first fragment carries only part of the datagram that the length describes.
  if (off + ulen > end && !fragmented) pkt.fail(DecodeStatus.malformed, 'udp length beyond the ip payload');
  layer.l4Valid = true;
  const udpEnd = off + ulen < end ? off + ulen : end;
  const udpCapEnd = udpEnd < capEnd ? udpEnd : capEnd;
  setPayload(layer, off + 8, udpEnd, udpCapEnd);
  udpTunnel(r, layer, off + 8, udpEnd);
}
