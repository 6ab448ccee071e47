import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import { CaptureFileError } from './capture-file-error';
import { pseudoHeaderProblem } from './pseudo-header';

/** linkType of records that are not packets (pcapng custom blocks, which tshark still counts as frames). */
export const LINKTYPE_NONE = -1;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureInterface {
  /** pcapng section number (0 for pcap). */
  section: number;
  /** Interface index within its section. */
  index: number;
  linkType: number;
  snaplen: number;
  /** Timestamp resolution as tshark prints it: `10^-6`, `2^-8`... */
  tsresol: string;
  name?: string;
}

/** Largest record a pcap file may hold (Wireshark's limit for ordinary link types). */
export const MAX_PCAP_RECORD = 262_144;
/** Largest pcapng block accepted; longer lengths are hostile or corrupt. */
export const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024 + 128 * 1024;

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const BLOCK_IDB = 0x00000001;
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_ISB = 0x00000005;
const BLOCK_EPB = 0x00000006;
const BLOCK_CUSTOM = 0x00000bad;
const BLOCK_CUSTOM_NOCOPY = 0x40000bad;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const TWO32 = 4294967296;

interface IfState {
  linkType: number;
  snaplen: number;
  /** 10^n or 2^n units per second. */
  binary: boolean;
  exp: number;
}

type State = 'start' | 'pcap' | 'pcapng' | 'done';

/**
 * Incremental pcap/pcapng parser. The reader hands it a window of bytes; it
 * delivers every complete record to the sink and returns how far it got, so
 * the reader can keep the remainder and read more. It never holds references
 * into the window after a call returns. After a fatal problem `error` is set
 * and parsing stops: what was delivered before stays delivered.
 *
 * Why one file of this length: pcap and pcapng share the resumable cursor
 * (`parse` may stop mid-record at any byte and go on with the next window),
 * the interface table, the timestamp arithmetic and the delivery to the sink;
 * one class keeps that per-record path monomorphic, and the format-specific
 * parts are already separate methods (`pcapRecord`, `pcapngBlock`).
 */
export class CaptureParser {
  format: CaptureFormat | undefined;
  readonly interfaces: CaptureInterface[] = [];
  packets = 0;
  error: CaptureFileError | undefined;
  /** Bytes needed from the returned offset before parsing can continue. */
  need = 4;
  /** pcap header facts, for the report. */
  pcapVersion = '';
  pcapNanosecond = false;
  bigEndian = false;
  sections = 0;

  private state: State = 'start';
  private le = true;
  private pcapMajor = 0;
  private pcapMinor = 0;
  private pcapHeaderLen = 16;
  /** Record header lengths still to choose from by the first records (Wireshark's pcap variant heuristics). */
  private pcapVariants: readonly number[] | undefined;
  private eofSeen = false;
  private pcapSnaplen = 0;
  private pcapLinkType = 0;
  private sectionIfs: IfState[] = [];
  private fileOffset = 0;
  private readonly rec: PacketRecord = {
    ifIndex: 0,
    linkType: 0,
    tsSec: 0,
    tsNsec: 0,
    hasTimestamp: true,
    wireLength: 0,
    bytes: new Uint8Array(0),
    offset: 0,
    length: 0,
  };

  constructor(private readonly sink: PacketSink) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Parse bytes [start, end) of `bytes` (`view` covers the same memory). `base`
   * is the file offset of bytes[start]. Returns the offset of the first byte
   * not consumed. With `eof`, a remainder is a file cut short.
   */
  parse(bytes: Uint8Array, view: DataView, start: number, end: number, base: number, eof: boolean): number {
    this.eofSeen = eof;
    let o = start;
    while (this.state !== 'done') {
      this.fileOffset = base + (o - start);
      const avail = end - o;
      const used = this.step(bytes, view, o, avail);
      if (used === 0) {
        // A fatal problem already ended parsing; otherwise the bytes left at EOF are a cut record.
        if (eof && !this.done) this.finishAtEof(avail);
        break;
      }
      o += used;
    }
    return o;
  }

