/**
 * Captures for the link types and edge rules that Netmon matches tshark 4.0
 * on, built here byte by byte so that anyone can regenerate them. Each one's
 * tshark ground truth is committed in test/fixtures/truth/<name>.truth.json
 * (made by `make-truth-fixtures.ts` with tshark 4.0.17, the version the rules
 * were matched against); test/integration/truth.test.ts builds the captures
 * again, checks that they are the bytes the truth was made from, and compares
 * `netmon analyze --json` with it.
 */

export interface GeneratedCapture {
  /** File name, extension included. */
  name: string;
  /** What the capture covers. */
  covers: string;
  bytes: () => Uint8Array;
}

type Bytes = number[];

const A = [10, 0, 0, 1];
const B = [10, 0, 0, 2];
const C1 = [192, 168, 1, 1];
const C2 = [192, 168, 1, 2];
const V6A = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
const V6B = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2];

const be16 = (v: number): Bytes => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): Bytes => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const le16 = (v: number): Bytes => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number): Bytes => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const zeros = (n: number): Bytes => new Array<number>(n).fill(0);
const ascii = (s: string): Bytes => [...Buffer.from(s, 'latin1')];
const hex = (s: string): Bytes => (s.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16));
const pad4 = (b: Bytes): Bytes => [...b, ...zeros((4 - (b.length % 4)) % 4)];

