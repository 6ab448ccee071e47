/**
 * Bounded IPv4/IPv6 fragment reassembly, so that names carried in fragmented
 * datagrams (an HTTP request split into IP fragments, a large DNS answer) are
 * seen as tshark sees them with its default IP defragmentation. The result is
 * a whole datagram as raw IP bytes (LINKTYPE_RAW) for the decoder.
 */
import { BoundedMap } from '../../src-shared/bounded-map';
import { OffsetAssembler } from './offset-assembler';
import { address16Key } from './text';

export interface FragmentLimits {
  /** Datagrams under reassembly at once; the oldest is dropped when more arrive. */
  maxDatagrams: number;
  /** Seconds a datagram may wait for its missing fragments (Linux ipfrag_time is 30). */
  timeoutSec: number;
}

export interface FragmentCounters {
  /** Datagrams given up because the table was full. */
  evicted: number;
  /** Datagrams given up because fragments were missing for too long. */
  timedOut: number;
  /** Fragments whose headers could not be read. */
  malformed: number;
  /** Datagrams that would exceed 65535 bytes or keep too many holes. */
  oversized: number;
  reassembled: number;
}

interface Pending {
  asm: OffsetAssembler;
  /** IP header to put in front of the payload, taken from the first fragment. */
  header?: Uint8Array;
  /** Payload length, known once the last fragment (more-fragments clear) arrived. */
  total: number;
  flowId: number;
  firstSec: number;
}

export interface Reassembled {
  datagram: Uint8Array;
  /** Flow id that the caller gave with the first fragment (it carries the transport header). */
  flowId: number;
}

const MAX_PAYLOAD = 65535;

export class IpFragmentReassembler {
  private readonly pending: BoundedMap<string, Pending>;
  readonly counters: FragmentCounters = { evicted: 0, timedOut: 0, malformed: 0, oversized: 0, reassembled: 0 };

  constructor(private readonly limits: FragmentLimits) {
    this.pending = new BoundedMap(limits.maxDatagrams);
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds the fragment whose IP header starts at `data[netOffset]`. Returns the
   * whole datagram when this fragment completed it.
   */
  add(data: Uint8Array, netOffset: number, flowId: number, tsSec: number): Reassembled | undefined {
    this.expire(tsSec);
    const version = netOffset < data.length ? data[netOffset] >> 4 : 0;
    if (version === 4) return this.addV4(data, netOffset, flowId, tsSec);
    if (version === 6) return this.addV6(data, netOffset, flowId, tsSec);
    this.counters.malformed++;
    return undefined;
  }

  /** Drops datagrams older than the timeout. */
  expire(nowSec: number): void {
    for (;;) {
      const oldest = this.pending.oldest();
      if (!oldest || nowSec - oldest[1].firstSec <= this.limits.timeoutSec) return;
      this.pending.delete(oldest[0]);
      this.counters.timedOut++;
    }
  }

  private addV4(d: Uint8Array, o: number, flowId: number, tsSec: number): Reassembled | undefined {
    if (o + 20 > d.length) return this.bad();
    const ihl = (d[o] & 0x0f) * 4;
    const totalLength = (d[o + 2] << 8) | d[o + 3];
    if (ihl < 20 || o + ihl > d.length || totalLength < ihl) return this.bad();
    const frag = (d[o + 6] << 8) | d[o + 7];
    const offset = (frag & 0x1fff) * 8;
    const more = (frag & 0x2000) !== 0;
    const key = `4:${d[o + 12]}.${d[o + 13]}.${d[o + 14]}.${d[o + 15]}>${d[o + 16]}.${d[o + 17]}.${d[o + 18]}.${d[o + 19]}:${(d[o + 4] << 8) | d[o + 5]}:${d[o + 9]}`;
    const payloadEnd = Math.min(o + totalLength, d.length);
    let header: Uint8Array | undefined;
    if (offset === 0) {
      header = d.slice(o, o + ihl);
      header[6] = 0; // the whole datagram is not a fragment
      header[7] = 0;
    }
    return this.addPiece(key, d, o + ihl, payloadEnd, totalLength - ihl, offset, more, header, flowId, tsSec, (h, len) => {
      const total = h.length + len;
      h[2] = total >> 8;
      h[3] = total & 0xff;
    });
  }

  private addV6(d: Uint8Array, o: number, flowId: number, tsSec: number): Reassembled | undefined {
    if (o + 40 > d.length) return this.bad();
    const declaredEnd = o + 40 + ((d[o + 4] << 8) | d[o + 5]);
    const payloadEnd = Math.min(declaredEnd, d.length);
    let next = d[o + 6];
    let p = o + 40;
    // Unfragmentable part: hop-by-hop, routing and destination options before the fragment header.
    for (let n = 0; n < 8 && (next === 0 || next === 43 || next === 60); n++) {
      if (p + 2 > payloadEnd) return this.bad();
      next = d[p];
      p += (d[p + 1] + 1) * 8;
    }
    if (next !== 44 || p + 8 > payloadEnd) return this.bad();
    const inner = d[p];
    const fragField = (d[p + 2] << 8) | d[p + 3];
    const offset = fragField & 0xfff8;
    const more = (fragField & 1) !== 0;
    const id = ((d[p + 4] << 24) | (d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]) >>> 0;
    const key = `6:${address16Key(d, o + 8)}>${address16Key(d, o + 24)}:${id}`;
    let header: Uint8Array | undefined;
    if (offset === 0) {
      // The rebuilt datagram keeps only the base header; the extension headers before the fragment header carry no names.
      header = d.slice(o, o + 40);
      header[6] = inner;
    }
    return this.addPiece(key, d, p + 8, payloadEnd, declaredEnd - (p + 8), offset, more, header, flowId, tsSec, (h, len) => {
      h[4] = len >> 8;
      h[5] = len & 0xff;
    });
  }

  private addPiece(
    key: string,
    d: Uint8Array,
    start: number,
    end: number,
    /** Fragment payload length the IP header declares (the capture may hold less). */
    declared: number,
    offset: number,
    more: boolean,
    header: Uint8Array | undefined,
    flowId: number,
    tsSec: number,
    setLength: (header: Uint8Array, payloadLength: number) => void,
  ): Reassembled | undefined {
    let entry = this.pending.get(key);
    if (!entry) {
      const before = this.pending.evicted;
      entry = { asm: new OffsetAssembler(MAX_PAYLOAD), total: -1, flowId: -1, firstSec: tsSec };
      this.pending.set(key, entry);
      this.counters.evicted += this.pending.evicted - before;
    }
    if (header) {
      entry.header = header;
      entry.flowId = flowId;
    }
    if (!more) entry.total = offset + declared;
    entry.asm.write(offset, d, start, end);
    if (entry.asm.overflowed || entry.asm.tooFragmented || entry.total > MAX_PAYLOAD) {
      this.pending.delete(key);
      this.counters.oversized++;
      return undefined;
    }
    if (!entry.header || entry.total < 0 || entry.asm.contiguous < entry.total) return undefined;
    this.pending.delete(key);
    const h = entry.header;
    setLength(h, entry.total);
    const datagram = new Uint8Array(h.length + entry.total);
    datagram.set(h, 0);
    datagram.set(entry.asm.bytes.subarray(0, entry.total), h.length);
    this.counters.reassembled++;
    return { datagram, flowId: entry.flowId };
  }

  private bad(): undefined {
    this.counters.malformed++;
    return undefined;
  }
}
