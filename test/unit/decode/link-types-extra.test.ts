/**
 * PPP, PPP_HDLC, Cisco HDLC, 802.11 and radiotap captures built here from
 * small hand-made frames (hex annotated below), analysed the way
 * `netmon analyze FILE --json` does and compared with what tshark 4.0 reports
 * on the very same files: packets, bytes, protocol buckets and the IPv4/IPv6/
 * TCP/UDP conversation tables.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../../src-capture-helper/capture-file/capture-writers';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { decodePacket, LinkType } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket, DecodeStatus, L4Kind, NetKind } from '../../../src-capture-helper/decode/decoded-packet';
import { CaptureEngine } from '../../../src-capture-helper/pipeline/engine';
import { tsharkConversationTables } from '../../helpers/tshark-conversations';

const hex = (s: string): number[] => (s.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16));

/** IPv4 (no checksum: tshark does not verify it by default) carrying `l4` as protocol `proto`. */
function ipv4(src: string, dst: string, proto: number, l4: number[], totalExtra = 0): number[] {
  const total = 20 + l4.length + totalExtra;
  return [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src.split('.').map(Number), ...dst.split('.').map(Number), ...l4];
}

/** IPv6 2001:db8::<s> > 2001:db8::<d>. */
function ipv6(s: number, d: number, proto: number, l4: number[]): number[] {
  const a = (n: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), n];
  return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, proto, 64, ...a(s), ...a(d), ...l4];
}

function udp(sport: number, dport: number, payload: number, lengthExtra = 0): number[] {
  const len = 8 + payload + lengthExtra;
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0, ...new Array<number>(payload).fill(0x61)];
}

/** TCP SYN, 20-byte header. */
function tcpSyn(sport: number, dport: number): number[] {
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
}

const icmpEcho = hex('0800 0000 0001 0001');
/** 802.2 LLC/SNAP header with a zero OUI, then the EtherType. */
const snap = (type: number): number[] => [0xaa, 0xaa, 0x03, 0, 0, 0, type >> 8, type & 0xff];

const A = '192.0.2.1';
const B = '198.51.100.7';

// PPP bodies, shared by LINKTYPE_PPP (9) and LINKTYPE_PPP_HDLC (50).
const pppFrames: number[][] = [
  // ff 03 | 0021 | IPv4 UDP 5000 > 53
  [...hex('ff03 0021'), ...ipv4(A, B, 17, udp(5000, 53, 12))],
  // 0021 without address/control | IPv4 TCP SYN 40000 > 80
  [...hex('0021'), ...ipv4(A, B, 6, tcpSyn(40000, 80))],
  // ff 03 | 0057 | IPv6 UDP 5001 > 5002
  [...hex('ff03 0057'), ...ipv6(1, 2, 17, udp(5001, 5002, 4))],
  // 0057 | IPv6 ICMPv6 echo
  [...hex('0057'), ...ipv6(2, 1, 58, hex('8000 0000 0001 0001'))],
  // 21 (protocol-field compression) | IPv4 ICMP echo
  [...hex('21'), ...ipv4(B, A, 1, icmpEcho)],
  // 0f 00 | 0800: a Cisco HDLC header, which tshark's PPP dissector hands over | IPv4 UDP 5003 > 5004
  [...hex('0f00 0800'), ...ipv4(B, A, 17, udp(5003, 5004, 2))],
  // ff 03 | c021 LCP echo request: not IP
  hex('ff03 c021 0901 0008 0000 0000'),
  // ff 03 | 0021 | IPv4 header cut after 10 bytes
  [...hex('ff03 0021'), ...ipv4(A, B, 17, udp(1, 2, 0)).slice(0, 10)],
];

const cHdlcFrames: number[][] = [
  // 0f 00 | 0800 | IPv4 UDP 5000 > 53
  [...hex('0f00 0800'), ...ipv4(A, B, 17, udp(5000, 53, 20))],
  // 8f 00 | 86dd | IPv6 TCP SYN
  [...hex('8f00 86dd'), ...ipv6(1, 2, 6, tcpSyn(40001, 443))],
  // 8f 00 | 8035 SLARP keepalive: not IP
  hex('8f00 8035 0000 0002 0000 0001 0000 0002 ffff'),
  // 0f 00 | 0800 | IPv4 non-first fragment (flags/offset 0014): an IPv4 conversation, no UDP
  [...hex('0f00 0800'), ...ipv4(B, A, 17, udp(7, 9, 4)).map((b, i) => (i === 6 ? 0x00 : i === 7 ? 0x14 : b))],
  // header cut after 3 bytes
  hex('0f00 08'),
];

