/**
 * Writes Ethernet frames (optional 802.1Q tag, IPv4 or IPv6, TCP/UDP/ICMP/
 * ICMPv6) into a caller's buffer without allocating: the bench capture
 * generator writes millions of them, and the flow tests build their packets
 * with it and decode them with the real decoder.
 *
 * Addresses are four big-endian words, IPv4 as ::ffff:a.b.c.d (word 3 holds
 * the IPv4 address), the layout of the flow table.
 */

export const IP_PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

export const ETHERNET_HEADER = 14;
export const VLAN_TAG = 4;

export class FrameBuilder {
  vlan = -1;
  v6 = false;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  ipProto: number = IP_PROTO.tcp;
  ttl = 64;
  ipId = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  tcpFlags = 0;
  window = 65535;
  icmpType = 8;
  icmpCode = 0;
  icmpId = 0;
  icmpSeq = 0;
  /** Payload bytes after the transport header; when `payload` is set it is copied, else zeros. */
  payloadLength = 0;
  payload: Uint8Array | undefined;

  setV4(src: number, dst: number): void {
    this.v6 = false;
    this.src[0] = 0;
    this.src[1] = 0;
    this.src[2] = 0xffff;
    this.src[3] = src >>> 0;
    this.dst[0] = 0;
    this.dst[1] = 0;
    this.dst[2] = 0xffff;
    this.dst[3] = dst >>> 0;
  }

  setV6(src: Uint32Array, dst: Uint32Array): void {
    this.v6 = true;
    this.src.set(src);
    this.dst.set(dst);
  }

  /** Frame length for the current fields. */
  frameLength(): number {
    return this.headerLength() + this.payloadSize();
  }

  private payloadSize(): number {
    return this.payload ? this.payload.length : this.payloadLength;
  }

  private transportHeaderLength(): number {
    switch (this.ipProto) {
      case IP_PROTO.tcp:
        return 20;
      case IP_PROTO.udp:
      case IP_PROTO.icmp:
      case IP_PROTO.icmpv6:
        return 8;
      default:
        return 0;
    }
  }

  private headerLength(): number {
    return ETHERNET_HEADER + (this.vlan >= 0 ? VLAN_TAG : 0) + (this.v6 ? 40 : 20) + this.transportHeaderLength();
  }

  /** Writes the frame at `out[offset..]` and returns its length. */
  writeInto(out: Uint8Array, offset: number): number {
    let o = offset;
    // Locally administered MACs derived from the last address byte.
    out[o] = 0x02;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 0;
    out[o + 4] = 0;
    out[o + 5] = this.dst[3] & 255;
    out[o + 6] = 0x02;
    out[o + 7] = 0;
    out[o + 8] = 0;
    out[o + 9] = 0;
    out[o + 10] = 0;
    out[o + 11] = this.src[3] & 255;
    o += 12;
    if (this.vlan >= 0) {
      o = u16(out, o, 0x8100);
      o = u16(out, o, this.vlan & 0x0fff);
    }
    o = u16(out, o, this.v6 ? 0x86dd : 0x0800);
    const l4Length = this.transportHeaderLength() + this.payloadSize();
    const ip = o;
    if (this.v6) {
      o = u32(out, o, 0x60000000);
      o = u16(out, o, l4Length);
      out[o++] = this.ipProto;
      out[o++] = this.ttl;
      for (let i = 0; i < 4; i++) o = u32(out, o, this.src[i]);
      for (let i = 0; i < 4; i++) o = u32(out, o, this.dst[i]);
    } else {
      out[o++] = 0x45;
      out[o++] = 0;
      o = u16(out, o, 20 + l4Length);
      o = u16(out, o, this.ipId & 0xffff);
      o = u16(out, o, 0x4000);
      out[o++] = this.ttl;
      out[o++] = this.ipProto;
      o = u16(out, o, 0);
      o = u32(out, o, this.src[3]);
      o = u32(out, o, this.dst[3]);
      let sum = 0;
      for (let i = ip; i < ip + 20; i += 2) sum += (out[i] << 8) | out[i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      u16(out, ip + 10, ~sum & 0xffff);
    }
    switch (this.ipProto) {
      case IP_PROTO.tcp:
        o = u16(out, o, this.srcPort);
        o = u16(out, o, this.dstPort);
        o = u32(out, o, this.seq >>> 0);
        o = u32(out, o, this.ack >>> 0);
        out[o++] = 5 << 4;
        out[o++] = this.tcpFlags;
        o = u16(out, o, this.window);
        o = u16(out, o, 0);
        o = u16(out, o, 0);
        break;
      case IP_PROTO.udp:
        o = u16(out, o, this.srcPort);
        o = u16(out, o, this.dstPort);
        o = u16(out, o, l4Length);
        o = u16(out, o, 0);
        break;
      case IP_PROTO.icmp:
      case IP_PROTO.icmpv6:
        out[o++] = this.icmpType;
        out[o++] = this.icmpCode;
        o = u16(out, o, 0);
        o = u16(out, o, this.icmpId);
        o = u16(out, o, this.icmpSeq);
        break;
      default:
        break;
    }
    if (this.payload) {
      out.set(this.payload, o);
      o += this.payload.length;
    } else {
      out.fill(0, o, o + this.payloadLength);
      o += this.payloadLength;
    }
    return o - offset;
  }

  /** The frame as a new array (tests). */
  build(): Uint8Array {
    const out = new Uint8Array(this.frameLength());
    this.writeInto(out, 0);
    return out;
  }
}

function u16(out: Uint8Array, o: number, v: number): number {
  out[o] = (v >>> 8) & 255;
  out[o + 1] = v & 255;
  return o + 2;
}

function u32(out: Uint8Array, o: number, v: number): number {
  out[o] = (v >>> 24) & 255;
  out[o + 1] = (v >>> 16) & 255;
  out[o + 2] = (v >>> 8) & 255;
  out[o + 3] = v & 255;
  return o + 4;
}
