/**
 * Headers that capturing systems put in front of a packet instead of (or
 * before) its link-layer header: BSD loopback and raw IP, Apple's PKTAP,
 * Linux NFLOG, OpenBSD pflog and enc, Solaris ipnet, SunATM. Each follows
 * tshark 4.0's dissector for it.
 */
import { DecodeStatus } from './decoded-packet';
import { ethernet, etherType, llc } from './ethernet';
import { ipByVersion, ipv6 } from './ip';
import { decodeLink } from './link-types';
import type { PacketReader } from './packet-reader';

export function rawIp(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 2)) {
    r.pkt.fail(DecodeStatus.truncated, 'raw ip packet truncated');
    return;
  }
  // PPP in HDLC-like framing, as tshark's raw dissector checks first.
  if (r.u8(off) === 0xff && r.u8(off + 1) === 0x03) return;
  const version = r.u8(off) >> 4;
  if (version === 4) ipByVersion(r, off, end);
  else if (version === 6) ipv6(r, off, end, true);
  else r.pkt.fail(DecodeStatus.malformed, 'raw packet is neither ipv4 nor ipv6');
}

const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/** BSD loopback: a 4-byte address family in the capturing host's byte order (LOOP: always big-endian). */
export function nullLoopback(r: PacketReader, off: number, end: number, bigEndian: boolean): void {
  if (!r.has(off, 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'loopback header truncated');
    return;
  }
  let family = bigEndian ? r.u32(off) : r.u32le(off);
  if (!bigEndian && (family & 0xffff0000) !== 0) family = r.u32(off);
  if (family > 1500) {
    // Some old BSDs put an EtherType here.
    etherType(r, family & 0xffff, off + 4, end);
    return;
  }
  if (family === AF_INET) ipByVersion(r, off + 4, end);
  else if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) ipv6(r, off + 4, end, true);
}

const PKTAP_MIN_HEADER = 108;
const PKTAP_RECORD_PACKET = 1;

/**
 * Apple PKTAP (`tcpdump -i pktap`): a little-endian header whose length comes
 * first, a record type, and the DLT of the packet that follows.
 */
export function pktap(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'pktap header truncated');
    return;
  }
  const hdrlen = r.u32le(off);
  if (hdrlen < PKTAP_MIN_HEADER) {
    r.pkt.fail(DecodeStatus.malformed, 'pktap header length below 108');
    return;
  }
  if (!r.has(off, hdrlen)) {
    r.pkt.fail(DecodeStatus.truncated, 'pktap header truncated');
    return;
  }
  if (r.u32le(off + 4) !== PKTAP_RECORD_PACKET) return;
  decodeLink(r, r.u32le(off + 8), off + hdrlen, end);
}

const NFULA_PACKET_HDR = 1;
const NFULA_PAYLOAD = 9;
const LINUX_AF_INET = 2;
const LINUX_AF_INET6 = 10;

/**
 * Linux NFLOG (iptables/nftables logging): family, version, resource id, then
 * TLVs in the capturing host's byte order (little-endian, as tshark reads
 * them), each padded to 4 bytes. The last payload TLV is the packet; it goes
 * by the packet header's hardware protocol when there is one, else by family.
 */
export function nflog(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'nflog header truncated');
    return;
  }
  const family = r.u8(off);
  let hwProtocol = -1;
  let payload = -1;
  let payloadEnd = 0;
  let p = off + 4;
  while (r.has(p, 4)) {
    const len = r.u16le(p);
    if (len < 4) {
      r.pkt.fail(DecodeStatus.malformed, 'nflog tlv length below 4');
      return;
    }
    if (!r.has(p, len)) {
      r.pkt.fail(DecodeStatus.truncated, 'nflog tlv truncated');
      return;
    }
    const type = r.u16le(p + 2) & 0x7fff;
    if (type === NFULA_PACKET_HDR && len >= 6) hwProtocol = r.u16(p + 4);
    else if (type === NFULA_PAYLOAD) {
      payload = p + 4;
      payloadEnd = p + len;
    }
    p += (len + 3) & ~3;
  }
  if (payload < 0) return;
  if (payloadEnd < end) end = payloadEnd;
  if (hwProtocol >= 0) etherType(r, hwProtocol, payload, end);
  else if (family === LINUX_AF_INET) ipByVersion(r, payload, end);
  else if (family === LINUX_AF_INET6) ipv6(r, payload, end, true);
}