  private finishAtEof(avail: number): void {
    this.state = 'done';
    if (this.format === undefined) {
      this.error = new CaptureFileError('not-a-capture', avail === 0 ? 'the file is empty' : 'the file is too short to be a capture file', this.fileOffset);
    } else if (avail > 0) {
      this.error = new CaptureFileError(
        'cut-short',
        this.format === 'pcap' ? 'the file appears to have been cut short in the middle of a packet' : 'the file appears to have been cut short in the middle of a block',
        this.fileOffset,
      );
    }
  }

  private fail(kind: CaptureFileError['kind'], message: string): number {
    this.error = new CaptureFileError(kind, message, this.fileOffset);
    this.state = 'done';
    return 0;
  }

  /** Consume one unit (header, record or block); 0 when more bytes are needed or parsing stopped. */
  private step(b: Uint8Array, v: DataView, o: number, avail: number): number {
    switch (this.state) {
      case 'start':
        return this.fileHeader(b, v, o, avail);
      case 'pcap':
        return this.pcapRecord(b, v, o, avail);
      case 'pcapng':
        return this.pcapngBlock(b, v, o, avail);
      case 'done':
        return 0;
    }
  }

  private fileHeader(_b: Uint8Array, v: DataView, o: number, avail: number): number {
    if (avail < 4) {
      this.need = 4;
      return 0;
    }
    const magicBe = v.getUint32(o, false);
    const magicLe = v.getUint32(o, true);
    if (magicBe === PCAPNG_SHB) {
      this.format = 'pcapng';
      this.state = 'pcapng';
      return this.pcapngBlock(_b, v, o, avail);
    }
    let magic = 0;
    if (magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC || magicLe === PCAP_MAGIC_MODIFIED) {
      this.le = true;
      magic = magicLe;
    } else if (magicBe === PCAP_MAGIC_USEC || magicBe === PCAP_MAGIC_NSEC || magicBe === PCAP_MAGIC_MODIFIED) {
      this.le = false;
      magic = magicBe;
    } else {
      return this.fail('not-a-capture', 'not a pcap or pcapng file (unknown magic number)');
    }
    this.format = 'pcap';
    if (avail < 24) {
      this.need = 24;
      return 0;
    }
    this.bigEndian = !this.le;
    this.pcapNanosecond = magic === PCAP_MAGIC_NSEC;
    this.pcapHeaderLen = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    this.pcapSnaplen = v.getUint32(o + 16, this.le);
    this.pcapMajor = v.getUint16(o + 4, this.le);
    this.pcapMinor = v.getUint16(o + 6, this.le);
    this.pcapVersion = `${this.pcapMajor}.${this.pcapMinor}`;
    const snaplen = v.getUint32(o + 16, this.le);
    const network = v.getUint32(o + 20, this.le);
    if (this.pcapMajor < 2) return this.fail('unsupported', `pcap: major version ${this.pcapMajor} unsupported`);
    // Bits 16-25 are reserved; bits 26-31 describe an FCS and are allowed.
    if ((network & 0x03ff0000) !== 0) return this.fail('unsupported', `pcap: network type reserved field not zero (0x${network.toString(16).padStart(8, '0')})`);
    this.pcapLinkType = network & 0xffff;
    this.interfaces.push({ section: 0, index: 0, linkType: this.pcapLinkType, snaplen, tsresol: this.pcapNanosecond ? '10^-9' : '10^-6' });
    this.state = 'pcap';
    this.sections = 1;
    // Versions before 2.4 (and DG/UX's 543) were not written by the variants; the nanosecond magic has none.
    const old = (this.pcapMajor === 2 && this.pcapMinor <= 3) || this.pcapMajor === 543;
    if (magic === PCAP_MAGIC_MODIFIED) this.pcapVariants = VARIANTS_MODIFIED;
    else if (magic === PCAP_MAGIC_USEC && !old) this.pcapVariants = VARIANTS_STANDARD;
    return 24;
  }