function checksum(b: Bytes): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ip4(src: Bytes, dst: Bytes, proto: number, payload: Bytes, o: { id?: number; total?: number } = {}): Bytes {
  const h = [0x45, 0, ...be16(o.total ?? 20 + payload.length), ...be16(o.id ?? 1), 0, 0, 64, proto, 0, 0, ...src, ...dst];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

const ip6 = (src: Bytes, dst: Bytes, next: number, payload: Bytes): Bytes => [0x60, 0, 0, 0, ...be16(payload.length), next, 64, ...src, ...dst, ...payload];
const udp = (sport: number, dport: number, payload: Bytes, length?: number): Bytes => [...be16(sport), ...be16(dport), ...be16(length ?? 8 + payload.length), 0, 0, ...payload];
const tcpSyn = (sport: number, dport: number): Bytes => [...be16(sport), ...be16(dport), ...be32(1), ...be32(0), 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const icmpEcho = (): Bytes => [8, 0, 0, 0, 0, 1, 0, 1, ...ascii('abcd')];
const MAC1 = hex('000c29010203');
const MAC2 = hex('005056040506');
const eth = (type: number, payload: Bytes, dst = MAC2, src = MAC1): Bytes => [...dst, ...src, ...be16(type), ...payload];

const v4udp = (): Bytes => ip4(A, B, 17, udp(1000, 2000, ascii('hello')));
const v4tcp = (): Bytes => ip4(A, B, 6, tcpSyn(40000, 80));
const v4icmp = (): Bytes => ip4(A, B, 1, icmpEcho());
const v6udp = (): Bytes => ip6(V6A, V6B, 17, udp(3000, 4000, ascii('hello')));

interface Rec {
  data: Bytes;
  /** Original length when it differs from the captured bytes. */
  wire?: number;
}

/** A microsecond pcap, one record a second. */
function pcap(linkType: number, records: (Bytes | Rec)[]): Uint8Array {
  const out: Bytes = [...le32(0xa1b2c3d4), ...le16(2), ...le16(4), ...zeros(8), ...le32(262144), ...le32(linkType)];
  records.forEach((r, i) => {
    const rec = Array.isArray(r) ? { data: r } : r;
    out.push(...le32(1_700_000_000 + i), ...le32(1000 * i), ...le32(rec.data.length), ...le32(rec.wire ?? rec.data.length));
    for (const b of rec.data) out.push(b);
  });
  return Uint8Array.from(out);
}

// --- link types --------------------------------------------------------------

function pktapHeader(dlt: number, hdrlen = 108, recordType = 1): Bytes {
  const h = [...le32(hdrlen), ...le32(recordType), ...le32(dlt), ...ascii('en0'), ...zeros(21), ...le32(0), ...le32(2), ...le32(14), ...le32(0), ...le32(321)];
  h.push(...ascii('curl'), ...zeros(16), ...le32(0), ...le16(6), ...le16(0), ...le32(321), ...ascii('curl'), ...zeros(16));
  return [...h, ...zeros(hdrlen - h.length)];
}

const pktapFrames = (): Bytes[] => [
  [...pktapHeader(1), ...eth(0x0800, v4udp())],
  [...pktapHeader(0), ...le32(2), ...v4tcp()],
  [...pktapHeader(12), ...v4icmp()],
  [...pktapHeader(1, 112), ...eth(0x86dd, v6udp())],
  [...pktapHeader(1, 108, 0), ...eth(0x0800, v4udp())],
  [...le32(100), ...zeros(96), ...v4udp()],
  pktapHeader(1).slice(0, 60),
];

function tlv(type: number, value: Bytes): Bytes {
  return pad4([...le16(4 + value.length), ...le16(type), ...value]);
}

const nflog = (family: number, payload: Bytes, hwProtocol?: number, before: Bytes = []): Bytes => [
  family, 0, ...be16(1), ...before,
  ...(hwProtocol === undefined ? [] : tlv(1, [...be16(hwProtocol), 3, 0])),
  ...tlv(10, ascii('drop\0')),
  ...tlv(9, payload),
];

const ipoib = (type: number, payload: Bytes): Bytes => [...zeros(20), 0, 0, 0, 7, ...zeros(16), ...be16(type), 0, 0, ...payload];

const WLAN_DATA = hex('0801 0000 001122334455 00667788 99aa 00bbccddeeff 1000');
const SNAP_IPV4 = hex('aaaa03 000000 0800');
const FCS = hex('deadbeef');
const ppi = (dlt: number, payload: Bytes, fields: Bytes = []): Bytes => [0, 0, ...le16(8 + fields.length), ...le32(dlt), ...fields, ...payload];
const ppiCommon = (flags: number): Bytes => [...le16(2), ...le16(20), ...zeros(8), ...le16(flags), ...zeros(10)];

function pflog(af: number, payload: Bytes, length = 61): Bytes {
  const h = [length, af, 0, 0, ...ascii('pflog0'), ...zeros(10), ...zeros(16), ...be32(1), ...be32(0), ...zeros(16), 1, 0, 0, 0];
  return [...pad4(h.slice(0, length)), ...payload];
}

const enc = (af: number, payload: Bytes, bigEndian = false): Bytes => [...(bigEndian ? be32(af) : le32(af)), ...be32(0x1234), ...zeros(4), ...payload];
const ipnet = (family: number, payload: Bytes): Bytes => [1, family, 0, 0, ...be32(payload.length), ...be32(1), ...zeros(12), ...payload];
const pppoe = (protocol: Bytes, payload: Bytes): Bytes => [0x11, 0, ...be16(1), ...be16(payload.length + protocol.length), ...protocol, ...payload];
const label = (value: number, bottom: boolean): Bytes => be32((value << 12) | (bottom ? 0x100 : 0) | 64);
const ATM_LLC = (): Bytes => [...SNAP_IPV4, ...v4udp()];
const ATM_BRIDGED = (): Bytes => [...hex('aaaa03 0080c2 0007 0000'), ...eth(0x0800, v4udp())];
const AVS_HEADER = [...be32(0x80211001), ...be32(64), ...zeros(56)];
const PRISM_HEADER = [...le32(0x41), ...le32(144), ...zeros(136)];

// --- GRE ----------------------------------------------------------------------

const GC = 0x8000;
const GR = 0x4000;
const GK = 0x2000;
const GS = 0x1000;
const GA = 0x0080;
const greInner = (): Bytes => ip4(C1, C2, 17, udp(11, 22, ascii('hi')));
const innerEth = (): Bytes => eth(0x0800, ip4([192, 168, 2, 1], [192, 168, 2, 2], 17, udp(55, 66, ascii('hi'))));
const gre = (flags: number, type: number, payload: Bytes, options: Bytes = []): Bytes => [...be16(flags), ...be16(type), ...options, ...payload];
const sre = (): Bytes => [...be16(0x0800), 0, 8, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0];
const pptp = (flags: number, payload: Bytes, extra: Bytes = []): Bytes => gre(GK | GS | flags | 1, 0x880b, payload, [...be16(payload.length), ...be16(7), ...be32(1), ...extra]);

const greFrames = (): Bytes[] => [
  gre(0, 0x0800, greInner()),
  gre(GC, 0x0800, greInner(), zeros(4)),
  gre(GK, 0x0800, greInner(), be32(7)),
  gre(GS, 0x0800, greInner(), be32(1)),
  gre(GC | GK | GS, 0x0800, greInner(), zeros(12)),
  gre(GR, 0x0800, greInner(), [...zeros(4), ...sre()]),
  gre(GR | GK, 0x0800, greInner(), [...zeros(4), ...be32(7), ...sre()]),
  gre(0, 0x86dd, v6udp()),
  gre(0, 0x6558, innerEth()),
  gre(GK, 0x6558, innerEth(), be32(0x100)),
  gre(0, 0x8847, [...label(100, true), ...greInner()]),
  pptp(0, [0xff, 0x03, 0x00, 0x21, ...greInner()]),
  pptp(GA, [0xff, 0x03, 0x00, 0x21, ...greInner()], be32(0)),
  gre(GK | GA | 1, 0x880b, [], [...be16(0), ...be16(7), ...be32(0)]),
  pptp(0, [0x00, 0x21, ...greInner()]),
  pptp(0, [0x21, ...greInner()]),
  pptp(0, [0xff, 0x03, 0x00, 0x57, ...v6udp()]),
  pptp(0, [0xff, 0x03, 0x02, 0x81, ...label(100, true), ...greInner()]),
  pptp(0, [0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0]),
  gre(GA | 1, 0x0800, greInner(), be32(1)),
  gre(0, 0x880b, [0xff, 0x03, 0x00, 0x21, ...greInner()]),
  gre(0, 0x88be, innerEth()),
  gre(GS, 0x88be, [...be16(0x1064), ...be16(1), ...be32(0), ...innerEth()], be32(1)),
  gre(GS, 0x22eb, [...be16(0x2064), ...be16(1), ...be32(0x12345678), ...be32(0), ...innerEth()], be32(1)),
  gre(GS, 0x22eb, [...be16(0x2064), ...be16(1), ...be32(0x12345678), ...be32(1), ...zeros(8), ...innerEth()], be32(1)),
  gre(0, 0x883e, [...zeros(4), ...greInner()]),
  gre(0, 0x883e, greInner()),
  gre(0, 0x8100, [...be16(5), ...be16(0x0800), ...greInner()]),
  gre(2, 0x0800, greInner()),
  gre(GC | GK, 0x0800, [], zeros(2)),
];

// --- MPLS --------------------------------------------------------------------

const mplsFrames = (): Bytes[] => [
  eth(0x8847, [...label(100, true), ...v4icmp()]),
  eth(0x8847, [...label(100, false), ...label(200, true), ...v4udp()]),
  eth(0x8847, [...label(100, true), ...v6udp()]),
  eth(0x8847, [...label(100, true), ...zeros(4), ...innerEth()]),
  eth(0x8847, [...label(100, true), ...innerEth()]),
  eth(0x8847, [...label(0, true), ...v6udp()]),
  eth(0x8847, [...label(2, true), ...v4udp()]),
  eth(0x8847, [...label(100, true), ...hex('1000 0021'), ...v4udp()]),
  eth(0x8847, [...label(100, true), ...hex('1000 0057'), ...v6udp()]),
  eth(0x8847, [...label(13, true), ...hex('1000 0021'), ...v4udp()]),
  eth(0x8848, [...label(100, true), ...v4icmp()]),
  eth(0x8847, [...label(100, true), 0x45]),
  eth(0x8847, [...label(100, true), ...new Array<number>(40).fill(0x20)]),
  eth(0x8100, [...be16(7), ...be16(0x8847), ...label(100, true), ...v4icmp()]),
  eth(0x8864, pppoe([0x02, 0x81], [...label(100, true), ...v4icmp()])),
  eth(0x8864, pppoe([0x21], v4icmp())),
];

// --- UDP lengths -------------------------------------------------------------

const DNS_ANSWER = hex('0001 8180 0001 0001 0000 0000 0161 00 0001 0001 c00c 0001 0001 0000003c 0004 01020304');
const udpFrames = (): Rec[] => [
  { data: eth(0x0800, ip4(A, B, 17, udp(1001, 2001, zeros(20), 60))) },
  { data: eth(0x0800, ip4(A, B, 17, udp(1002, 2002, zeros(20), 4))) },
  { data: eth(0x0800, ip4(A, B, 17, udp(1003, 2003, zeros(20), 8))) },
  { data: eth(0x0800, ip4(A, B, 17, udp(1004, 2004, zeros(20), 0))) },
  { data: eth(0x0800, ip4(A, B, 17, udp(1005, 2005, zeros(20), 60))).slice(0, 40), wire: 200 },
  { data: eth(0x0800, ip4(B, A, 17, udp(53, 2006, DNS_ANSWER, 100))) },
  { data: eth(0x86dd, ip6(V6A, V6B, 17, udp(1007, 2007, zeros(20), 60))) },
  { data: eth(0x86dd, ip6(V6A, V6B, 17, udp(1008, 2008, zeros(20), 0))) },
  { data: eth(0x86dd, ip6(V6A, V6B, 17, udp(1009, 2009, zeros(20), 5))) },
  { data: eth(0x0800, ip4(A, B, 17, udp(1010, 2010, zeros(20), 60), { total: 52 })) },
];

// --- DNS names -----------------------------------------------------------------

const dnsName = (...labels: Bytes[]): Bytes => [...labels.flatMap((l) => [l.length, ...l]), 0];

function dnsResponse(question: Bytes, answers: Bytes[], tail: Bytes = [], counts?: { an?: number }): Bytes {
  return [...hex('1234 8180 0001'), ...be16(counts?.an ?? answers.length), 0, 0, 0, 0, ...question, 0, 1, 0, 1, ...answers.flat(), ...tail];
}

const aRecord = (owner: Bytes, address: number[], rdlength = 4): Bytes => [...owner, 0, 1, 0, 1, 0, 0, 0, 60, ...be16(rdlength), ...address];
const PTR_QUESTION = [0xc0, 0x0c];

function dnsMessages(): Bytes[] {
  const y = (n: number): Bytes => new Array<number>(n).fill(0x79);
  const chain = (n: number): Bytes => {
    // Question "q" then a pointer into a chain of n pointers ending at "end".
    const start = 12 + 4 + 4 + 16;
    const tail: Bytes = [];
    for (let i = 0; i < n; i++) tail.push(...be16(0xc000 | (start + (i + 1) * 2)));
    tail.push(...dnsName(ascii('end')));
    return dnsResponse([1, 0x71, ...be16(0xc000 | start)], [aRecord(PTR_QUESTION, [9, 9, 9, n & 0xff])], tail);
  };
  return [
    dnsResponse(dnsName(ascii('www'), ascii('example'), ascii('com')), [aRecord(PTR_QUESTION, [1, 2, 3, 4])]),
    dnsResponse(dnsName(ascii('a.b'), ascii('example')), [aRecord(PTR_QUESTION, [1, 2, 3, 5])]),
    dnsResponse(dnsName(hex('610162'), hex('65787f6d'), hex('c3a974e9')), [aRecord(PTR_QUESTION, [1, 2, 3, 6])]),
    dnsResponse(dnsName(ascii('a b'), ascii('c\td'), ascii('e\nf'), ascii('q"\\z')), [aRecord(PTR_QUESTION, [1, 2, 3, 7])]),
    dnsResponse([3, ...ascii('abc'), 0xc0, 0x0c], [aRecord(PTR_QUESTION, [1, 2, 3, 8])]),
    dnsResponse([0xc0, 0x0c], [aRecord(PTR_QUESTION, [1, 2, 3, 9])]),
    dnsResponse([3, ...ascii('fwd'), 0xc0, 0x26], [aRecord(PTR_QUESTION, [1, 2, 3, 10])], dnsName(ascii('target'), ascii('net'))),
    dnsResponse(dnsName(y(63), y(63), y(63), y(61)), [aRecord(PTR_QUESTION, [1, 2, 3, 11])]),
    dnsResponse(dnsName(y(63), y(63), y(63), y(62)), [aRecord(PTR_QUESTION, [1, 2, 3, 12])]),
    dnsResponse(dnsName(hex('61c2857a'), hex('61e2808b7a'), hex('61c0af7a'), hex('61eda0807a'), hex('61fffe7a'), hex('611b7a')), [aRecord(PTR_QUESTION, [1, 2, 3, 13])]),
    dnsResponse([0], [aRecord(PTR_QUESTION, [1, 2, 3, 14])]),
    dnsResponse([3, ...ascii('abc'), 0x41, 0x00], [aRecord(PTR_QUESTION, [1, 2, 3, 15])]),
    chain(254),
    chain(255),
    dnsResponse(dnsName(ascii('host'), ascii('test')), [aRecord(PTR_QUESTION, [1, 1, 1, 1]), aRecord(PTR_QUESTION, [1, 1, 1, 2], 40)]),
    dnsResponse(dnsName(ascii('len8'), ascii('test')), [aRecord(PTR_QUESTION, [1, 1, 1, 3, 5, 5, 5, 5], 8), aRecord(PTR_QUESTION, [1, 1, 1, 4])]),
    dnsResponse(dnsName(ascii('len2'), ascii('test')), [aRecord(PTR_QUESTION, [1, 1], 2), aRecord(PTR_QUESTION, [1, 1, 1, 5])]),
    dnsResponse(dnsName(ascii('more'), ascii('test')), [aRecord(PTR_QUESTION, [1, 1, 1, 8])], [], { an: 3 }),
    dnsResponse(dnsName(ascii('owner'), ascii('test')), [aRecord([1, 0x78, 0xc0, 0x1e], [1, 1, 1, 12])]),
    dnsResponse(dnsName(ascii('zero'), ascii('test')), [aRecord(PTR_QUESTION, [], 0), aRecord(PTR_QUESTION, [1, 1, 1, 17])]),
    dnsResponse(dnsName(ascii('cname'), ascii('test')), [[...PTR_QUESTION, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 0x0c], aRecord(PTR_QUESTION, [1, 1, 1, 18])]),
  ];
}

// --- files with problems -------------------------------------------------------

function bigRecordFile(position: number, count: number, dst = MAC2, src = MAC1): Uint8Array {
  const small = eth(0x0800, v4udp(), dst, src);
  const records: Bytes[] = [];
  for (let i = 0; i < count; i++) records.push(i === position ? [...small, ...zeros(262_145 - small.length)] : small);
  return pcap(1, records);
}

function pcapngBlock(type: number, body: Bytes): Bytes {
  const b = pad4(body);
  return [...le32(type), ...le32(12 + b.length), ...b, ...le32(12 + b.length)];
}

function pcapngFile(badOption: 'none' | 'idb' | 'epb'): Uint8Array {
  const bad = [...le16(2), ...le16(200), ...ascii('abcd')];
  const frame = eth(0x0800, v4udp());
  const epb = (options: Bytes, i: number): Bytes => pcapngBlock(6, [...le32(0), ...le32(0), ...le32(1_000_000 * i), ...le32(frame.length), ...le32(frame.length), ...pad4(frame), ...options]);
  const good = [...le16(1), ...le16(5), ...ascii('hello'), 0, 0, 0, ...le32(0)];
  return Uint8Array.from([
    ...pcapngBlock(0x0a0d0d0a, [...le32(0x1a2b3c4d), ...le16(1), ...le16(0), ...le32(0xffffffff), ...le32(0xffffffff)]),
    ...pcapngBlock(1, [...le16(1), ...le16(0), ...le32(262144), ...(badOption === 'idb' ? bad : [])]),
    ...epb(good, 1),
    ...epb(badOption === 'epb' ? bad : [], 2),
    ...epb([], 3),
  ]);
}

function sunAtmShortRecord(): Uint8Array {
  const good = [2, 0, 0, 0x20, ...ATM_LLC()];
  return pcap(123, [good, good, good, good, [2, 0, 0], good]);
}

export const GENERATED_CAPTURES: GeneratedCapture[] = [
  { name: 'lt-pktap.pcap', covers: 'LINKTYPE_PKTAP (258): Ethernet, NULL and raw IP behind the header, a longer header, a non-packet record, a header length below 108, a cut header', bytes: () => pcap(258, pktapFrames()) },
  { name: 'lt-pktap-darwin.pcap', covers: 'DLT_USER2 (149), as macOS writes PKTAP', bytes: () => pcap(149, pktapFrames()) },
  {
    name: 'lt-nflog.pcap',
    covers: 'LINKTYPE_NFLOG (239): IPv4/IPv6 by family and by the packet header hardware protocol, a nested payload TLV, a TLV length below 4, big-endian TLVs, unknown families',
    bytes: () => pcap(239, [
      nflog(2, v4udp(), 0x0800), nflog(10, v6udp(), 0x86dd), nflog(10, v6udp()), nflog(2, v4udp()), nflog(2, v6udp(), 0x0800), nflog(2, v4udp(), 0x86dd),
      nflog(10, v4udp()), nflog(7, v4udp()), nflog(2, v4tcp(), undefined, tlv(0x4009, ascii('xx'))), nflog(2, v4udp(), undefined, [...le16(2), ...le16(5)]),
      [2, 0, 0, 1, ...be16(8), ...be16(9), ...v4udp().slice(0, 4)], nflog(2, v4udp()).slice(0, 10),
    ]),
  },
  {
    name: 'lt-ipoib.pcap',
    covers: 'LINKTYPE_IPOIB (242): 40-byte pseudo-header, then IPv4, IPv6, ARP, an IPv6 type carrying IPv4, a cut header',
    bytes: () => pcap(242, [ipoib(0x0800, v4udp()), ipoib(0x86dd, v6udp()), ipoib(0x0806, zeros(28)), ipoib(0x86dd, v4udp()), ipoib(0x0800, v4tcp()).slice(0, 30)]),
  },
  {
    name: 'lt-ppi.pcap',
    covers: 'LINKTYPE_PPI (192): 802.11 with and without FCS (802.11-common flags), Ethernet, radiotap and raw IP by DLT, a cut header',
    bytes: () => pcap(192, [
      ppi(105, [...WLAN_DATA, ...SNAP_IPV4, ...v4udp()]), ppi(105, [...WLAN_DATA, ...SNAP_IPV4, ...v4udp(), ...FCS], ppiCommon(1)), ppi(105, [...WLAN_DATA, ...SNAP_IPV4, ...v4tcp()], ppiCommon(0)),
      ppi(1, eth(0x0800, v4udp())), ppi(127, [...hex('0000 0800 0000 0000'), ...WLAN_DATA, ...SNAP_IPV4, ...v4icmp()]), ppi(101, v6udp()), ppi(105, WLAN_DATA).slice(0, 6),
    ]),
  },
  { name: 'lt-pflog.pcap', covers: 'LINKTYPE_PFLOG (117): IPv4, IPv6 under the three BSD AF_INET6 values, other families, longer headers, a cut header', bytes: () => pcap(117, [pflog(2, v4udp()), pflog(24, v6udp()), pflog(28, v6udp()), pflog(30, v6udp()), pflog(10, v6udp()), pflog(2, v4tcp(), 64), pflog(2, v4udp(), 72), pflog(2, v4udp()).slice(0, 20)]) },
  { name: 'lt-enc.pcap', covers: 'LINKTYPE_ENC (109): address family in either byte order', bytes: () => pcap(109, [enc(2, v4udp()), enc(24, v6udp()), enc(2, v4tcp(), true), enc(28, v6udp()), enc(0, v4udp()), enc(2, v4udp()).slice(0, 8)]) },
  { name: 'lt-enc-openbsd.pcap', covers: 'DLT_ENC as OpenBSD writes it (13)', bytes: () => pcap(13, [enc(2, v4udp()), enc(24, v6udp())]) },
  { name: 'lt-ipnet.pcap', covers: 'LINKTYPE_IPNET (226, Solaris): IPv4, IPv6, header version 2, unknown family, IPv6 family carrying IPv4', bytes: () => pcap(226, [ipnet(2, v4udp()), ipnet(26, v6udp()), [2, ...ipnet(2, v4tcp()).slice(1)], ipnet(0, v4udp()), ipnet(26, v4udp())]) },
  { name: 'lt-ppp-ether.pcap', covers: 'LINKTYPE_PPP_ETHER (51): PPPoE session with IPv4, IPv6, a compressed protocol field, MPLS', bytes: () => pcap(51, [pppoe([0, 0x21], v4udp()), pppoe([0, 0x57], v6udp()), pppoe([0x21], v4tcp()), pppoe([0x02, 0x81], [...label(100, true), ...v4icmp()])]) },
  { name: 'lt-ppp-with-dir.pcap', covers: 'LINKTYPE_PPP_WITH_DIR (204): a direction byte that Wireshark counts out of the frame', bytes: () => pcap(204, [[0, 0xff, 0x03, 0x00, 0x21, ...v4udp()], [1, 0x00, 0x57, ...v6udp()], [0, 0x00, 0x21, ...v4tcp()]]) },
  {
    name: 'lt-sunatm.pcap',
    covers: 'LINKTYPE_SUNATM (123): LLC and LANE traffic, guessed types, signalling VCI, original lengths shorter than the pseudo-header (wrapping as in C)',
    bytes: () => pcap(123, [
      [2, 0, 0, 0x20, ...ATM_LLC()], [1, 0, 0, 0x21, 0, 1, ...eth(0x0800, v4udp())], [0, 0, 0, 0x22, ...ATM_LLC()], [0, 0, 0, 0x23, 0, 1, ...eth(0x0800, v4udp())],
      [0, 0, 0, 0x05, ...ATM_LLC()], [0, 0, 0, 0x10, ...ATM_LLC()], [0, 0, 0, 0x24, ...ATM_BRIDGED()], [6, 0, 0, 0x24, ...ATM_LLC()], [1, 0, 0, 0x21, 0xff, 0x00, ...eth(0x0800, v4udp())],
      { data: [2, 0, 0, 0x20, ...ATM_LLC()], wire: 2 }, { data: [2, 0, 0, 0x20, ...ATM_LLC()], wire: 40 },
    ]),
  },
  { name: 'lt-sunatm-short-record.pcap', covers: 'a SunATM record shorter than its pseudo-header: the file is damaged after four packets', bytes: sunAtmShortRecord },
  { name: 'lt-atm-rfc1483.pcap', covers: 'LINKTYPE_ATM_RFC1483 (100): LLC/SNAP IPv4 and IPv6, bridged Ethernet with and without FCS', bytes: () => pcap(100, [ATM_LLC(), ATM_BRIDGED(), [...hex('aaaa03 000000 86dd'), ...v6udp()], [...hex('aaaa03 0080c2 0001 0000'), ...eth(0x0800, v4tcp()), ...FCS]]) },
  { name: 'lt-atm-clip.pcap', covers: 'LINKTYPE_ATM_CLIP (106): IPv4, and IPv6 reached through the IPv4 dissector', bytes: () => pcap(106, [v4udp(), v6udp()]) },
  { name: 'lt-atm-clip-linux.pcap', covers: 'DLT_ATM_CLIP as Linux writes it (19)', bytes: () => pcap(19, [v4udp(), v6udp()]) },
  { name: 'lt-prism.pcap', covers: 'LINKTYPE_IEEE802_11_PRISM (119): Prism header, and an AVS header in its place', bytes: () => pcap(119, [[...PRISM_HEADER, ...WLAN_DATA, ...SNAP_IPV4, ...v4udp()], [...AVS_HEADER, ...WLAN_DATA, ...SNAP_IPV4, ...v4tcp()], PRISM_HEADER.slice(0, 100)]) },
  { name: 'lt-avs.pcap', covers: 'LINKTYPE_IEEE802_11_AVS (163)', bytes: () => pcap(163, [[...AVS_HEADER, ...WLAN_DATA, ...SNAP_IPV4, ...v4udp()], [...AVS_HEADER, ...WLAN_DATA, ...SNAP_IPV4, ...v4icmp()]]) },
  { name: 'lt-chdlc-bsdos.pcap', covers: 'Cisco HDLC as BSD/OS writes it (112)', bytes: () => pcap(112, [[0x0f, 0, 0x08, 0, ...v4udp()], [0x8f, 0, 0x86, 0xdd, ...v6udp()]]) },
  { name: 'lt-ipv6-not-ipv6.pcap', covers: 'LINKTYPE_IPV6 (229) records that are not IPv6: tshark dissects nothing', bytes: () => pcap(229, [v6udp(), v4udp(), [0x50, ...zeros(39)]]) },
  { name: 'udp-length.pcap', covers: 'UDP length beyond the IP payload (still a conversation), below 8, zero under IPv4 and IPv6 (jumbogram), a cut header, IPv4 total length beyond the frame', bytes: () => pcap(1, udpFrames()) },
  { name: 'mpls.pcap', covers: 'MPLS: IPv4/ICMP, label stacks, IPv6, pseudowire with control word, Ethernet pseudowire without one, explicit-null labels carrying the other family, associated channel (IPv4, IPv6, GAL), multicast, cut payloads, data, MPLS over VLAN and PPPoE', bytes: () => pcap(1, mplsFrames()) },
  { name: 'gre.pcap', covers: 'GRE: checksum, key, sequence and routing combinations, IPv6, transparent Ethernet bridging (NVGRE), MPLS, enhanced GRE/PPTP with ack, compressed PPP fields, IPv6 and MPLS over PPP, LCP, ERSPAN I/II/III (with subheader), WCCP v1/v2, VLAN type (not followed), version 2, a cut header', bytes: () => pcap(1, greFrames().map((g, i) => eth(0x0800, ip4([172, 16, 0, 1], [172, 16, 0, 2], 47, g, { id: i })))) },
  { name: 'dns-malformed.pcap', covers: 'DNS names: dots and control bytes in labels, UTF-8 edge cases, pointer loops, forward pointers, long names, extended labels, pointer chains of 255 and 256, answers with odd lengths, cut answers', bytes: () => pcap(1, dnsMessages().map((m, i) => eth(0x0800, ip4(B, A, 17, udp(53, 10000 + i, m))))) },
  { name: 'record-too-large-first.pcap', covers: 'a 262,145-byte record first: tshark reads nothing', bytes: () => bigRecordFile(0, 3) },
  { name: 'record-too-large-second.pcap', covers: 'a 262,145-byte second record: one packet, then the file is damaged', bytes: () => bigRecordFile(1, 3) },
  { name: 'record-too-large-third.pcap', covers: 'a 262,145-byte third record: two packets, then the file is damaged', bytes: () => bigRecordFile(2, 4) },
  {
    name: 'record-too-large-third-variant.pcap',
    covers: 'a 262,145-byte third record after frames whose bytes read better as the Nokia pcap variant: tshark picks that variant and reads three odd records',
    bytes: () => bigRecordFile(2, 4, hex('020000000002'), hex('020000000001')),
  },
  { name: 'record-too-large-fifth.pcap', covers: 'a 262,145-byte fifth record: four packets, then the file is damaged', bytes: () => bigRecordFile(4, 6) },
  { name: 'record-largest.pcap', covers: 'a record of exactly 262,144 bytes (a non-IP frame) is accepted', bytes: () => pcap(1, [eth(0x0800, v4udp()), eth(0x88b5, zeros(262_144 - 14)), eth(0x0800, v4udp())]) },
  { name: 'record-huge-original-length.pcap', covers: 'original lengths of 2^32-16 and 2^31+5: frame.len stops at INT_MAX, conversations add them as C ints', bytes: () => pcap(1, [{ data: eth(0x0800, v4udp()), wire: 0xfffffff0 }, { data: eth(0x0800, v4udp()), wire: 0x80000005 }]) },
  { name: 'pcapng-option-past-idb.pcapng', covers: 'pcapng: an interface option that runs past its block: nothing is read', bytes: () => pcapngFile('idb') },
  { name: 'pcapng-option-past-epb.pcapng', covers: 'pcapng: a packet option that runs past its block: one packet, then the file is damaged', bytes: () => pcapngFile('epb') },
  { name: 'pcapng-options.pcapng', covers: 'pcapng: a packet with a comment option and one without', bytes: () => pcapngFile('none') },
];
