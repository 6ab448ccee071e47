/** 802.11 and the radio headers captured in front of it: radiotap, PPI, Prism, AVS. */
import { DecodeStatus } from './decoded-packet';
import { llc } from './ethernet';
import { decodeLink, LinkType } from './link-types';
import type { PacketReader } from './packet-reader';

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
export function ieee80211(r: PacketReader, off: number, end: number, datapad: boolean): void {
  if (!r.has(off, 2)) {
    r.pkt.fail(DecodeStatus.truncated, '802.11 frame control truncated');
    return;
  }
  const fc0 = r.u8(off);
  const flags = r.u8(off + 1);
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
  if (!r.has(off, hlen)) {
    r.pkt.fail(DecodeStatus.truncated, '802.11 header truncated');
    return;
  }
  if ((flags & WLAN_FLAG_PROTECTED) !== 0) return;
  if (qos && (r.u8(off + hlen - ((flags & WLAN_FLAG_ORDER) !== 0 ? 6 : 2)) & WLAN_QOS_AMSDU) !== 0) {
    r.pkt.fail(DecodeStatus.unsupported, '802.11 a-msdu not decoded');
    return;
  }
  if (datapad) hlen = (hlen + 3) & ~3;
  llc(r, off + hlen, end);
}

/** An 802.11 frame that ends in a 4-byte FCS: the FCS is not part of the body. */
function ieee80211WithFcs(r: PacketReader, off: number, end: number, datapad: boolean): void {
  if (end - off < 4) {
    r.pkt.fail(DecodeStatus.malformed, '802.11 frame shorter than its fcs');
    return;
  }
  end -= 4;
  if (r.cap > end) r.cap = end;
  ieee80211(r, off, end, datapad);
}

const RADIOTAP_FLAGS_FCS = 0x10;
const RADIOTAP_FLAGS_DATAPAD = 0x20;

/**
 * Radiotap: skip it_len bytes. The flags field (present bit 1) comes right
 * after the presence words and an optional 8-aligned TSFT, so it is read to
 * drop a trailing FCS and honour data padding; later fields are not needed.
 */
export function radiotap(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 8)) {
    r.pkt.fail(DecodeStatus.truncated, 'radiotap header truncated');
    return;
  }
  // Offsets within the header (`len`, `p`) count from its start: its fields are aligned to it.
  const len = r.u16le(off + 2);
  if (len < 8) {
    r.pkt.fail(DecodeStatus.malformed, 'radiotap length below 8');
    return;
  }
  if (!r.has(off, len)) {
    r.pkt.fail(DecodeStatus.truncated, 'radiotap header truncated');
    return;
  }
  const present = r.u8(off + 4);
  // Further presence words follow while bit 31 is set.
  let p = 4;
  while ((r.u8(off + p + 3) & 0x80) !== 0) {
    p += 4;
    if (p + 4 > len) {
      r.pkt.fail(DecodeStatus.malformed, 'radiotap presence words beyond its length');
      return;
    }
  }
  p += 4;
  let rflags = 0;
  if ((present & 0x02) !== 0) {
    if ((present & 0x01) !== 0) p = ((p + 7) & ~7) + 8;
    if (p >= len) {
      r.pkt.fail(DecodeStatus.malformed, 'radiotap flags beyond its length');
      return;
    }
    rflags = r.u8(off + p);
  }
  const datapad = (rflags & RADIOTAP_FLAGS_DATAPAD) !== 0;
  if ((rflags & RADIOTAP_FLAGS_FCS) !== 0) ieee80211WithFcs(r, off + len, end, datapad);
  else ieee80211(r, off + len, end, datapad);
}

const PPI_HEADER = 8;
const PPI_80211_COMMON = 2;
const PPI_80211_COMMON_LENGTH = 20;
const PPI_FLAG_FCS = 0x0001;

/**
 * PPI (per-packet information): a little-endian header with its length and
 * the DLT of the frame that follows, and fields; the 802.11-common field says
 * whether an 802.11 frame ends in an FCS.
 */
export function ppi(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, PPI_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'ppi header truncated');
    return;
  }
  const len = r.u16le(off + 2);
  if (len < PPI_HEADER) {
    r.pkt.fail(DecodeStatus.malformed, 'ppi length below 8');
    return;
  }
  if (!r.has(off, len)) {
    r.pkt.fail(DecodeStatus.truncated, 'ppi header truncated');
    return;
  }
  const dlt = r.u32le(off + 4);
  let fcs = false;
  for (let p = off + PPI_HEADER; p + 4 <= off + len; ) {
    const type = r.u16le(p);
    const flen = r.u16le(p + 2);
    if (p + 4 + flen > off + len) break;
    if (type === PPI_80211_COMMON && flen >= PPI_80211_COMMON_LENGTH) fcs = (r.u16le(p + 4 + 8) & PPI_FLAG_FCS) !== 0;
    p += 4 + flen;
  }
  if (dlt === LinkType.ieee80211) {
    if (fcs) ieee80211WithFcs(r, off + len, end, false);
    else ieee80211(r, off + len, end, false);
  } else {
    decodeLink(r, dlt, off + len, end);
  }
}

const AVS_MAGIC_V1 = 0x80211001;
const AVS_MAGIC_V2 = 0x80211002;

/** AVS (wlancap) header: magic, then its own length, big-endian. */
export function avs(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 8)) {
    r.pkt.fail(DecodeStatus.truncated, 'avs header truncated');
    return;
  }
  const len = r.u32(off + 4);
  if (!r.has(off, len)) {
    r.pkt.fail(DecodeStatus.truncated, 'avs header truncated');
    return;
  }
  ieee80211(r, off + len, end, false);
}

const PRISM_HEADER = 144;

/** Prism monitor header (an AVS header may take its place). */
export function prism(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 4)) {
    r.pkt.fail(DecodeStatus.truncated, 'prism header truncated');
    return;
  }
  const magic = r.u32(off);
  if (magic === AVS_MAGIC_V1 || magic === AVS_MAGIC_V2) {
    avs(r, off, end);
    return;
  }
  if (!r.has(off, PRISM_HEADER)) {
    r.pkt.fail(DecodeStatus.truncated, 'prism header truncated');
    return;
  }
  ieee80211(r, off + PRISM_HEADER, end, false);
}