  private pcapRecord(b: Uint8Array, v: DataView, o: number, avail: number): number {
    if (this.pcapVariants !== undefined && !this.chooseVariant(v, o, avail)) return 0;
    const hl = this.pcapHeaderLen;
    if (avail < hl) {
      this.need = hl;
      return 0;
    }
    const le = this.le;
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    let caplen = v.getUint32(o + 8, le);
    let len = v.getUint32(o + 12, le);
    // Old libpcap wrote the two lengths the other way round; Wireshark swaps them back.
    if (this.pcapMajor === 2 && (this.pcapMinor < 3 || (this.pcapMinor === 3 && caplen > len))) {
      const t = caplen;
      caplen = len;
      len = t;
    }
    if (caplen > MAX_PCAP_RECORD) {
      return this.fail('bad-file', `pcap: file has a ${caplen}-byte packet, bigger than the maximum of ${MAX_PCAP_RECORD}`);
    }
    if (avail < hl + caplen) {
      this.need = hl + caplen;
      return 0;
    }
    const short = pseudoHeaderProblem(this.pcapLinkType, caplen);
    if (short !== undefined) return this.fail('bad-file', `pcap/pcapng: ${short}`);
    const rec = this.rec;
    rec.ifIndex = 0;
    rec.linkType = this.pcapLinkType;
    rec.hasTimestamp = true;
    // Wireshark keeps the fraction in a C int: µs * 1000 wraps at 32 bits. Fractions
    // outside 0..1 s (damaged files) are then carried into the seconds.
    const ns = this.pcapNanosecond ? frac | 0 : Math.imul(frac, 1000);
    const carry = Math.floor(ns / 1e9);
    rec.tsSec = sec + carry;
    rec.tsNsec = ns - carry * 1e9;
    rec.wireLength = len;
    rec.bytes = b;
    rec.offset = o + hl;
    rec.length = caplen;
    this.packets++;
    this.sink.packet(rec);
    return hl + caplen;
  }

  /**
   * Wireshark reads the first three records as each pcap variant that shares
   * the magic number would have written them (record headers of 16, 24 or 20
   * bytes; 24 or 28 with the modified magic) and keeps the one with the
   * fewest oddities: a record over the maximum, over the snapshot length,
   * over 128 MiB on the wire, captured beyond its original length, a
   * microsecond field of a second or more, a file that ends inside a record,
   * and for the 24- and 28-byte headers an odd interface, protocol or packet
   * type (tshark 4.0 does not check the Nokia header's own field).
   * The first variant without any wins; ties go to the earlier one. Returns
   * false when more bytes are needed to decide.
   */
  private chooseVariant(v: DataView, o: number, avail: number): boolean {
    if (!this.eofSeen && avail < VARIANT_LOOKAHEAD) {
      this.need = VARIANT_LOOKAHEAD;
      return false;
    }
    const variants = this.pcapVariants ?? VARIANTS_STANDARD;
    let best = variants[0];
    let bestMerit = Infinity;
    for (const headerLength of variants) {
      const merit = this.variantMerit(v, o, avail, headerLength);
      if (merit < bestMerit) {
        best = headerLength;
        bestMerit = merit;
      }
      if (merit === 0) break;
    }
    this.pcapHeaderLen = best;
    this.pcapVariants = undefined;
    return true;
  }

