import type { IpLayer } from './decoded-packet';
import { DecodeStatus, L4Kind, MAX_IP_LAYERS, NetKind } from './decoded-packet';
import type { PacketReader } from './packet-reader';
import { transport } from './transport';

const MAX_IPV6_EXT_HEADERS = 16;

function newLayer(r: PacketReader): IpLayer | undefined {
  const pkt = r.pkt;
  if (pkt.layerCount >= MAX_IP_LAYERS) {
    pkt.fail(DecodeStatus.unsupported, 'too many nested ip headers');
    return undefined;
  }
  const layer = pkt.layers[pkt.layerCount++];
  layer.net = NetKind.none;
  layer.ipProto = 0;
  layer.ttl = 0;
  layer.ipLength = 0;
  layer.isFragment = false;
  layer.isFirstFragment = true;
  layer.moreFragments = false;
  layer.fragmentId = 0;
  layer.l4 = L4Kind.none;
  layer.l4Valid = false;
  layer.l4Offset = 0;
  layer.srcPort = 0;
  layer.dstPort = 0;
  layer.icmpType = 0;
  layer.icmpCode = 0;
  layer.tcpFlags = 0;
  layer.tcpSeq = 0;
  layer.tcpAck = 0;
  layer.tcpWindow = 0;
  layer.payloadOffset = 0;
  layer.payloadLength = 0;
  layer.payloadClaimedLength = 0;
  layer.ipValid = false;
  layer.routed = false;
  layer.hasHomeSrc = false;
  return layer;
}

function setMapped(dst: Uint8Array, v: number): void {
  for (let i = 0; i < 10; i++) dst[i] = 0;
  dst[10] = 0xff;
  dst[11] = 0xff;
  dst[12] = v >>> 24;
  dst[13] = (v >>> 16) & 0xff;
  dst[14] = (v >>> 8) & 0xff;
  dst[15] = v & 0xff;
}

/** tshark's `ip` dissector: looks at the version nibble and hands IPv6 on to `ipv6`. */
export function ipByVersion(r: PacketReader, off: number, end: number): void {
  const pkt = r.pkt;
  const outermost = pkt.layerCount === 0;
  if (outermost) pkt.l3Class = NetKind.ipv4;
  if (!r.has(off, 1)) {
    pkt.fail(DecodeStatus.truncated, 'ip header truncated');
    return;
  }
  const version = r.u8(off) >> 4;
  if (version === 4) {
    ipv4(r, off, end);
  } else if (version === 6) {
    if (outermost) pkt.l4Class = L4Kind.other;
    ipv6(r, off, end, false);
  } else {
    pkt.fail(DecodeStatus.malformed, 'bad ip version');
  }
}

function ipv4(r: PacketReader, off: number, end: number): void {
  const layer = newLayer(r);
  if (layer === undefined) return;
  const pkt = r.pkt;
  const outermost = pkt.layerCount === 1;
  layer.net = NetKind.ipv4;
  layer.netOffset = off;
  if (!r.has(off, 20)) {
    pkt.fail(DecodeStatus.truncated, 'ipv4 header truncated');
    return;
  }
  const hlen = (r.u8(off) & 0x0f) * 4;
  if (hlen < 20) {
    pkt.fail(DecodeStatus.malformed, 'ipv4 header length below 20');
    return;
  }
  let total = r.u16(off + 2);
  // A zero total length is what TCP segmentation offload leaves: use the frame.
  if (total === 0) total = end - off;
  else if (total < hlen) {
    pkt.fail(DecodeStatus.malformed, 'ipv4 total length below header length');
    return;
  }
  if (!r.has(off, hlen)) {
    pkt.fail(DecodeStatus.truncated, 'ipv4 options truncated');
    return;
  }
  const frag = r.u16(off + 6);
  const fragOffset = (frag & 0x1fff) * 8;
  layer.fragmentId = r.u16(off + 4);
  layer.moreFragments = (frag & 0x2000) !== 0;
  layer.isFragment = layer.moreFragments || fragOffset !== 0;
  layer.isFirstFragment = fragOffset === 0;
  layer.ttl = r.u8(off + 8);
  layer.ipProto = r.u8(off + 9);
  layer.ipLength = total;
  layer.src4 = r.u32(off + 12);
  layer.dst4 = r.u32(off + 16);
  setMapped(layer.src, layer.src4);
  setMapped(layer.dst, layer.dst4);
  if (hlen > 20) ipv4Options(r, layer, off + 20, off + hlen);
  layer.ipValid = true;
  const ipEnd = off + total < end ? off + total : end;
  if (!layer.isFirstFragment) {
    layer.l4 = L4Kind.other;
    if (outermost) pkt.l4Class = L4Kind.other;
    return;
  }
  transport(r, layer, layer.ipProto, off + hlen, ipEnd, layer.isFragment, outermost);
}

const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_LSRR = 0x83;
const IPOPT_SSRR = 0x89;

