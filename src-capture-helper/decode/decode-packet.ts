import type { DecodedPacket, IpLayer } from './decoded-packet';
import { DecodeStatus, L4Kind, MAX_IP_LAYERS, NetKind } from './decoded-packet';

/** LINKTYPE_* values the decoder understands. */
export const LinkType = {
  null: 0,
  ethernet: 1,
  ppp: 9,
  pppHdlc: 50,
  rawOpenBsd: 12,
  rawBsdOs: 14,
  raw: 101,
  cHdlc: 104,
  ieee80211: 105,
  loop: 108,
  linuxSll: 113,
  ieee80211Radiotap: 127,
  ipv4: 228,
  ipv6: 229,
  linuxSll2: 276,
} as const;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_TEB = 0x6558;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const MAX_LINK_TAGS = 8;
const MAX_IPV6_EXT_HEADERS = 16;

const UDP_VXLAN = 4789;
const UDP_GENEVE = 6081;
const UDP_TEREDO = 3544;
const UDP_GTPU = 2152;

// The packet being decoded. Module state instead of arguments keeps the hot
// path free of closures and allocation; decodePacket is not re-entrant and
// calls no user code.
let d: Uint8Array = new Uint8Array(0);
let cap = 0;
let pkt: DecodedPacket;

/**
 * Decode one captured record into `out` (reused). Never throws on packet
 * bytes: problems are reported in `out.status`/`out.reason`. The record is
 * `data[offset, offset + length)`, and every offset in `out` is an index into
 * `data` (a capture file's records are decoded where they lie in the read
 * buffer). `wireLength` is the record's original length; tshark's "reported
 * length" checks (IP total length, UDP length) are made against it.
 */
export function decodePacket(linkType: number, data: Uint8Array, out: DecodedPacket, wireLength = data.length, offset = 0, length = data.length - offset): void {
  out.reset();
  d = data;
  cap = offset + length;
  pkt = out;
  const s = offset;
  const rep = s + (wireLength > length ? wireLength : length);
  switch (linkType) {
    case LinkType.ethernet:
      ethernet(s, rep);
      break;
    case LinkType.linuxSll:
      linuxSll(s, rep);
      break;
    case LinkType.linuxSll2:
      linuxSll2(s, rep);
      break;
    case LinkType.raw:
    case LinkType.rawOpenBsd:
    case LinkType.rawBsdOs:
      rawIp(s, rep);
      break;
    case LinkType.ipv4:
      ipByVersion(s, rep);
      break;
    case LinkType.ipv6:
      ipv6(s, rep, true);
      break;
    case LinkType.null:
      nullLoopback(s, rep, false);
      break;
    case LinkType.loop:
      nullLoopback(s, rep, true);
      break;
    case LinkType.ppp:
    case LinkType.pppHdlc:
      pppHdlc(s, rep);
      break;
    case LinkType.cHdlc:
      ciscoHdlc(s, rep);
      break;
    case LinkType.ieee80211:
      ieee80211(s, rep, false);
      break;
    case LinkType.ieee80211Radiotap:
      radiotap(s, rep);
      break;
    default:
      problem(DecodeStatus.unsupported, 'unsupported link type');
  }
}

function problem(status: DecodeStatus, reason: string): void {
  if (pkt.status === DecodeStatus.ok) {
    pkt.status = status;
    pkt.reason = reason;
  }
}

function u16(o: number): number {
  return (d[o] << 8) | d[o + 1];
}

