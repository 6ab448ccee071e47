import { DecodeStatus } from './decoded-packet';
import { ethernet, ipoib, llc } from './ethernet';
import { ipByVersion, ipv6 } from './ip';
import type { PacketReader } from './packet-reader';
import { enc, ipnet, nflog, nullLoopback, pflog, pktap, rawIp, sunAtm } from './capture-headers';
import { linuxSll, linuxSll2 } from './linux-cooked';
import { ciscoHdlc, pppEther, pppHdlc } from './ppp';
import { avs, ieee80211, ppi, prism, radiotap } from './wireless';

/**
 * LINKTYPE_* values the decoder understands, with the other numbers that
 * Wireshark's reader maps to the same encapsulation (DLT values some systems
 * write, as tshark 4.0 reads them). PKTAP and PPI name a link type per packet
 * and come back through `decodeLink`.
 */
export const LinkType = {
  null: 0,
  ethernet: 1,
  ppp: 9,
  rawOpenBsd: 12,
  /** OpenBSD writes DLT_ENC as 13. */
  encOpenBsd: 13,
  rawBsdOs: 14,
  /** Linux ATM classical IP (DLT_ATM_CLIP 19, LINKTYPE_ATM_CLIP 106). */
  atmClipLinux: 19,
  pppHdlc: 50,
  pppEther: 51,
  atmRfc1483: 100,
  raw: 101,
  cHdlc: 104,
  ieee80211: 105,
  atmClip: 106,
  loop: 108,
  enc: 109,
  /** BSD/OS writes Cisco HDLC as 112. */
  cHdlcBsdOs: 112,
  linuxSll: 113,
  pflog: 117,
  ieee80211Prism: 119,
  sunAtm: 123,
  ieee80211Radiotap: 127,
  /** DLT_USER2: macOS writes PKTAP with it, and tshark dissects it as PKTAP. */
  pktapDarwin: 149,
  ieee80211Avs: 163,
  ppi: 192,
  pppWithDir: 204,
  ipnet: 226,
  ipv4: 228,
  ipv6: 229,
  nflog: 239,
  ipoib: 242,
  pktap: 258,
  linuxSll2: 276,
} as const;

/** Decode the frame at `off` as link type `linkType`; `end` is where the frame's reported length ends. */
export function decodeLink(r: PacketReader, linkType: number, off: number, end: number): void {
  switch (linkType) {
    case LinkType.ethernet:
      ethernet(r, off, end);
      return;
    case LinkType.linuxSll:
      linuxSll(r, off, end);
      return;
    case LinkType.linuxSll2:
      linuxSll2(r, off, end);
      return;
    case LinkType.raw:
    case LinkType.rawOpenBsd:
    case LinkType.rawBsdOs:
      rawIp(r, off, end);
      return;
    case LinkType.ipv4:
    case LinkType.atmClip:
    case LinkType.atmClipLinux:
      ipByVersion(r, off, end);
      return;
    case LinkType.ipv6:
      ipv6(r, off, end, true);
      return;
    case LinkType.null:
      nullLoopback(r, off, end, false);
      return;
    case LinkType.loop:
      nullLoopback(r, off, end, true);
      return;
    case LinkType.ppp:
    case LinkType.pppHdlc:
      pppHdlc(r, off, end);
      return;
    case LinkType.pppWithDir:
      // A direction byte, which Wireshark's reader takes off as a pseudo-header.
      if (r.has(off, 1)) pppHdlc(r, off + 1, end);
      return;
    case LinkType.pppEther:
      pppEther(r, off, end);
      return;
    case LinkType.cHdlc:
    case LinkType.cHdlcBsdOs:
      ciscoHdlc(r, off, end);
      return;
    case LinkType.atmRfc1483:
      llc(r, off, end);
      return;
    case LinkType.sunAtm:
      sunAtm(r, off, end);
      return;
    case LinkType.ieee80211:
      ieee80211(r, off, end, false);
      return;
    case LinkType.ieee80211Radiotap:
      radiotap(r, off, end);
      return;
    case LinkType.ieee80211Prism:
      prism(r, off, end);
      return;
    case LinkType.ieee80211Avs:
      avs(r, off, end);
      return;
    case LinkType.ppi:
      ppi(r, off, end);
      return;
    case LinkType.pktap:
    case LinkType.pktapDarwin:
      pktap(r, off, end);
      return;
    case LinkType.nflog:
      nflog(r, off, end);
      return;
    case LinkType.ipoib:
      ipoib(r, off, end);
      return;
    case LinkType.pflog:
      pflog(r, off, end);
      return;
    case LinkType.enc:
    case LinkType.encOpenBsd:
      enc(r, off, end);
      return;
    case LinkType.ipnet:
      ipnet(r, off, end);
      return;
    default:
      r.pkt.fail(DecodeStatus.unsupported, 'unsupported link type');
  }
}
