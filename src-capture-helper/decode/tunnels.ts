/** Tunnels and shims: GRE (with ERSPAN, WCCP, enhanced GRE/PPTP), MPLS with pseudowires, and UDP tunnels. */
import type { IpLayer } from './decoded-packet';
import { DecodeStatus } from './decoded-packet';
import { ETH_IPV4, ETH_IPV6, ETH_MPLS, ETH_MPLS_MC, ETH_TEB, ethernet } from './ethernet';
import { ipByVersion, ipv6 } from './ip';
import type { PacketReader } from './packet-reader';
import { pppProtocol } from './ppp';

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_ACK = 0x0080;
const GRE_PPP = 0x880b;
const GRE_ERSPAN = 0x88be;
const GRE_ERSPAN3 = 0x22eb;
const GRE_WCCP = 0x883e;

/**
 * GRE as tshark 4.0 reads it: checksum and offset when C or R is set, key,
 * sequence number, an acknowledgment only in enhanced GRE (version 1)
 * carrying PPP, then the source route entries (until the null entry); the
 * protocol type picks what follows from GRE's own table (not every EtherType).
 */
export function gre(r: PacketReader, off: number, end: number, capEnd: number): void {
  if (capEnd - off < 4) {
    r.pkt.fail(DecodeStatus.truncated, 'gre header truncated');
    return;
  }
  const flags = r.u16(off);
  const type = r.u16(off + 2);
  let p = off + 4;
  if ((flags & (GRE_CHECKSUM | GRE_ROUTING)) !== 0) p += 4;
  if ((flags & GRE_KEY) !== 0) p += 4;
  if ((flags & GRE_SEQUENCE) !== 0) p += 4;
  if ((flags & 0x07) === 1 && type === GRE_PPP && (flags & GRE_ACK) !== 0) p += 4;
  if ((flags & GRE_ROUTING) !== 0) {
    for (;;) {
      if (p + 4 > capEnd) {
        r.pkt.fail(DecodeStatus.truncated, 'gre source route truncated');
        return;
      }
      const family = r.u16(p);
      const length = r.u8(p + 3);
      p += 4;
      if (family === 0 && length === 0) break;
      p += length;
    }
  }
  if (p > capEnd) {
    r.pkt.fail(DecodeStatus.truncated, 'gre header truncated');
    return;
  }
  switch (type) {
    case ETH_IPV4:
      ipByVersion(r, p, end);
      return;
    case ETH_IPV6:
      ipv6(r, p, end, true);
      return;
    case ETH_TEB:
      ethernet(r, p, end);
      return;
    case ETH_MPLS:
    case ETH_MPLS_MC:
      mpls(r, p, end);
      return;
    case GRE_PPP:
      if (r.has(p, 2) && r.u8(p) === 0xff && r.u8(p + 1) === 0x03) p += 2;
      pppProtocol(r, p, end);
      return;
    case GRE_ERSPAN:
      // Type II has a header, announced by GRE's sequence number; type I has none.
      if ((flags & GRE_SEQUENCE) !== 0) p += 8;
      ethernet(r, p, end);
      return;
    case GRE_ERSPAN3:
      erspan3(r, p, end);
      return;
    case GRE_WCCP:
      // WCCPv2 adds a 4-byte redirect header; WCCPv1 has the IPv4 header right here.
      if (r.has(p, 1) && r.u8(p) >> 4 !== 4) p += 4;
      ipByVersion(r, p, end);
      return;
    default:
      return;
  }
}

const ERSPAN3_HEADER = 12;
const ERSPAN3_SUBHEADER = 8;
const ERSPAN3_FRAME_IP = 2;

/** ERSPAN type III: 12 bytes, an optional 8-byte platform subheader (O bit), Ethernet or IP by the frame type. */
function erspan3(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, ERSPAN3_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'erspan header truncated');
    return;
  }
  const last = r.u16(off + 10);
  const frameType = (last >> 10) & 0x1f;
  const p = off + ERSPAN3_HEADER + ((last & 0x0001) !== 0 ? ERSPAN3_SUBHEADER : 0);
  if (frameType === ERSPAN3_FRAME_IP) ipByVersion(r, p, end);
  else if (frameType === 0) ethernet(r, p, end);
}

const MPLS_LABEL_GAL = 13;
const ACH_IPV4 = 0x0021;
const ACH_IPV6 = 0x0057;

/**
 * An MPLS label stack, then what tshark 4.0 guesses from the first nibble
 * after the bottom label: 4 IPv4, 6 IPv6, 1 an associated channel (as after
 * the GAL label), 0 an Ethernet pseudowire; anything else is data.
 */