const wlanAddrs = hex('0011 2233 4455  0066 7788 99aa  00bb ccdd eeff'); // addr1..addr3
const seq = hex('1000');
const addr4 = hex('0200 0000 0004');

const wlanFrames: number[][] = [
  // fc 0801 (data, to-DS) | dur 0000 | addr1-3 | seq | LLC/SNAP 0800 | IPv4 UDP
  [...hex('0801 0000'), ...wlanAddrs, ...seq, ...snap(0x0800), ...ipv4(A, B, 17, udp(5353, 5353, 10))],
  // fc 8802 (QoS data, from-DS) | ... | QoS 0000 | LLC/SNAP 86dd | IPv6 UDP
  [...hex('8802 0000'), ...wlanAddrs, ...seq, ...hex('0000'), ...snap(0x86dd), ...ipv6(2, 1, 17, udp(5002, 5001, 6))],
  // fc 0803 (data, to+from DS: 4 addresses) | ... | addr4 | LLC/SNAP 0800 | IPv4 TCP SYN
  [...hex('0803 0000'), ...wlanAddrs, ...seq, ...addr4, ...snap(0x0800), ...ipv4(B, A, 6, tcpSyn(80, 40000))],
  // fc 8883 (QoS data, 4 addresses, order: +HT control) | ... | addr4 | QoS 0000 | HTC 0000 0000 | LLC/SNAP 0800 | IPv4 ICMP
  [...hex('8883 0000'), ...wlanAddrs, ...seq, ...addr4, ...hex('0000'), ...hex('0000 0000'), ...snap(0x0800), ...ipv4(A, B, 1, icmpEcho)],
  // fc 0841 (data, protected) | ... | CCMP header + ciphertext: not IP
  [...hex('0841 0000'), ...wlanAddrs, ...seq, ...hex('0100 0020 0000 0000'), ...snap(0x0800), ...ipv4(A, B, 17, udp(1, 2, 4))],
  // fc 4801 (null data): no body
  [...hex('4801 0000'), ...wlanAddrs, ...seq],
  // fc 8000 (beacon): management, not IP
  [...hex('8000 0000'), ...hex('ffff ffff ffff'), ...hex('0011 2233 4455 0011 2233 4455'), ...seq, ...new Array<number>(12).fill(0)],
  // fc 0801 data frame cut inside the header
  hex('0801 0000 0011 2233 4455 0066'),
];

// Radiotap headers: version 0, pad, it_len (LE), present words (LE), fields.
const rtPlain = hex('0000 0800 0000 0000'); // it_len 8, nothing present
const rtFcs = hex('0000 1200 0300 0000  0102 0304 0506 0708  10 00'); // it_len 18: TSFT, flags=FCS, pad
const rtPad = hex('0000 0c00 0200 0000  20 00 0000'); // flags=datapad, it_len 12
const rtExt = hex('0000 1000 0200 0080  0000 0000  00 00 0000'); // two present words, flags=0
const fcs = hex('dead beef');

const radiotapFrames: number[][] = [
  // it_len 8 | data to-DS | LLC/SNAP 0800 | IPv4 UDP
  [...rtPlain, ...wlanFrames[0]],
  // TSFT + flags FCS | QoS data | IPv6 UDP | FCS
  [...rtFcs, ...wlanFrames[1], ...fcs],
  // TSFT + flags FCS | data | IPv4 TCP whose lengths also cover the FCS (data offset 6, total length 48):
  // once the FCS is dropped the TCP header runs past the frame, so no TCP conversation
  [...rtFcs, ...hex('0801 0000'), ...wlanAddrs, ...seq, ...snap(0x0800), ...ipv4(A, B, 6, tcpSyn(6000, 6001).map((b, i) => (i === 12 ? 0x60 : b)), 4), ...fcs],
  // flags datapad | 4-address data (30-byte header) | 2 pad bytes | LLC/SNAP 0800 | IPv4 TCP SYN
  [...rtPad, ...hex('0803 0000'), ...wlanAddrs, ...seq, ...addr4, 0, 0, ...snap(0x0800), ...ipv4(B, A, 6, tcpSyn(443, 40001))],
  // extended present bitmap, flags 0 | data | IPv4 ICMP
  [...rtExt, ...hex('0801 0000'), ...wlanAddrs, ...seq, ...snap(0x0800), ...ipv4(A, B, 1, icmpEcho)],
  // radiotap | protected data: not IP
  [...rtPlain, ...wlanFrames[4]],
  // radiotap | beacon
  [...rtPlain, ...wlanFrames[6]],
  // it_len 0x40 beyond the captured bytes
  hex('0000 4000 0000 0000 0000'),
];

