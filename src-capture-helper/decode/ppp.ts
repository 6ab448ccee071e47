import { DecodeStatus } from './decoded-packet';
import { ETH_IPV4, ETH_IPV6, ETH_MPLS, ETH_MPLS_MC, etherType } from './ethernet';
import { ipByVersion, ipv6 } from './ip';
import type { PacketReader } from './packet-reader';
import { mpls } from './tunnels';

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;
const PPP_MPLS_MC = 0x0283;
const CHDLC_UNICAST = 0x0f;
const CHDLC_MULTICAST = 0x8f;

/**
 * PPP as tshark's `ppp_hdlc` takes it: a Cisco HDLC address byte hands over
 * to C_HDLC, 0xff starts the address/control pair, otherwise they were
 * compressed away.
 */
export function pppHdlc(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 1)) {
    r.pkt.fail(DecodeStatus.truncated, 'ppp header truncated');
    return;
  }
  const first = r.u8(off);
  if (first === CHDLC_UNICAST || first === CHDLC_MULTICAST) {
    ciscoHdlc(r, off, end);
    return;
  }
  pppProtocol(r, first === 0xff ? off + 2 : off, end);
}

/**
 * The PPP protocol field, one byte when its low bit is set (protocol-field
 * compression), and what it carries. Used by every PPP framing: HDLC-like,
 * PPPoE, enhanced GRE (PPTP).
 */
export function pppProtocol(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 1)) {
    r.pkt.fail(DecodeStatus.truncated, 'ppp protocol truncated');
    return;
  }
  let proto = r.u8(off);
  let len = 1;
  if ((proto & 0x01) === 0) {
    if (!r.has(off, 2)) {
      r.pkt.fail(DecodeStatus.truncated, 'ppp protocol truncated');
      return;
    }
    proto = r.u16(off);
    len = 2;
  }
  const pkt = r.pkt;
  switch (proto) {
    case PPP_IPV4:
      if (pkt.layerCount === 0) pkt.etherType = ETH_IPV4;
      ipByVersion(r, off + len, end);
      return;
    case PPP_IPV6:
      if (pkt.layerCount === 0) pkt.etherType = ETH_IPV6;
      ipv6(r, off + len, end, true);
      return;
    case PPP_MPLS:
    case PPP_MPLS_MC:
      if (pkt.layerCount === 0) pkt.etherType = proto === PPP_MPLS ? ETH_MPLS : ETH_MPLS_MC;
      mpls(r, off + len, end);
      return;
    default:
      // LCP, IPCP, CHAP, compressed datagrams...: valid PPP frames that carry no IP header.
      return;
  }
}

/** Cisco HDLC: address, control, then an EtherType. */
export function ciscoHdlc(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'cisco hdlc header truncated');
    return;
  }
  const type = r.u16(off + 2);
  // SLARP, CDP, OSI...: not IP; and no LLC after a Cisco HDLC header.
  if (type > 1500) etherType(r, type, off + 4, end);
}

/** LINKTYPE_PPP_ETHER: a PPPoE session header without the Ethernet header. */
export function pppEther(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 6)) {
    r.pkt.fail(DecodeStatus.truncated, 'pppoe header truncated');
    return;
  }
  pppProtocol(r, off + 6, end);
}
