import { DecodeStatus } from './decoded-packet';
import { ipByVersion, ipv6 } from './ip';
import type { PacketReader } from './packet-reader';
import { pppProtocol } from './ppp';
import { mpls } from './tunnels';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_PPPOE_SESSION = 0x8864;
export const ETH_MPLS = 0x8847;
export const ETH_MPLS_MC = 0x8848;
export const ETH_TEB = 0x6558;
const MAX_LINK_TAGS = 8;

export function ethernet(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 14)) {
    r.pkt.fail(DecodeStatus.truncated, 'ethernet header truncated');
    return;
  }
  etherType(r, r.u16(off + 12), off + 14, end);
}

/**
 * Dispatch on an EtherType (an 802.3 length up to 1500 means an LLC header
 * follows), peeling VLAN tags; PPPoE sessions, MPLS and bridged Ethernet go
 * on to their decoders. Every other EtherType (ARP, LLDP, AoE...) is a valid
 * frame that carries no IP.
 */
export function etherType(r: PacketReader, type: number, off: number, end: number): void {
  const pkt = r.pkt;
  for (let tags = 0; tags < MAX_LINK_TAGS; tags++) {
    if (pkt.layerCount === 0) pkt.etherType = type;
    switch (type) {
      case ETH_IPV4:
        ipByVersion(r, off, end);
        return;
      case ETH_IPV6:
        ipv6(r, off, end, true);
        return;
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD:
        if (!r.has(off, 4)) {
          pkt.fail(DecodeStatus.truncated, 'vlan tag truncated');
          return;
        }
        if (pkt.vlan < 0 && pkt.layerCount === 0) pkt.vlan = r.u16(off) & 0x0fff;
        type = r.u16(off + 2);
        off += 4;
        break;
      case ETH_PPPOE_SESSION:
        if (!r.has(off, 6)) {
          pkt.fail(DecodeStatus.truncated, 'pppoe header truncated');
          return;
        }
        pppProtocol(r, off + 6, end);
        return;
      case ETH_MPLS:
      case ETH_MPLS_MC:
        mpls(r, off, end);
        return;
      case ETH_TEB:
        ethernet(r, off, end);
        return;
      default:
        if (type <= 1500) llc(r, off, end);
        return;
    }
  }
  pkt.fail(DecodeStatus.malformed, 'too many vlan tags');
}

const OUI_ENCAP_ETHER = 0x000000;
const OUI_CISCO_90 = 0x0000f8;
const OUI_IEEE_802_1 = 0x0080c2;
const BPID_ETH_WITH_FCS = 0x0001;
const BPID_ETH = 0x0007;

/**
 * 802.2 LLC: only SNAP carries IP. An EtherType OUI names the EtherType that
 * follows; the 802.1 OUI carries a bridged Ethernet frame (RFC 2684) after two
 * pad bytes, with or without its FCS.
 */
export function llc(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 8) || r.u8(off) !== 0xaa || r.u8(off + 1) !== 0xaa || r.u8(off + 2) !== 0x03) return;
  const oui = (r.u8(off + 3) << 16) | r.u16(off + 4);
  const pid = r.u16(off + 6);
  if (oui === OUI_ENCAP_ETHER || oui === OUI_CISCO_90) {
    etherType(r, pid, off + 8, end);
  } else if (oui === OUI_IEEE_802_1 && (pid === BPID_ETH || pid === BPID_ETH_WITH_FCS)) {
    if (pid === BPID_ETH_WITH_FCS) {
      if (end - (off + 10) < 4) return;
      end -= 4;
      if (r.cap > end) r.cap = end;
    }
    ethernet(r, off + 10, end);
  }
}

const IPOIB_PSEUDO_HEADER = 40;

/**
 * IP over InfiniBand as Linux captures it: a 40-byte pseudo-header (global
 * route header or destination address), then an EtherType and two reserved bytes.
 */
export function ipoib(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, IPOIB_PSEUDO_HEADER + 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'ipoib header truncated');
    return;
  }
  const type = r.u16(off + IPOIB_PSEUDO_HEADER);
  r.pkt.etherType = type;
  const p = off + IPOIB_PSEUDO_HEADER + 4;
  if (type === ETH_IPV4) ipByVersion(r, p, end);
  else if (type === ETH_IPV6) ipv6(r, p, end, true);
}
