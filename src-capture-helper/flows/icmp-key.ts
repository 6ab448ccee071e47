/**
 * How ICMP and ICMPv6 messages map onto flow keys.
 *
 * - Query/response pairs (echo, timestamp, node information...) form one flow
 *   per identifier: the key's "ports" are the identifier on both sides and the
 *   type family (the request type) is part of the key.
 * - Other informational messages (router/neighbour discovery, MLD) are keyed by
 *   their type family with ports 0.
 * - Errors (unreachable, time exceeded, parameter problem, packet too big,
 *   redirect, source quench) belong to the flow of the packet they quote, as in
 *   Suricata: `parseQuotedTuple` reads that packet's addresses and ports.
 */

const ICMP4_FAMILY = new Int16Array(256).fill(-1);
const ICMP6_FAMILY = new Int16Array(256).fill(-1);
const ICMP4_ERROR = new Uint8Array(256);
const ICMP6_ERROR = new Uint8Array(256);
/** Families whose messages carry an identifier at offset 4. */
const ICMP4_HAS_ID = new Uint8Array(256);
const ICMP6_HAS_ID = new Uint8Array(256);

for (const [req, rep] of [[8, 0], [13, 14], [15, 16], [17, 18], [10, 9]]) {
  ICMP4_FAMILY[req] = req;
  ICMP4_FAMILY[rep] = req;
}
for (const t of [8, 13, 15, 17]) ICMP4_HAS_ID[t] = 1;
for (const t of [3, 4, 5, 11, 12]) ICMP4_ERROR[t] = 1;
for (const [req, rep] of [[128, 129], [139, 140], [133, 134], [135, 136]]) {
  ICMP6_FAMILY[req] = req;
  ICMP6_FAMILY[rep] = req;
}
// Multicast listener query, reports (v1, v2) and done.
for (const t of [130, 131, 132, 143]) ICMP6_FAMILY[t] = 130;
ICMP6_HAS_ID[128] = 1;
for (const t of [1, 2, 3, 4]) ICMP6_ERROR[t] = 1;

export function isIcmpError(v6: boolean, type: number): boolean {
  return (v6 ? ICMP6_ERROR : ICMP4_ERROR)[type & 255] === 1;
}

/** The type family an ICMP type belongs to (the request type of a pair, or the type itself). */
export function icmpFamily(v6: boolean, type: number): number {
  const f = (v6 ? ICMP6_FAMILY : ICMP4_FAMILY)[type & 255];
  return f === -1 ? type & 255 : f;
}

/** True when messages of this family carry an identifier that separates flows. */
export function icmpFamilyHasId(v6: boolean, family: number): boolean {
  return (v6 ? ICMP6_HAS_ID : ICMP4_HAS_ID)[family & 255] === 1;
}

/** The 5-tuple quoted inside an ICMP error, in the quoted packet's own direction. */
export class QuotedTuple {
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  ipProto = 0;
  srcPort = 0;
  dstPort = 0;
  /** ICMP family when the quoted packet is itself an ICMP query, else 0. */
  family = 0;
}

function readU32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

/**
 * Reads the IP header (and first transport bytes) quoted by an ICMP error
 * whose header starts at `icmpOffset`; the packet's captured bytes end at
 * `end`. Returns false when too little was captured or the quote is not an IP
 * packet of the expected version.
 */
export function parseQuotedTuple(data: Uint8Array, icmpOffset: number, end: number, v6: boolean, out: QuotedTuple): boolean {
  const ip = icmpOffset + 8;
  let l4: number;
  if (!v6) {
    if (ip + 20 > end || data[ip] >> 4 !== 4) return false;
    const ihl = (data[ip] & 15) * 4;
    if (ihl < 20) return false;
    out.src[0] = 0;
    out.src[1] = 0;
    out.src[2] = 0xffff;
    out.src[3] = readU32(data, ip + 12);
    out.dst[0] = 0;
    out.dst[1] = 0;
    out.dst[2] = 0xffff;
    out.dst[3] = readU32(data, ip + 16);
    out.ipProto = data[ip + 9];
    // Only a first fragment quotes the transport header.
    const fragOffset = ((data[ip + 6] & 0x1f) << 8) | data[ip + 7];
    l4 = fragOffset === 0 ? ip + ihl : -1;
  } else {
    if (ip + 40 > end || data[ip] >> 4 !== 6) return false;
    for (let i = 0; i < 4; i++) {
      out.src[i] = readU32(data, ip + 8 + 4 * i);
      out.dst[i] = readU32(data, ip + 24 + 4 * i);
    }
    out.ipProto = data[ip + 6];
    l4 = ip + 40;
  }
  out.srcPort = 0;
  out.dstPort = 0;
  out.family = 0;
  if (l4 < 0) return true;
  const p = out.ipProto;
  if ((p === 6 || p === 17 || p === 132) && l4 + 4 <= end) {
    out.srcPort = (data[l4] << 8) | data[l4 + 1];
    out.dstPort = (data[l4 + 2] << 8) | data[l4 + 3];
  } else if ((p === 1 || p === 58) && l4 + 1 <= end) {
    const qv6 = p === 58;
    const family = icmpFamily(qv6, data[l4]);
    out.family = family;
    if (icmpFamilyHasId(qv6, family) && l4 + 6 <= end) {
      const id = (data[l4 + 4] << 8) | data[l4 + 5];
      out.srcPort = id;
      out.dstPort = id;
    }
  }
  return true;
}