function u32(o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

function ethernet(off: number, end: number): void {
  if (cap - off < 14) {
    problem(DecodeStatus.truncated, 'ethernet header truncated');
    return;
  }
  etherType(u16(off + 12), off + 14, end);
}

/** Dispatch on an EtherType, peeling VLAN tags, PPPoE session, MPLS and LLC/SNAP headers. */
function etherType(type: number, off: number, end: number): void {
  for (let tags = 0; tags < MAX_LINK_TAGS; tags++) {
    if (pkt.layerCount === 0) pkt.etherType = type;
    switch (type) {
      case ETH_IPV4:
        ipByVersion(off, end);
        return;
      case ETH_IPV6:
        ipv6(off, end, true);
        return;
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD:
        if (cap - off < 4) {
          problem(DecodeStatus.truncated, 'vlan tag truncated');
          return;
        }
        if (pkt.vlan < 0 && pkt.layerCount === 0) pkt.vlan = u16(off) & 0x0fff;
        type = u16(off + 2);
        off += 4;
        if (type <= 1500) {
          llc(off, end);
          return;
        }
        break;
      case ETH_PPPOE_SESSION: {
        if (cap - off < 8) {
          problem(DecodeStatus.truncated, 'pppoe header truncated');
          return;
        }
        const ppp = u16(off + 6);
        if (ppp === PPP_IPV4) ipByVersion(off + 8, end);
        else if (ppp === PPP_IPV6) ipv6(off + 8, end, true);
        return;
      }
      case ETH_MPLS:
      case ETH_MPLS_MC:
        mpls(off, end);
        return;
      case ETH_TEB:
        ethernet(off, end);
        return;
      default:
        // Every other EtherType (ARP, LLDP, AoE, ...) is a valid non-IP frame.
        return;
    }
  }
  problem(DecodeStatus.malformed, 'too many vlan tags');
}

/** 802.2 LLC; only SNAP with a zero OUI carries an EtherType we follow. */
function llc(off: number, end: number): void {
  if (cap - off >= 8 && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03 && d[off + 3] === 0 && d[off + 4] === 0 && d[off + 5] === 0) {
    etherType(u16(off + 6), off + 8, end);
  }
}

function mpls(off: number, end: number): void {
  for (;;) {
    if (cap - off < 4) {
      problem(DecodeStatus.truncated, 'mpls label truncated');
      return;
    }
    const bottom = (d[off + 2] & 0x01) !== 0;
    off += 4;
    if (bottom) break;
  }
  if (cap - off < 1) return;
  const version = d[off] >> 4;
  if (version === 4) ipByVersion(off, end);
  else if (version === 6) ipv6(off, end, true);
}

function ethernetOrLlc(type: number, off: number, end: number): void {
  if (type <= 1500) llc(off, end);
  else etherType(type, off, end);
}

function linuxSll(off: number, end: number): void {
  if (cap - off < 16) {
    problem(DecodeStatus.truncated, 'linux cooked header truncated');
    return;
  }
  if (u16(off + 2) === ARPHRD_NETLINK) return;
  ethernetOrLlc(u16(off + 14), off + 16, end);
}

function linuxSll2(off: number, end: number): void {
  if (cap - off < 20) {
    problem(DecodeStatus.truncated, 'linux cooked v2 header truncated');
    return;
  }
  if (u16(off + 8) === ARPHRD_NETLINK) return;
  ethernetOrLlc(u16(off), off + 20, end);
}

const ARPHRD_NETLINK = 824;

function rawIp(off: number, end: number): void {
  if (cap - off < 2) {
    problem(DecodeStatus.truncated, 'raw ip packet truncated');
    return;
  }
  // PPP in HDLC-like framing, as tshark's raw dissector checks first.
  if (d[off] === 0xff && d[off + 1] === 0x03) return;
  const version = d[off] >> 4;
  if (version === 4) ipByVersion(off, end);
  else if (version === 6) ipv6(off, end, true);
  else problem(DecodeStatus.malformed, 'raw packet is neither ipv4 nor ipv6');
}

const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/** BSD loopback: a 4-byte address family in the capturing host's byte order (LOOP: always big-endian). */
function nullLoopback(off: number, end: number, bigEndian: boolean): void {
  if (cap - off < 4) {
    problem(DecodeStatus.truncated, 'loopback header truncated');
    return;
  }
  let family = bigEndian ? u32(off) : (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
  if (!bigEndian && (family & 0xffff0000) !== 0) family = u32(off);
  if (family > 1500) {
    // Some old BSDs put an EtherType here.
    etherType(family & 0xffff, off + 4, end);
    return;
  }
  switch (family) {
    case AF_INET:
      ipByVersion(off + 4, end);
      return;
    case AF_INET6_BSD:
    case AF_INET6_FREEBSD:
    case AF_INET6_DARWIN:
      ipv6(off + 4, end, true);
      return;
    default:
      return;
  }
}

const CHDLC_UNICAST = 0x0f;
const CHDLC_MULTICAST = 0x8f;

/**
 * PPP as tshark's `ppp_hdlc` takes it for both link types: a Cisco HDLC
 * address byte hands over to C_HDLC, 0xff starts the address/control pair,
 * otherwise they were compressed away.
 */
function pppHdlc(off: number, end: number): void {
  if (cap - off < 1) {
    problem(DecodeStatus.truncated, 'ppp header truncated');
    return;
  }
  const first = d[off];
  if (first === CHDLC_UNICAST || first === CHDLC_MULTICAST) {
    ciscoHdlc(off, end);
    return;
  }
  pppProtocol(first === 0xff ? off + 2 : off, end);
}

const PPP_MPLS = 0x0281;
const PPP_MPLS_MC = 0x0283;

/** The PPP protocol field: one byte when its low bit is set (protocol-field compression). */
function pppProtocol(off: number, end: number): void {
  if (cap - off < 1) {
    problem(DecodeStatus.truncated, 'ppp protocol truncated');
    return;
  }
  let proto = d[off];
  let len = 1;
  if ((proto & 0x01) === 0) {
    if (cap - off < 2) {
      problem(DecodeStatus.truncated, 'ppp protocol truncated');
      return;
    }
    proto = u16(off);
    len = 2;
  }
  switch (proto) {
    case PPP_IPV4:
      pkt.etherType = ETH_IPV4;
      ipByVersion(off + len, end);
      return;
    case PPP_IPV6:
      pkt.etherType = ETH_IPV6;
      ipv6(off + len, end, true);
      return;
    case PPP_MPLS:
    case PPP_MPLS_MC:
      pkt.etherType = proto === PPP_MPLS ? ETH_MPLS : ETH_MPLS_MC;
      mpls(off + len, end);
      return;
    default:
      // LCP, IPCP, CHAP, compressed datagrams...: valid PPP frames that carry no IP header.
      return;
  }
}

/** Cisco HDLC: address, control, then an EtherType-valued protocol. */
function ciscoHdlc(off: number, end: number): void {
  if (cap - off < 4) {
    problem(DecodeStatus.truncated, 'cisco hdlc header truncated');
    return;
  }
  const type = u16(off + 2);
  pkt.etherType = type;
  switch (type) {
    case ETH_IPV4:
      ipByVersion(off + 4, end);
      return;
    case ETH_IPV6:
      ipv6(off + 4, end, true);
      return;
    case ETH_MPLS:
    case ETH_MPLS_MC:
      mpls(off + 4, end);
      return;
    default:
      // SLARP, CDP, OSI...: not IP.
      return;
  }
}

const WLAN_TYPE_DATA = 2;
const WLAN_FLAG_TO_DS = 0x01;
const WLAN_FLAG_FROM_DS = 0x02;
const WLAN_FLAG_PROTECTED = 0x40;
const WLAN_FLAG_ORDER = 0x80;
const WLAN_QOS_AMSDU = 0x80;

/**
 * An 802.11 frame without FCS (tshark's default for LINKTYPE_IEEE802_11).
 * Only unprotected data frames with a body can carry IP; `datapad`: radiotap
 * says the body starts on a 4-byte boundary.
 */
function ieee80211(off: number, end: number, datapad: boolean): void {
  if (cap - off < 2) {
    problem(DecodeStatus.truncated, '802.11 frame control truncated');
    return;
  }
  const fc0 = d[off];
  const flags = d[off + 1];
  if ((fc0 & 0x03) !== 0 || ((fc0 >> 2) & 0x03) !== WLAN_TYPE_DATA) return;
  const subtype = fc0 >> 4;
  // Subtypes with bit 2 set (null, CF-Ack/Poll without data, QoS null) have no body.
  if ((subtype & 0x04) !== 0) return;
  const qos = (subtype & 0x08) !== 0;
  let hlen = 24;
  if ((flags & (WLAN_FLAG_TO_DS | WLAN_FLAG_FROM_DS)) === (WLAN_FLAG_TO_DS | WLAN_FLAG_FROM_DS)) hlen += 6;
  if (qos) {
    hlen += 2;
    // The order bit on a QoS data frame announces an HT control field.
    if ((flags & WLAN_FLAG_ORDER) !== 0) hlen += 4;
  }
  if (cap - off < hlen) {
    problem(DecodeStatus.truncated, '802.11 header truncated');
    return;
  }
  if ((flags & WLAN_FLAG_PROTECTED) !== 0) return;
  if (qos && (d[off + hlen - ((flags & WLAN_FLAG_ORDER) !== 0 ? 6 : 2)] & WLAN_QOS_AMSDU) !== 0) {
    problem(DecodeStatus.unsupported, '802.11 a-msdu not decoded');
    return;
  }
  if (datapad) hlen = (hlen + 3) & ~3;
  llc(off + hlen, end);
}

const RADIOTAP_FLAGS_FCS = 0x10;
const RADIOTAP_FLAGS_DATAPAD = 0x20;

/**
 * Radiotap: skip it_len bytes. The flags field (present bit 1) comes right
 * after the presence words and an optional 8-aligned TSFT, so it is read to
 * drop a trailing FCS and honour data padding; later fields are not needed.
 */
function radiotap(off: number, end: number): void {
  if (cap - off < 8) {
    problem(DecodeStatus.truncated, 'radiotap header truncated');
    return;
  }
  // Offsets within the header (`len`, `p`) count from its start: its fields are aligned to it.
  const len = d[off + 2] | (d[off + 3] << 8);
  if (len < 8) {
    problem(DecodeStatus.malformed, 'radiotap length below 8');
    return;
  }
  if (len > cap - off) {
    problem(DecodeStatus.truncated, 'radiotap header truncated');
    return;
  }
  const present = d[off + 4];
  // Further presence words follow while bit 31 is set.
  let p = 4;
  while ((d[off + p + 3] & 0x80) !== 0) {
    p += 4;
    if (p + 4 > len) {
      problem(DecodeStatus.malformed, 'radiotap presence words beyond its length');
      return;
    }
  }
  p += 4;
  let rflags = 0;
  if ((present & 0x02) !== 0) {
    if ((present & 0x01) !== 0) p = ((p + 7) & ~7) + 8;
    if (p >= len) {
      problem(DecodeStatus.malformed, 'radiotap flags beyond its length');
      return;
    }
    rflags = d[off + p];
  }
  if ((rflags & RADIOTAP_FLAGS_FCS) !== 0) {
    if (end - (off + len) < 4) {
      problem(DecodeStatus.malformed, 'radiotap frame shorter than its fcs');
      return;
    }
    end -= 4;
    if (cap > end) cap = end;
  }
  ieee80211(off + len, end, (rflags & RADIOTAP_FLAGS_DATAPAD) !== 0);
}

function newLayer(): IpLayer | undefined {
  if (pkt.layerCount >= MAX_IP_LAYERS) {
    problem(DecodeStatus.unsupported, 'too many nested ip headers');
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

function copy16(dst: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++) dst[i] = d[o + i];
}

/** tshark's `ip` dissector: looks at the version nibble and hands IPv6 on to `ipv6`. */
function ipByVersion(off: number, end: number): void {
  const outermost = pkt.layerCount === 0;
  if (outermost) pkt.l3Class = NetKind.ipv4;
  if (cap - off < 1) {
    problem(DecodeStatus.truncated, 'ip header truncated');
    return;
  }
  const version = d[off] >> 4;
  if (version === 4) {
    ipv4(off, end);
  } else if (version === 6) {
    if (outermost) pkt.l4Class = L4Kind.other;
    ipv6(off, end, false);
  } else {
    problem(DecodeStatus.malformed, 'bad ip version');
  }
}

function ipv4(off: number, end: number): void {
  const layer = newLayer();
  if (layer === undefined) return;
  const outermost = pkt.layerCount === 1;
  layer.net = NetKind.ipv4;
  layer.netOffset = off;
  if (cap - off < 20) {
    problem(DecodeStatus.truncated, 'ipv4 header truncated');
    return;
  }
  const hlen = (d[off] & 0x0f) * 4;
  if (hlen < 20) {
    problem(DecodeStatus.malformed, 'ipv4 header length below 20');
    return;
  }
  let total = u16(off + 2);
  // A zero total length is what TCP segmentation offload leaves: use the frame.
  if (total === 0) total = end - off;
  else if (total < hlen) {
    problem(DecodeStatus.malformed, 'ipv4 total length below header length');
    return;
  }
  if (off + hlen > cap) {
    problem(DecodeStatus.truncated, 'ipv4 options truncated');
    return;
  }
  const frag = u16(off + 6);
  const fragOffset = (frag & 0x1fff) * 8;
  layer.fragmentId = u16(off + 4);
  layer.moreFragments = (frag & 0x2000) !== 0;
  layer.isFragment = layer.moreFragments || fragOffset !== 0;
  layer.isFirstFragment = fragOffset === 0;
  layer.ttl = d[off + 8];
  layer.ipProto = d[off + 9];
  layer.ipLength = total;
  layer.src4 = u32(off + 12);
  layer.dst4 = u32(off + 16);
  setMapped(layer.src, layer.src4);
  setMapped(layer.dst, layer.dst4);
  if (hlen > 20) ipv4Options(layer, off + 20, off + hlen);
  layer.ipValid = true;
  const ipEnd = off + total < end ? off + total : end;
  if (!layer.isFirstFragment) {
    layer.l4 = L4Kind.other;
    if (outermost) pkt.l4Class = L4Kind.other;
    return;
  }
  transport(layer, layer.ipProto, off + hlen, ipEnd, layer.isFragment, outermost);
}

const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_LSRR = 0x83;
const IPOPT_SSRR = 0x89;

/** Finds a loose/strict source route: its last address is the final destination. */
function ipv4Options(layer: IpLayer, o: number, end: number): void {
  while (o < end) {
    const type = d[o];
    if (type === IPOPT_EOL) return;
    if (type === IPOPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = d[o + 1];
    if (len < 2 || o + len > end) return;
    if ((type === IPOPT_LSRR || type === IPOPT_SSRR) && len >= 7) {
      layer.routed = true;
      layer.finalDst4 = u32(o + len - 4);
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

/** `ownClass`: this IPv6 header is the outermost network dissector (not reached through `ip`). */
function ipv6(off: number, end: number, ownClass: boolean): void {
  const layer = newLayer();
  if (layer === undefined) return;
  const outermost = pkt.layerCount === 1;
  if (outermost && ownClass) pkt.l3Class = NetKind.ipv6;
  const classify = outermost && ownClass;
  layer.net = NetKind.ipv6;
  layer.netOffset = off;
  if (cap - off < 40) {
    problem(DecodeStatus.truncated, 'ipv6 header truncated');
    return;
  }
  if (d[off] >> 4 !== 6) {
    problem(DecodeStatus.malformed, 'ipv6 header with another version');
    return;
  }
  const plen = u16(off + 4);
  let next = d[off + 6];
  layer.ttl = d[off + 7];
  layer.ipLength = plen + 40;
  copy16(layer.src, off + 8);
  copy16(layer.dst, off + 24);
  // Payload length 0 is a jumbogram (or offload): the frame decides.
  const ipEnd = plen === 0 || off + 40 + plen > end ? end : off + 40 + plen;
  const capEnd = ipEnd < cap ? ipEnd : cap;
  let p = off + 40;
  let fragmented = false;
  for (let n = 0; n < MAX_IPV6_EXT_HEADERS; n++) {
    if (next !== IPV6_HOPOPTS && next !== IPV6_ROUTING && next !== IPV6_FRAGMENT && next !== IPV6_DSTOPTS) break;
    if (next === IPV6_FRAGMENT) {
      if (p + 8 > capEnd) {
        problem(DecodeStatus.truncated, 'ipv6 fragment header truncated');
        return;
      }
      const fo = u16(p + 2);
      layer.isFragment = true;
      layer.moreFragments = (fo & 1) !== 0;
      layer.isFirstFragment = (fo & 0xfff8) === 0;
      layer.fragmentId = u32(p + 4);
      layer.ipProto = d[p];
      if (!layer.isFirstFragment) {
        // tshark taps neither IPv6 nor the transport for a non-first fragment.
        layer.l4 = L4Kind.other;
        if (classify) pkt.l4Class = L4Kind.other;
        return;
      }
      fragmented = layer.moreFragments;
      next = d[p];
      p += 8;
      continue;
    }
    if (p + 2 > capEnd) {
      problem(DecodeStatus.truncated, 'ipv6 extension header truncated');
      return;
    }
    const len = (d[p + 1] + 1) * 8;
    if (p + len > capEnd) {
      problem(p + len > ipEnd ? DecodeStatus.malformed : DecodeStatus.truncated, 'ipv6 extension header truncated');
      return;
    }
    if (next === IPV6_ROUTING) ipv6Routing(layer, p, len);
    else if (next === IPV6_DSTOPTS) ipv6HomeAddress(layer, p + 2, p + len);
    next = d[p];
    p += len;
  }
  layer.ipProto = next;
  layer.ipValid = true;
  transport(layer, next, p, ipEnd, fragmented, classify);
}

function ipv6Routing(layer: IpLayer, p: number, len: number): void {
  const type = d[p + 2];
  const segmentsLeft = d[p + 3];
  if (segmentsLeft === 0 || len < 24) return;
  let at = -1;
  if (type === 0) at = p + 8 + 16 * ((len - 8) / 16 - 1);
  else if (type === 2) at = p + 8;
  else if (type === 4) at = p + 8;
  if (at < 0) return;
  layer.routed = true;
  copy16(layer.finalDst, at);
}

function ipv6HomeAddress(layer: IpLayer, o: number, end: number): void {
  while (o < end) {
    const type = d[o];
    if (type === 0) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = d[o + 1];
    if (o + 2 + len > end) return;
    if (type === IPV6_OPT_HOME_ADDRESS && len === 16) {
      layer.hasHomeSrc = true;
      copy16(layer.homeSrc, o + 2);
    }
    o += 2 + len;
  }
}

const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
const IPPROTO_ICMPV6 = 58;

function transport(layer: IpLayer, proto: number, off: number, end: number, fragmented: boolean, classify: boolean): void {
  const capEnd = end < cap ? end : cap;
  layer.l4Offset = off;
  switch (proto) {
    case IPPROTO_TCP:
      layer.l4 = L4Kind.tcp;
      if (classify) pkt.l4Class = L4Kind.tcp;
      tcp(layer, off, end, capEnd);
      return;
    case IPPROTO_UDP:
      layer.l4 = L4Kind.udp;
      if (classify) pkt.l4Class = L4Kind.udp;
      udp(layer, off, end, capEnd, fragmented);
      return;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      layer.l4 = proto === IPPROTO_ICMP ? L4Kind.icmp : L4Kind.icmpv6;
      if (classify) pkt.l4Class = layer.l4;
      if (capEnd - off < 4) {
        problem(DecodeStatus.truncated, 'icmp header truncated');
        return;
      }
      layer.icmpType = d[off];
      layer.icmpCode = d[off + 1];
      layer.l4Valid = true;
      setPayload(layer, off + 4, end, capEnd);
      return;
    case IPPROTO_IPIP:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      ipByVersion(off, end);
      return;
    case IPPROTO_IPV6:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      ipv6(off, end, true);
      return;
    case IPPROTO_GRE:
      layer.l4 = L4Kind.other;
      if (classify) pkt.l4Class = L4Kind.other;
      gre(off, end, capEnd);
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

function tcp(layer: IpLayer, off: number, end: number, capEnd: number): void {
  if (capEnd - off < 20) {
    problem(DecodeStatus.truncated, 'tcp header truncated');
    return;
  }
  layer.srcPort = u16(off);
  layer.dstPort = u16(off + 2);
  layer.tcpSeq = u32(off + 4);
  layer.tcpAck = u32(off + 8);
  layer.tcpFlags = d[off + 13];
  layer.tcpWindow = u16(off + 14);
  const hlen = (d[off + 12] >> 4) * 4;
  if (hlen < 20) {
    problem(DecodeStatus.malformed, 'tcp header length below 20');
    return;
  }
  if (off + hlen > end) {
    problem(DecodeStatus.malformed, 'tcp header longer than the segment');
    return;
  }
  if (off + hlen > capEnd) {
    problem(DecodeStatus.truncated, 'tcp options truncated');
    return;
  }
  layer.l4Valid = true;
  setPayload(layer, off + hlen, end, capEnd);
}

function udp(layer: IpLayer, off: number, end: number, capEnd: number, fragmented: boolean): void {
  if (capEnd - off < 8) {
    problem(DecodeStatus.truncated, 'udp header truncated');
    return;
  }
  layer.srcPort = u16(off);
  layer.dstPort = u16(off + 2);
  const ulen = u16(off + 4);
  if (ulen < 8) {
    problem(DecodeStatus.malformed, 'udp length below 8');
    return;
  }
  // A first fragment carries only part of the datagram that the length describes.
  if (off + ulen > end && !fragmented) {
    problem(DecodeStatus.malformed, 'udp length beyond the ip payload');
    return;
  }
  layer.l4Valid = true;
  const udpEnd = off + ulen < end ? off + ulen : end;
  const udpCapEnd = udpEnd < capEnd ? udpEnd : capEnd;
  setPayload(layer, off + 8, udpEnd, udpCapEnd);
  udpTunnel(layer, off + 8, udpEnd);
}

/** UDP tunnels by port, lower port first as tshark's UDP dissector tries them. */
function udpTunnel(layer: IpLayer, p: number, end: number): void {
  const low = layer.srcPort < layer.dstPort ? layer.srcPort : layer.dstPort;
  const high = layer.srcPort < layer.dstPort ? layer.dstPort : layer.srcPort;
  if (!udpTunnelPort(low, p, end)) udpTunnelPort(high, p, end);
}

function udpTunnelPort(port: number, p: number, end: number): boolean {
  switch (port) {
    case UDP_VXLAN:
      if (cap - p >= 8) ethernet(p + 8, end);
      return true;
    case UDP_GENEVE:
      geneve(p, end);
      return true;
    case UDP_GTPU:
      gtpu(p, end);
      return true;
    case UDP_TEREDO:
      teredo(p, end);
      return true;
    default:
      return false;
  }
}

function geneve(p: number, end: number): void {
  if (cap - p < 8) return;
  const inner = p + 8 + (d[p] & 0x3f) * 4;
  const type = u16(p + 2);
  if (type === ETH_TEB) ethernet(inner, end);
  else if (type === ETH_IPV4) ipByVersion(inner, end);
  else if (type === ETH_IPV6) ipv6(inner, end, true);
}

const GTP_GPDU = 0xff;

function gtpu(p: number, end: number): void {
  if (cap - p < 8) return;
  const flags = d[p];
  if (flags >> 5 !== 1 || d[p + 1] !== GTP_GPDU) return;
  let hlen = 8;
  if ((flags & 0x07) !== 0) {
    if (cap - p < 12) return;
    hlen = 12;
    if ((flags & 0x04) !== 0) {
      let nextType = d[p + 11];
      while (nextType !== 0) {
        if (p + hlen >= cap) return;
        const extLen = d[p + hlen] * 4;
        if (extLen === 0 || p + hlen + extLen > cap) return;
        nextType = d[p + hlen + extLen - 1];
        hlen += extLen;
      }
    }
  }
  const inner = p + hlen;
  if (inner >= cap) return;
  const version = d[inner] >> 4;
  if (version === 4) ipByVersion(inner, end);
  else if (version === 6) ipv6(inner, end, true);
}

function teredo(p: number, end: number): void {
  if (cap - p >= 4 && u16(p) === 0x0001) {
    // Authentication indicator: id and auth value lengths, then nonce (8) and confirmation (1).
    p += 4 + d[p + 2] + d[p + 3] + 9;
  }
  if (cap - p >= 2 && u16(p) === 0x0000) p += 8;
  if (cap - p >= 40 && d[p] >> 4 === 6) ipv6(p, end, true);
}

const GRE_PPP = 0x880b;

function gre(off: number, end: number, capEnd: number): void {
  if (capEnd - off < 4) {
    problem(DecodeStatus.truncated, 'gre header truncated');
    return;
  }
  const flags = u16(off);
  const version = flags & 0x07;
  const type = u16(off + 2);
  // Source routing (R) makes the header variable-length; such packets are not followed.
  if ((flags & 0x4000) !== 0) return;
  let p = off + 4;
  if ((flags & 0x8000) !== 0) p += 4;
  if ((flags & 0x2000) !== 0) p += 4;
  if ((flags & 0x1000) !== 0) p += 4;
  if (version === 1 && (flags & 0x0080) !== 0) p += 4;
  if (p > capEnd) {
    problem(DecodeStatus.truncated, 'gre header truncated');
    return;
  }
  if (type === GRE_PPP) {
    if (capEnd - p < 4) return;
    // Enhanced GRE carries PPP, usually with address/control bytes.
    if (d[p] === 0xff && d[p + 1] === 0x03) p += 2;
    const ppp = u16(p);
    if (ppp === PPP_IPV4) ipByVersion(p + 2, end);
    else if (ppp === PPP_IPV6) ipv6(p + 2, end, true);
    return;
  }
  if (type === ETH_IPV4) ipByVersion(p, end);
  else if (type === ETH_IPV6) ipv6(p, end, true);
  else if (type === ETH_TEB) ethernet(p, end);
}
