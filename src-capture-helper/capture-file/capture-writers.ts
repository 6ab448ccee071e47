import type { PacketRecord } from '../pipeline/packet-sink';
import { packetBytes } from '../pipeline/packet-sink';

/**
 * Streaming encoders for pcap and pcapng: each call returns the bytes of one
 * header, block or record, to be written or sent in order. Little-endian, as
 * most writers produce.
 */

export interface PcapWriterOptions {
  linkType: number;
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
}

export class PcapWriter {
  private readonly nanosecond: boolean;
  private readonly snaplen: number;

  constructor(private readonly options: PcapWriterOptions) {
    this.nanosecond = options.nanosecond ?? false;
    this.snaplen = options.snaplen ?? 262_144;
  }

  header(): Buffer {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(this.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(this.snaplen, 16);
    b.writeUInt32LE(this.options.linkType & 0xffff, 20);
    return b;
  }

  /** One record; data beyond the snaplen is cut, the original length is kept. */
  record(rec: PacketRecord): Buffer {
    const caplen = Math.min(rec.length, this.snaplen);
    const b = Buffer.allocUnsafe(16 + caplen);
    b.writeUInt32LE(rec.tsSec >>> 0, 0);
    b.writeUInt32LE(this.nanosecond ? rec.tsNsec : Math.floor(rec.tsNsec / 1000), 4);
    b.writeUInt32LE(caplen, 8);
    b.writeUInt32LE(Math.max(rec.wireLength, caplen), 12);
    b.set(rec.bytes.subarray(rec.offset, rec.offset + caplen), 16);
    return b;
  }
}

export interface PcapngInterfaceOptions {
  linkType: number;
  snaplen?: number;
  name?: string;
  /** Decimal exponent of the timestamp unit: 6 = microseconds (default), 9 = nanoseconds. */
  tsresolExponent?: number;
}

const OPT_COMMENT = 1;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;

/** Encodes pcapng blocks; interface ids are the order of interfaceDescription() calls. */
export class PcapngWriter {
  private readonly resolutions: number[] = [];

  sectionHeader(application = 'netmon', comment?: string): Buffer {
    const opts = encodeOptions([
      [OPT_SHB_USERAPPL, Buffer.from(application, 'utf8')],
      ...(comment !== undefined ? [[OPT_COMMENT, Buffer.from(comment, 'utf8')] as [number, Buffer]] : []),
    ]);
    const body = Buffer.alloc(16);
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
    body.writeUInt16LE(0, 6);
    // Section length unknown (-1): the stream is written before its size is known.
    body.writeInt32LE(-1, 8);
    body.writeInt32LE(-1, 12);
    this.resolutions.length = 0;
    return block(0x0a0d0d0a, Buffer.concat([body, opts]));
  }

  interfaceDescription(options: PcapngInterfaceOptions): Buffer {
    const exp = options.tsresolExponent ?? 6;
    if (!Number.isInteger(exp) || exp < 0 || exp > 9) throw new RangeError('tsresolExponent must be an integer 0..9');
    const body = Buffer.alloc(8);
    body.writeUInt16LE(options.linkType & 0xffff, 0);
    body.writeUInt32LE(options.snaplen ?? 262_144, 4);
    const opts: [number, Buffer][] = [];
    if (options.name !== undefined) opts.push([OPT_IF_NAME, Buffer.from(options.name, 'utf8')]);
    if (exp !== 6) opts.push([OPT_IF_TSRESOL, Buffer.from([exp])]);
    this.resolutions.push(exp);
    return block(0x00000001, Buffer.concat([body, encodeOptions(opts)]));
  }

  enhancedPacket(interfaceId: number, rec: PacketRecord, comment?: string): Buffer {
    const exp = this.resolutions[interfaceId];
    if (exp === undefined) throw new RangeError(`interface ${interfaceId} has not been described`);
    const ts = BigInt(rec.tsSec) * 10n ** BigInt(exp) + BigInt(Math.floor(rec.tsNsec / 10 ** (9 - exp)));
    const caplen = rec.length;
    const body = Buffer.alloc(20 + pad4(caplen));
    body.writeUInt32LE(interfaceId, 0);
    body.writeUInt32LE(Number(ts >> 32n) >>> 0, 4);
    body.writeUInt32LE(Number(ts & 0xffffffffn) >>> 0, 8);
    body.writeUInt32LE(caplen, 12);
    body.writeUInt32LE(Math.max(rec.wireLength, caplen), 16);
    body.set(packetBytes(rec), 20);
    const opts = comment !== undefined ? encodeOptions([[OPT_COMMENT, Buffer.from(comment, 'utf8')]]) : Buffer.alloc(0);
    return block(0x00000006, Buffer.concat([body, opts]));
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function encodeOptions(opts: [number, Buffer][]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of opts) {
    if (value.length > 0xffff) throw new RangeError('pcapng option longer than 65535 bytes');
    const h = Buffer.alloc(4 + pad4(value.length));
    h.writeUInt16LE(code, 0);
    h.writeUInt16LE(value.length, 2);
    value.copy(h, 4);
    parts.push(h);
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}