/** Finds a loose/strict source route: its last address is the final destination. */
function ipv4Options(r: PacketReader, layer: IpLayer, o: number, end: number): void {
  while (o < end) {
    const type = r.u8(o);
    if (type === IPOPT_EOL) return;
    if (type === IPOPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = r.u8(o + 1);
    if (len < 2 || o + len > end) return;
    if ((type === IPOPT_LSRR || type === IPOPT_SSRR) && len >= 7) {
      layer.routed = true;
      layer.finalDst4 = r.u32(o + len - 4);
      setMapped(layer.finalDst, layer.finalDst4);
    }
    o += len;
  }
}

const IPV6_HOPOPTS = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DSTOPTS = 60;
const IPV6_OPT_HOME_ADDRESS = 201;

/**
 * `ownClass`: this IPv6 header is the outermost network dissector (not reached
 * through `ip`). Called for IPv6 by an EtherType or a family, tshark's `ipv6`
 * dissector refuses a header of another version: nothing is IPv6 then.
 */
export function ipv6(r: PacketReader, off: number, end: number, ownClass: boolean): void {
  const pkt = r.pkt;
  if (r.has(off, 1) && r.u8(off) >> 4 !== 6) {
    pkt.fail(DecodeStatus.malformed, 'ipv6 header with another version');
    return;
  }
  const layer = newLayer(r);
  if (layer === undefined) return;
  const outermost = pkt.layerCount === 1;
  if (outermost && ownClass) pkt.l3Class = NetKind.ipv6;
  const classify = outermost && ownClass;
  layer.net = NetKind.ipv6;
  layer.netOffset = off;
  if (!r.has(off, 40)) {
    pkt.fail(DecodeStatus.truncated, 'ipv6 header truncated');
    return;
  }
  const plen = r.u16(off + 4);
  let next = r.u8(off + 6);
  layer.ttl = r.u8(off + 7);
  layer.ipLength = plen + 40;
  r.copy16(layer.src, off + 8);
  r.copy16(layer.dst, off + 24);
  // Payload length 0 is a jumbogram (or offload): the frame decides.
  const ipEnd = plen === 0 || off + 40 + plen > end ? end : off + 40 + plen;
  const capEnd = ipEnd < r.cap ? ipEnd : r.cap;
  let p = off + 40;
  let fragmented = false;
  for (let n = 0; n < MAX_IPV6_EXT_HEADERS; n++) {
    if (next !== IPV6_HOPOPTS && next !== IPV6_ROUTING && next !== IPV6_FRAGMENT && next !== IPV6_DSTOPTS) break;
    if (next === IPV6_FRAGMENT) {
      if (p + 8 > capEnd) {
        pkt.fail(DecodeStatus.truncated, 'ipv6 fragment header truncated');
        return;
      }
      const fo = r.u16(p + 2);
      layer.isFragment = true;
      layer.moreFragments = (fo & 1) !== 0;
      layer.isFirstFragment = (fo & 0xfff8) === 0;
      layer.fragmentId = r.u32(p + 4);
      layer.ipProto = r.u8(p);
      if (!layer.isFirstFragment) {
        // tshark taps neither IPv6 nor the transport for a non-first fragment.
        layer.l4 = L4Kind.other;
        if (classify) pkt.l4Class = L4Kind.other;
        return;
      }
      fragmented = layer.moreFragments;
      next = r.u8(p);
      p += 8;
      continue;
    }
    if (p + 2 > capEnd) {
      pkt.fail(DecodeStatus.truncated, 'ipv6 extension header truncated');
      return;
    }
    const len = (r.u8(p + 1) + 1) * 8;
    if (p + len > capEnd) {
      pkt.fail(p + len > ipEnd ? DecodeStatus.malformed : DecodeStatus.truncated, 'ipv6 extension header truncated');
      return;
    }
    if (next === IPV6_ROUTING) ipv6Routing(r, layer, p, len);
    else if (next === IPV6_DSTOPTS) ipv6HomeAddress(r, layer, p + 2, p + len);
    next = r.u8(p);
    p += len;
  }
  layer.ipProto = next;
  layer.ipValid = true;
  transport(r, layer, next, p, ipEnd, fragmented, classify);
}

function ipv6Routing(r: PacketReader, layer: IpLayer, p: number, len: number): void {
  const type = r.u8(p + 2);
  const segmentsLeft = r.u8(p + 3);
  if (segmentsLeft === 0 || len < 24) return;
  let at = -1;
  if (type === 0) at = p + 8 + 16 * ((len - 8) / 16 - 1);
  else if (type === 2) at = p + 8;
  else if (type === 4) at = p + 8;
  if (at < 0) return;
  layer.routed = true;
  r.copy16(layer.finalDst, at);
}

function ipv6HomeAddress(r: PacketReader, layer: IpLayer, o: number, end: number): void {
  while (o < end) {
    const type = r.u8(o);
    if (type === 0) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = r.u8(o + 1);
    if (o + 2 + len > end) return;
    if (type === IPV6_OPT_HOME_ADDRESS && len === 16) {
      layer.hasHomeSrc = true;
      r.copy16(layer.homeSrc, o + 2);
    }
    o += 2 + len;
  }
}