const PFLOG_MIN_HEADER = 45;

/** OpenBSD/FreeBSD/macOS pflog: the header's own length (padded to 4 bytes), then the address family. */
export function pflog(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 2)) {
    r.pkt.fail(DecodeStatus.truncated, 'pflog header truncated');
    return;
  }
  const length = r.u8(off);
  if (length < PFLOG_MIN_HEADER) {
    r.pkt.fail(DecodeStatus.malformed, 'pflog header length below 45');
    return;
  }
  const hdrlen = (length + 3) & ~3;
  if (!r.has(off, hdrlen)) {
    r.pkt.fail(DecodeStatus.truncated, 'pflog header truncated');
    return;
  }
  const af = r.u8(off + 1);
  if (af === AF_INET) ipByVersion(r, off + hdrlen, end);
  else if (af === AF_INET6_BSD || af === AF_INET6_FREEBSD || af === AF_INET6_DARWIN) ipv6(r, off + hdrlen, end, true);
}

const ENC_HEADER = 12;

/** OpenBSD enc (IPsec before encryption / after decryption): address family in either byte order, SPI, flags. */
export function enc(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, ENC_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'enc header truncated');
    return;
  }
  let af = r.u32le(off);
  if ((af & 0xffff0000) !== 0) af = r.u32(off);
  if (af === AF_INET) ipByVersion(r, off + ENC_HEADER, end);
  else if (af === AF_INET6_BSD) ipv6(r, off + ENC_HEADER, end, true);
}

const IPNET_HEADER = 24;
const IPH_AF_INET = 2;
const IPH_AF_INET6 = 26;

/** Solaris ipnet: version, family, hardware type, then lengths, interfaces and zones. */
export function ipnet(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, IPNET_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'ipnet header truncated');
    return;
  }
  const family = r.u8(off + 1);
  if (family === IPH_AF_INET) ipByVersion(r, off + IPNET_HEADER, end);
  else if (family === IPH_AF_INET6) ipv6(r, off + IPNET_HEADER, end, true);
}

const SUNATM_HEADER = 4;
const SUNATM_LANE = 0x01;
const SUNATM_LLC = 0x02;
const LANE_CONTROL = 0xff00;
const SIGNALLING_VCI = 5;

/**
 * SunATM: a 4-byte pseudo-header (flags with the traffic type, VPI, VCI),
 * which Wireshark's reader takes off the record, then an AAL5 PDU: LLC
 * multiplexed or LAN emulation by the stated type. Traffic of no stated type
 * is LLC when it starts with SNAP (VCI 5 is signalling); tshark leaves the
 * rest as data.
 */
export function sunAtm(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, SUNATM_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'sunatm pseudo-header truncated');
    return;
  }
  const type = r.u8(off) & 0x0f;
  const vpi = r.u8(off + 1);
  const vci = r.u16(off + 2);
  const p = off + SUNATM_HEADER;
  if (type === SUNATM_LLC) llc(r, p, end);
  else if (type === SUNATM_LANE) lane(r, p, end);
  else if (type === 0 && !(vpi === 0 && vci === SIGNALLING_VCI) && r.has(p, 3) && r.u8(p) === 0xaa && r.u8(p + 1) === 0xaa && r.u8(p + 2) === 0x03) llc(r, p, end);
}

/** LAN emulation: a 2-byte LE client id, then an 802.3 frame (0xff00 marks LE control frames). */
function lane(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 2) || r.u16(off) === LANE_CONTROL) return;
  ethernet(r, off + 2, end);
}