  private variantMerit(v: DataView, o: number, avail: number, headerLength: number): number {
    const le = this.le;
    const end = o + avail;
    let merit = 0;
    let p = o;
    for (let record = 0; record < 3; record++) {
      if (p === end) break;
      if (end - p < 16) return merit + 1;
      const usec = v.getUint32(p + 4, le);
      const caplen = v.getUint32(p + 8, le);
      const wire = v.getUint32(p + 12, le);
      if (usec >= 1_000_000) merit++;
      const caplenOk = caplen <= MAX_PCAP_RECORD;
      if (!caplenOk) merit++;
      if (caplen > this.pcapSnaplen) merit++;
      if (wire > 128 * 1024 * 1024) merit++;
      if (caplen > wire) merit++;
      if (end - p < headerLength) return merit + 1;
      if (headerLength === 24 || headerLength === 28) {
        const ifindex = v.getUint32(p + 16, le);
        const protocol = v.getUint16(p + 20, le);
        const packetType = v.getUint8(p + 22);
        if (ifindex > 10000) merit++;
        if (!(protocol >= 0x0600 || protocol === 0x0060 || protocol === 0x0200 || protocol === 0x0400 || protocol <= 0x0017)) merit++;
        if (packetType > 4) merit++;
      }
      if (!caplenOk) break;
      if (end - p - headerLength < caplen) return merit + 1;
      p += headerLength + caplen;
    }
    return merit;
  }