const dir = mkdtempSync(path.join(tmpdir(), 'netmon-linktypes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeCapture(name: string, linkType: number, frames: number[][]): string {
  const w = new PcapWriter({ linkType });
  const parts = [w.header()];
  frames.forEach((f, i) => parts.push(w.record({ ifIndex: 0, linkType, tsSec: 1_700_000_000 + i, tsNsec: 0, hasTimestamp: true, wireLength: f.length, bytes: Uint8Array.from(f), offset: 0, length: f.length })));
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

const PROTOCOLS = ['ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
type Counts = Record<(typeof PROTOCOLS)[number], { packets: number; bytes: number }>;

function tshark(args: string[]): string {
  const r = spawnSync('tshark', ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The `protocols` buckets from `frame.protocols`: outermost ip/ipv6 and what follows it. */
function tsharkProtocols(file: string): { packets: number; bytes: number; protocols: Counts } {
  const protocols = Object.fromEntries(PROTOCOLS.map((p) => [p, { packets: 0, bytes: 0 }])) as Counts;
  let packets = 0;
  let bytes = 0;
  for (const line of tshark(['-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.protocols']).split('\n')) {
    if (line.trim() === '') continue;
    const [len, stack] = line.split('\t');
    const n = Number(len);
    packets++;
    bytes += n;
    const names = stack.split(':');
    const at = names.findIndex((p) => p === 'ip' || p === 'ipv6');
    if (at >= 0) {
      const l3 = protocols[names[at] === 'ip' ? 'ipv4' : 'ipv6'];
      l3.packets++;
      l3.bytes += n;
    }
    const next = at >= 0 ? names[at + 1] : undefined;
    const l4 = next === 'tcp' || next === 'udp' || next === 'icmp' || next === 'icmpv6' ? protocols[next] : protocols.other;
    l4.packets++;
    l4.bytes += n;
  }
  return { packets, bytes, protocols };
}

/** Conversation rows as order-free keys: endpoints sorted, directional frames/bytes swapped along. */
function key(a: string, b: string, ab: [number, number], ba: [number, number]): string {
  return a <= b ? JSON.stringify([a, b, ab, ba]) : JSON.stringify([b, a, ba, ab]);
}

/** tshark's `-z conv,X` tables as order-free keys (the fixtures stay under 10,000 bytes a row: exact byte counts). */
function tsharkConversations(file: string): Record<string, string[]> {
  const bytes = (printed: string): number => (printed.endsWith(' bytes') ? Number(printed.slice(0, -' bytes'.length)) : NaN);
  return Object.fromEntries(Object.entries(tsharkConversationTables(file)).map(([kind, rows]) => [
    kind,
    rows.map((r) => key(r.a, r.b, [r.framesAToB, bytes(r.bytesAToB)], [r.framesBToA, bytes(r.bytesBToA)])).sort(),
  ]));
}

interface ConvRow {
  a: string;
  b: string;
  port_a?: number;
  port_b?: number;
  frames_a_to_b: number;
  bytes_a_to_b: number;
  frames_b_to_a: number;
  bytes_b_to_a: number;
}

function analyze(file: string): { packets: number; bytes: number; protocols: Counts; conversations: Record<string, string[]> } {
  const engine = new CaptureEngine();
  const report = JSON.parse(JSON.stringify(engine.finish(path.basename(file), readCaptureFile(file, engine))));
  const conversations: Record<string, string[]> = {};
  for (const kind of ['ipv4', 'ipv6', 'tcp', 'udp']) {
    const ports = kind === 'tcp' || kind === 'udp';
    conversations[kind] = ((report.conversations[kind] ?? []) as ConvRow[])
      .map((r) => {
        const end = (addr: string, port: number | undefined): string => (ports ? `${addr}:${port}` : addr);
        return key(end(r.a, r.port_a), end(r.b, r.port_b), [r.frames_a_to_b, r.bytes_a_to_b], [r.frames_b_to_a, r.bytes_b_to_a]);
      })
      .sort();
  }
  const protocols = Object.fromEntries(PROTOCOLS.map((p) => [p, { packets: report.protocols[p].packets, bytes: report.protocols[p].bytes }])) as Counts;
  return { packets: report.packets, bytes: report.bytes, protocols, conversations };
}

const cases: [string, number, number[][]][] = [
  ['PPP (9)', LinkType.ppp, pppFrames],
  ['PPP_HDLC (50)', LinkType.pppHdlc, pppFrames],
  ['C_HDLC (104)', LinkType.cHdlc, cHdlcFrames],
  ['IEEE802_11 (105)', LinkType.ieee80211, wlanFrames],
  ['IEEE802_11_RADIOTAP (127)', LinkType.ieee80211Radiotap, radiotapFrames],
];

describe('analyze agrees with tshark 4.0 on more link types', () => {
  for (const [name, linkType, frames] of cases) {
    it(name, () => {
      const file = writeCapture(`lt-${linkType}.pcap`, linkType, frames);
      const ours = analyze(file);
      const truth = tsharkProtocols(file);
      expect({ packets: ours.packets, bytes: ours.bytes }).toEqual({ packets: truth.packets, bytes: truth.bytes });
      expect(ours.protocols).toEqual(truth.protocols);
      expect(ours.conversations).toEqual(tsharkConversations(file));
      // The frames are meant to exercise IP and non-IP paths alike.
      expect(ours.protocols.ipv4.packets + ours.protocols.ipv6.packets).toBeGreaterThan(0);
      expect(ours.protocols.other.packets).toBeGreaterThan(0);
    });
  }
});

describe('decodePacket on the extra link types', () => {
  const out = new DecodedPacket();

  it('finds the IP header where the link header ends', () => {
    decodePacket(LinkType.ppp, Uint8Array.from(pppFrames[4]), out);
    expect([out.status, out.l3Class, out.l4Class, out.layers[0].netOffset]).toEqual([DecodeStatus.ok, NetKind.ipv4, L4Kind.icmp, 1]);
    decodePacket(LinkType.cHdlc, Uint8Array.from(cHdlcFrames[1]), out);
    expect([out.status, out.l3Class, out.l4Class, out.layers[0].netOffset, out.etherType]).toEqual([DecodeStatus.ok, NetKind.ipv6, L4Kind.tcp, 4, 0x86dd]);
    decodePacket(LinkType.ieee80211, Uint8Array.from(wlanFrames[3]), out);
    expect([out.status, out.l4Class, out.layers[0].netOffset]).toEqual([DecodeStatus.ok, L4Kind.icmp, 30 + 2 + 4 + 8]);
    decodePacket(LinkType.ieee80211Radiotap, Uint8Array.from(radiotapFrames[3]), out);
    expect([out.status, out.l4Class, out.layers[0].netOffset]).toEqual([DecodeStatus.ok, L4Kind.tcp, 12 + 32 + 8]);
  });

  it('reports truncation and leaves protected and management frames without IP', () => {
    decodePacket(LinkType.cHdlc, Uint8Array.from(cHdlcFrames[4]), out);
    expect(out.status).toBe(DecodeStatus.truncated);
    decodePacket(LinkType.ieee80211, Uint8Array.from(wlanFrames[7]), out);
    expect(out.status).toBe(DecodeStatus.truncated);
    decodePacket(LinkType.ieee80211Radiotap, Uint8Array.from(radiotapFrames[7]), out);
    expect(out.status).toBe(DecodeStatus.truncated);
    for (const f of [wlanFrames[4], wlanFrames[5], wlanFrames[6]]) {
      decodePacket(LinkType.ieee80211, Uint8Array.from(f), out);
      expect([out.status, out.layerCount]).toEqual([DecodeStatus.ok, 0]);
    }
  });

  it('never throws on any prefix or mutation of the test frames', () => {
    const all = cases.flatMap(([, lt, frames]) => frames.map((f) => [lt, f] as const));
    for (const [lt, f] of all) {
      for (let n = 0; n <= f.length; n++) decodePacket(lt, Uint8Array.from(f.slice(0, n)), out, f.length);
    }
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.nat(), fc.nat({ max: 255 }), ([lt, f], at, v) => {
        const data = Uint8Array.from(f);
        data[at % data.length] = v;
        decodePacket(lt, data, out);
        expect(Object.values(DecodeStatus)).toContain(out.status);
      }),
      { numRuns: 2000 },
    );
  });
});