export function mpls(r: PacketReader, off: number, end: number): void {
  let label = 0;
  for (;;) {
    if (!r.has(off, 4)) {
      r.pkt.fail(DecodeStatus.truncated, 'mpls label truncated');
      return;
    }
    label = r.u32(off) >>> 12;
    const bottom = (r.u8(off + 2) & 0x01) !== 0;
    off += 4;
    if (bottom) break;
  }
  if (!r.has(off, 1)) return;
  if (label === MPLS_LABEL_GAL) {
    associatedChannel(r, off, end);
    return;
  }
  switch (r.u8(off) >> 4) {
    case 4:
      ipByVersion(r, off, end);
      return;
    case 6:
      ipv6(r, off, end, true);
      return;
    case 1:
      associatedChannel(r, off, end);
      return;
    case 0:
      ethernetPseudowire(r, off, end);
      return;
    default:
      return;
  }
}

/** Pseudowire associated channel header: nibble 1, version, reserved, channel type. */
function associatedChannel(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 4)) return;
  const channel = r.u16(off + 2);
  if (channel === ACH_IPV4) ipByVersion(r, off + 4, end);
  else if (channel === ACH_IPV6) ipv6(r, off + 4, end, true);
}

/**
 * An Ethernet pseudowire, with or without the 4-byte control word. tshark
 * decides by whether the first 12 bytes are two addresses of known vendors;
 * without its vendor table this takes a frame that starts with two zero
 * bytes (a control word without flags or length) as having a control word.
 */
function ethernetPseudowire(r: PacketReader, off: number, end: number): void {
  if (r.has(off, 2) && r.u16(off) === 0) ethernet(r, off + 4, end);
  else ethernet(r, off, end);
}

const UDP_VXLAN = 4789;
const UDP_GENEVE = 6081;
const UDP_TEREDO = 3544;
const UDP_GTPU = 2152;

/** UDP tunnels by port, lower port first as tshark's UDP dissector tries them. */
export function udpTunnel(r: PacketReader, layer: IpLayer, p: number, end: number): void {
  const low = layer.srcPort < layer.dstPort ? layer.srcPort : layer.dstPort;
  const high = layer.srcPort < layer.dstPort ? layer.dstPort : layer.srcPort;
  if (!udpTunnelPort(r, low, p, end)) udpTunnelPort(r, high, p, end);
}

function udpTunnelPort(r: PacketReader, port: number, p: number, end: number): boolean {
  switch (port) {
    case UDP_VXLAN:
      if (r.has(p, 8)) ethernet(r, p + 8, end);
      return true;
    case UDP_GENEVE:
      geneve(r, p, end);
      return true;
    case UDP_GTPU:
      gtpu(r, p, end);
      return true;
    case UDP_TEREDO:
      teredo(r, p, end);
      return true;
    default:
      return false;
  }
}

function geneve(r: PacketReader, p: number, end: number): void {
  if (!r.has(p, 8)) return;
  const inner = p + 8 + (r.u8(p) & 0x3f) * 4;
  const type = r.u16(p + 2);
  if (type === ETH_TEB) ethernet(r, inner, end);
  else if (type === ETH_IPV4) ipByVersion(r, inner, end);
  else if (type === ETH_IPV6) ipv6(r, inner, end, true);
}

const GTP_GPDU = 0xff;

function gtpu(r: PacketReader, p: number, end: number): void {
  if (!r.has(p, 8)) return;
  const flags = r.u8(p);
  if (flags >> 5 !== 1 || r.u8(p + 1) !== GTP_GPDU) return;
  let hlen = 8;
  if ((flags & 0x07) !== 0) {
    if (!r.has(p, 12)) return;
    hlen = 12;
    if ((flags & 0x04) !== 0) {
      let nextType = r.u8(p + 11);
      while (nextType !== 0) {
        if (!r.has(p + hlen, 1)) return;
        const extLen = r.u8(p + hlen) * 4;
        if (extLen === 0 || !r.has(p + hlen, extLen)) return;
        nextType = r.u8(p + hlen + extLen - 1);
        hlen += extLen;
      }
    }
  }
  const inner = p + hlen;
  if (!r.has(inner, 1)) return;
  const version = r.u8(inner) >> 4;
  if (version === 4) ipByVersion(r, inner, end);
  else if (version === 6) ipv6(r, inner, end, true);
}

function teredo(r: PacketReader, p: number, end: number): void {
  if (r.has(p, 4) && r.u16(p) === 0x0001) {
    // Authentication indicator: id and auth value lengths, then nonce (8) and confirmation (1).
    p += 4 + r.u8(p + 2) + r.u8(p + 3) + 9;
  }
  if (r.has(p, 2) && r.u16(p) === 0x0000) p += 8;
  if (r.has(p, 40) && r.u8(p) >> 4 === 6) ipv6(r, p, end, true);
}