  private pcapngBlock(b: Uint8Array, v: DataView, o: number, avail: number): number {
    if (avail < 12) {
      this.need = 12;
      return 0;
    }
    const typeBe = v.getUint32(o, false);
    if (typeBe === PCAPNG_SHB) {
      const bom = v.getUint32(o + 8, true);
      if (bom === PCAPNG_BOM) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else return this.fail('bad-file', 'pcapng: section header has an unknown byte-order magic');
    }
    const le = this.le;
    const type = v.getUint32(o, le);
    const len = v.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0) return this.fail('bad-file', `pcapng: block length ${len} is invalid`);
    if (len > MAX_PCAPNG_BLOCK) return this.fail('bad-file', `pcapng: block length ${len} is too large (> ${MAX_PCAPNG_BLOCK})`);
    if (avail < len) {
      this.need = len;
      return 0;
    }
    const trailer = v.getUint32(o + len - 4, le);
    if (trailer !== len) return this.fail('bad-file', `pcapng: block lengths (first ${len} and second ${trailer}) don't match`);
    switch (type) {
      case PCAPNG_SHB:
        if (!this.sectionHeader(v, o, len)) return 0;
        break;
      case BLOCK_IDB:
        if (!this.interfaceBlock(b, v, o, len)) return 0;
        break;
      case BLOCK_EPB:
        if (!this.enhancedPacket(b, v, o, len)) return 0;
        break;
      case BLOCK_SPB:
        if (!this.simplePacket(b, v, o, len)) return 0;
        break;
      case BLOCK_PB:
        if (!this.obsoletePacket(b, v, o, len)) return 0;
        break;
      case BLOCK_ISB:
        if (len >= 24 && !this.optionsFit(v, o + 20, o + len - 4)) return 0;
        break;
      case BLOCK_CUSTOM:
      case BLOCK_CUSTOM_NOCOPY:
        if (!this.customBlock(b, o, len)) return 0;
        break;
      default:
        // Statistics, name resolution, decryption secrets and unknown blocks carry no packets.
        break;
    }
    return len;
  }

  private sectionHeader(v: DataView, o: number, len: number): boolean {
    if (len < 28) {
      this.fail('bad-file', 'pcapng: section header block is too short');
      return false;
    }
    const major = v.getUint16(o + 12, this.le);
    const minor = v.getUint16(o + 14, this.le);
    if (this.sections === 0) {
      this.bigEndian = !this.le;
      this.pcapVersion = `${major}.${minor}`;
    }
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.fail('unsupported', `pcapng: unknown SHB version ${major}.${minor}`);
      return false;
    }
    if (!this.optionsFit(v, o + 24, o + len - 4)) return false;
    this.sections++;
    this.sectionIfs = [];
    return true;
  }

  private interfaceBlock(b: Uint8Array, v: DataView, o: number, len: number): boolean {
    if (this.sections === 0) {
      this.fail('bad-file', 'pcapng: interface description before any section header');
      return false;
    }
    if (len < 20) {
      this.fail('bad-file', 'pcapng: interface description block is too short');
      return false;
    }
    if (!this.optionsFit(v, o + 16, o + len - 4)) return false;
    const le = this.le;
    const linkType = v.getUint16(o + 8, le);
    const snaplen = v.getUint32(o + 12, le);
    const st: IfState = { linkType, snaplen, binary: false, exp: 6 };
    const info: CaptureInterface = { section: this.sections - 1, index: this.sectionIfs.length, linkType, snaplen, tsresol: '10^-6' };
    // Options: code, length, value padded to 4 bytes; end-of-options or the block trailer ends them.
    let p = o + 16;
    const end = o + len - 4;
    while (p + 4 <= end) {
      const code = v.getUint16(p, le);
      const olen = v.getUint16(p + 2, le);
      if (code === 0 || p + 4 + olen > end) break;
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = b[p + 4];
        st.binary = (r & 0x80) !== 0;
        st.exp = r & 0x7f;
        info.tsresol = `${st.binary ? 2 : 10}^-${st.exp}`;
      } else if (code === OPT_IF_NAME) {
        info.name = Buffer.from(b.buffer, b.byteOffset + p + 4, olen).toString('utf8').replace(/\0+$/, '');
      }
      p += 4 + ((olen + 3) & ~3);
    }
    this.sectionIfs.push(st);
    this.interfaces.push(info);
    return true;
  }

  /**
   * Options from `p` to the block's trailer: Wireshark's reader calls the file
   * damaged when an option (padded to 4 bytes) runs past its block.
   */
  private optionsFit(v: DataView, p: number, end: number): boolean {
    while (p < end) {
      if (end - p < 4) {
        this.fail('bad-file', 'pcapng: Not enough data for option header');
        return false;
      }
      const code = v.getUint16(p, this.le);
      const length = v.getUint16(p + 2, this.le);
      p += 4;
      if (((length + 3) & ~3) > end - p) {
        this.fail('bad-file', `pcapng: Not enough data to handle option of length ${length}`);
        return false;
      }
      if (code === 0) return true;
      p += (length + 3) & ~3;
    }
    return true;
  }

  private iface(id: number): IfState | undefined {
    if (id >= this.sectionIfs.length) {
      this.fail('bad-file', `pcapng: interface index ${id} is not less than the interface count ${this.sectionIfs.length}`);
      return undefined;
    }
    return this.sectionIfs[id];
  }

  private enhancedPacket(b: Uint8Array, v: DataView, o: number, len: number): boolean {
    if (len < 32) {
      this.fail('bad-file', 'pcapng: enhanced packet block is too short');
      return false;
    }
    const le = this.le;
    const id = v.getUint32(o + 8, le);
    const ifs = this.iface(id);
    if (ifs === undefined) return false;
    const caplen = v.getUint32(o + 20, le);
    if (caplen > len - 32) {
      this.fail('bad-file', `pcapng: enhanced packet block captured length ${caplen} exceeds the block`);
      return false;
    }
    if (!this.optionsFit(v, o + 28 + ((caplen + 3) & ~3), o + len - 4)) return false;
    this.setTimestamp(ifs, v.getUint32(o + 12, le), v.getUint32(o + 16, le));
    return this.deliver(id, ifs.linkType, v.getUint32(o + 24, le), b, o + 28, caplen);
  }

  private obsoletePacket(b: Uint8Array, v: DataView, o: number, len: number): boolean {
    if (len < 32) {
      this.fail('bad-file', 'pcapng: packet block is too short');
      return false;
    }
    const le = this.le;
    const id = v.getUint16(o + 8, le);
    const ifs = this.iface(id);
    if (ifs === undefined) return false;
    const caplen = v.getUint32(o + 20, le);
    if (caplen > len - 32) {
      this.fail('bad-file', `pcapng: packet block captured length ${caplen} exceeds the block`);
      return false;
    }
    if (!this.optionsFit(v, o + 28 + ((caplen + 3) & ~3), o + len - 4)) return false;
    this.setTimestamp(ifs, v.getUint32(o + 12, le), v.getUint32(o + 16, le));
    return this.deliver(id, ifs.linkType, v.getUint32(o + 24, le), b, o + 28, caplen);
  }

  private simplePacket(b: Uint8Array, v: DataView, o: number, len: number): boolean {
    if (len < 16) {
      this.fail('bad-file', 'pcapng: simple packet block is too short');
      return false;
    }
    const ifs = this.iface(0);
    if (ifs === undefined) return false;
    const wire = v.getUint32(o + 8, this.le);
    // No captured length field: the original length, cut to the snaplen and the block.
    let caplen = len - 16;
    if (wire < caplen) caplen = wire;
    if (ifs.snaplen !== 0 && ifs.snaplen < caplen) caplen = ifs.snaplen;
    this.rec.hasTimestamp = false;
    this.rec.tsSec = 0;
    this.rec.tsNsec = 0;
    return this.deliver(0, ifs.linkType, wire, b, o + 12, caplen);
  }

  private customBlock(b: Uint8Array, o: number, len: number): boolean {
    if (len < 16) {
      this.fail('bad-file', 'pcapng: custom block is too short');
      return false;
    }
    // tshark returns the block body after the enterprise number as a frame without interface or timestamp.
    this.rec.hasTimestamp = false;
    this.rec.tsSec = 0;
    this.rec.tsNsec = 0;
    return this.deliver(-1, LINKTYPE_NONE, len - 16, b, o + 12, len - 16);
  }

  private deliver(ifIndex: number, linkType: number, wire: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const short = pseudoHeaderProblem(linkType, length);
    if (short !== undefined) {
      this.fail('bad-file', `pcap/pcapng: ${short}`);
      return false;
    }
    const rec = this.rec;
    rec.ifIndex = ifIndex;
    rec.linkType = linkType;
    rec.wireLength = wire;
    rec.bytes = bytes;
    rec.offset = offset;
    rec.length = length;
    this.packets++;
    this.sink.packet(rec);
    return true;
  }

  /** 64-bit timestamp in interface units to seconds + nanoseconds, without BigInt on the common resolutions. */
  private setTimestamp(ifs: IfState, high: number, low: number): void {
    const rec = this.rec;
    rec.hasTimestamp = true;
    if (!ifs.binary && ifs.exp <= 9) {
      const div = POW10[ifs.exp];
      // Long division in 16-bit digits keeps every intermediate below 2^53.
      let r = 0;
      let cur = r * 65536 + (high >>> 16);
      const q3 = Math.floor(cur / div);
      r = cur - q3 * div;
      cur = r * 65536 + (high & 0xffff);
      const q2 = Math.floor(cur / div);
      r = cur - q2 * div;
      cur = r * 65536 + (low >>> 16);
      const q1 = Math.floor(cur / div);
      r = cur - q1 * div;
      cur = r * 65536 + (low & 0xffff);
      const q0 = Math.floor(cur / div);
      r = cur - q0 * div;
      rec.tsSec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
      rec.tsNsec = r * POW10[9 - ifs.exp];
      return;
    }
    if (ifs.binary && ifs.exp <= 23) {
      const unit = 2 ** ifs.exp;
      const hi = high * (TWO32 / unit);
      const loSec = Math.floor(low / unit);
      const rem = low - loSec * unit;
      rec.tsSec = hi + loSec;
      rec.tsNsec = Math.floor((rem * 1e9) / unit);
      return;
    }
    const ts = (BigInt(high) << 32n) | BigInt(low);
    const unit = ifs.binary ? 1n << BigInt(ifs.exp) : 10n ** BigInt(ifs.exp);
    rec.tsSec = Number(ts / unit);
    rec.tsNsec = Number(((ts % unit) * 1_000_000_000n) / unit);
  }
}

/** Record header lengths of the pcap variants, in the order Wireshark tries them. */
const VARIANTS_STANDARD = [16, 24, 20] as const;
const VARIANTS_MODIFIED = [24, 28] as const;
/** Enough for three records of the largest size with their headers. */
const VARIANT_LOOKAHEAD = 3 * (MAX_PCAP_RECORD + 28);

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
