/**
 * Decoder byte fixtures. Each packet is shown as `tcpdump -n -v -xx` prints it
 * (the packets were built for these tests and read back with tcpdump 4.99).
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, LinkType } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket, DecodeStatus, L4Kind, NetKind, TcpFlag } from '../../../src-capture-helper/decode/decoded-packet';
import { formatIp, formatIpv6Words } from '../../../src-shared/ip';

/** Bytes from tcpdump -xx lines ("0x0010:  0028 0001 ..."). */
function tcpdumpHex(dump: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of dump.split('\n')) {
    const m = /^\s*0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (!m) continue;
    for (const group of m[1].trim().split(/\s+/)) {
      for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
    }
  }
  return Uint8Array.from(bytes);
}

function addr(bytes: Uint8Array): string {
  return formatIp(bytes);
}

function decode(linkType: number, dump: string, wireLength?: number): DecodedPacket {
  const out = new DecodedPacket();
  const data = tcpdumpHex(dump);
  decodePacket(linkType, data, out, wireLength ?? data.length);
  return out;
}

describe('decodePacket', () => {
  it('Ethernet 802.1Q IPv4 TCP SYN with options', () => {
    // IP 192.168.1.10.40000 > 10.0.0.1.443: Flags [S], seq 1000, win 65535, options [mss 1460,nop,wscale 7], length 0
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 8100 0064
	0x0010:  0800 4500 0030 0001 4000 4006 0000 c0a8
	0x0020:  010a 0a00 0001 9c40 01bb 0000 03e8 0000
	0x0030:  0000 7002 ffff 0000 0000 0204 05b4 0103
	0x0040:  0307`);
    expect(p.status).toBe(DecodeStatus.ok);
    expect(p.vlan).toBe(100);
    expect([p.l3Class, p.l4Class, p.layerCount]).toEqual([NetKind.ipv4, L4Kind.tcp, 1]);
    const l = p.layers[0];
    expect([addr(l.src), l.srcPort, addr(l.dst), l.dstPort]).toEqual(['192.168.1.10', 40000, '10.0.0.1', 443]);
    expect(l.src4 >>> 0).toBe(0xc0a8010a);
    expect(l.tcpFlags).toBe(TcpFlag.syn);
    expect(l.tcpSeq).toBe(1000);
    expect(l.l4Valid && l.ipValid).toBe(true);
    expect(l.payloadOffset).toBe(18 + 20 + 28);
    expect(l.payloadLength).toBe(0);
  });

  it('802.1ad QinQ IPv6 hop-by-hop UDP', () => {
    // IP6 2001:db8::1 > 2001:db8::2: HBH (padn) 5353 > 5353: domain [length 5 < 12]
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 88a8 000a
	0x0010:  8100 0014 86dd 6000 0000 0015 0040 2001
	0x0020:  0db8 0000 0000 0000 0000 0000 0001 2001
	0x0030:  0db8 0000 0000 0000 0000 0000 0002 1100
	0x0040:  0104 0000 0000 14e9 14e9 000d 0000 6865
	0x0050:  6c6c 6f`);
    expect(p.status).toBe(DecodeStatus.ok);
    expect(p.vlan).toBe(10);
    expect([p.l3Class, p.l4Class]).toEqual([NetKind.ipv6, L4Kind.udp]);
    const l = p.layers[0];
    expect([addr(l.src), addr(l.dst), l.srcPort, l.dstPort, l.ipProto]).toEqual(['2001:db8::1', '2001:db8::2', 5353, 5353, 17]);
    expect(l.payloadLength).toBe(5);
  });

  it('Linux SLL2 IPv4 non-first fragment: no transport header', () => {
    // IP (id 7, offset 24, flags [none], proto UDP (17), length 44) 192.168.1.10 > 10.0.0.1: ip-proto-17
    const p = decode(LinkType.linuxSll2, `
	0x0000:  0800 0000 0000 0002 0001 0006 0011 2233
	0x0010:  4455 0000 4500 002c 0007 0003 4011 0000
	0x0020:  c0a8 010a 0a00 0001 7878 7878 7878 7878
	0x0030:  7878 7878 7878 7878 7878 7878 7878 7878`);
    expect([p.l3Class, p.l4Class]).toEqual([NetKind.ipv4, L4Kind.other]);
    const l = p.layers[0];
    expect([l.isFragment, l.isFirstFragment, l.fragmentId, l.ipValid, l.l4Valid]).toEqual([true, false, 7, true, false]);
  });

  it('VXLAN: the inner Ethernet/IPv4/ICMP becomes a second layer', () => {
    // 192.168.1.10.45149 > 10.0.0.1.4789: VXLAN, flags [I] (0x08), vni 123
    // IP 172.16.0.1 > 172.16.0.2: ICMP echo request, id 1, seq 1, length 8
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500
	0x0010:  004e 0001 4000 4011 0000 c0a8 010a 0a00
	0x0020:  0001 b05d 12b5 003a 0000 0800 0000 0000
	0x0030:  7b00 0011 2233 4455 6677 8899 aabb 0800
	0x0040:  4500 001c 0001 4000 4001 0000 ac10 0001
	0x0050:  ac10 0002 0800 0000 0001 0001`);
    expect(p.layerCount).toBe(2);
    expect([p.l3Class, p.l4Class]).toEqual([NetKind.ipv4, L4Kind.udp]);
    const inner = p.layers[1];
    expect([addr(inner.src), addr(inner.dst), inner.l4, inner.icmpType]).toEqual(['172.16.0.1', '172.16.0.2', L4Kind.icmp, 8]);
  });

  it('raw IPv6 with a type 0 routing header: final destination for the transport', () => {
    // IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=0, segleft=1, [0]2001:db8::3) 1000 > 2000: UDP, length 0
    const p = decode(LinkType.raw, `
	0x0000:  6000 0000 0020 2b40 2001 0db8 0000 0000
	0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000
	0x0020:  0000 0000 0000 0002 1102 0001 0000 0000
	0x0030:  2001 0db8 0000 0000 0000 0000 0000 0003
	0x0040:  03e8 07d0 0008 0000`);
    const l = p.layers[0];
    expect([p.l3Class, p.l4Class, l.routed]).toEqual([NetKind.ipv6, L4Kind.udp, true]);
    expect([addr(l.dst), addr(l.finalDst)]).toEqual(['2001:db8::2', '2001:db8::3']);
  });

  it('BSD loopback (AF 30, big-endian) IPv6 TCP', () => {
    // IP6 2001:db8::1.1234 > 2001:db8::2.80: Flags [S], seq 5, win 65535, length 0
    const p = decode(LinkType.null, `
	0x0000:  0000 001e 6000 0000 0014 0640 2001 0db8
	0x0010:  0000 0000 0000 0000 0000 0001 2001 0db8
	0x0020:  0000 0000 0000 0000 0000 0002 04d2 0050
	0x0030:  0000 0005 0000 0000 5002 ffff 0000 0000`);
    expect([p.l3Class, p.l4Class, p.layers[0].srcPort, p.layers[0].l4Valid]).toEqual([NetKind.ipv6, L4Kind.tcp, 1234, true]);
  });

  it('PPPoE session IPv4 UDP', () => {
    // PPPoE [ses 0x1] IP (proto UDP (17), length 31) 192.168.1.10.68 > 10.0.0.1.67
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 8864 1100
	0x0010:  0001 001e 0021 4500 001f 0001 4000 4011
	0x0020:  0000 c0a8 010a 0a00 0001 0044 0043 000b
	0x0030:  0000 6162 63`);
    expect([p.l3Class, p.l4Class, p.layers[0].srcPort, p.layers[0].dstPort, p.layers[0].l4Valid]).toEqual([NetKind.ipv4, L4Kind.udp, 68, 67, true]);
  });

  it('GRE carrying IPv4: outer L4 is other, the inner UDP is a second layer', () => {
    // 192.168.1.10 > 10.0.0.1: GREv0, length 32: IP 1.1.1.1.9 > 2.2.2.2.9: UDP, length 0
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500
	0x0010:  0034 0001 4000 402f 0000 c0a8 010a 0a00
	0x0020:  0001 0000 0800 4500 001c 0001 4000 4011
	0x0030:  0000 0101 0101 0202 0202 0009 0009 0008
	0x0040:  0000`);
    expect([p.l4Class, p.layerCount, addr(p.layers[1].src), p.layers[1].l4]).toEqual([L4Kind.other, 2, '1.1.1.1', L4Kind.udp]);
  });

  it('IPv4 loose source route: the last route address is the final destination', () => {
    // IP (options (NOP,LSRR 1.2.3.4 9.9.9.9)) 192.168.1.10.7 > 10.0.0.1.7: UDP, length 0
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4800
	0x0010:  0028 0001 4000 4011 0000 c0a8 010a 0a00
	0x0020:  0001 0183 0b04 0102 0304 0909 0909 0007
	0x0030:  0007 0008 0000`);
    const l = p.layers[0];
    expect([l.routed, addr(l.finalDst), l.l4Valid]).toEqual([true, '9.9.9.9', true]);
  });

  it('TCP header cut by the snapshot length: truncated, IP still valid', () => {
    // IP (proto TCP (6), length 40) 192.168.1.10.1 > 10.0.0.1.2:  [|tcp]
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500
	0x0010:  0028 0001 4000 4006 0000 c0a8 010a 0a00
	0x0020:  0001 0001 0002 0000 0003 0000`, 60);
    expect([p.status, p.l4Class, p.layers[0].ipValid, p.layers[0].l4Valid]).toEqual([DecodeStatus.truncated, L4Kind.tcp, true, false]);
  });

  it('TCP header length below 20: malformed', () => {
    // 192.168.1.10.1 > 10.0.0.1.2:  tcp 4 [bad hdr length 16 - too short, < 20]
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500
	0x0010:  0028 0001 4000 4006 0000 c0a8 010a 0a00
	0x0020:  0001 0001 0002 0000 0003 0000 0004 4010
	0x0030:  ffff 0000 0000`);
    expect([p.status, p.l4Class, p.layers[0].l4Valid]).toEqual([DecodeStatus.malformed, L4Kind.tcp, false]);
  });

  it('UDP length beyond the IP payload: flagged, and still dissected up to the payload as tshark 4.0 does', () => {
    // 192.168.1.10.53 > 10.0.0.1.53: domain [length 4 < 12] (UDP length field 400)
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500
	0x0010:  0020 0001 4000 4011 0000 c0a8 010a 0a00
	0x0020:  0001 0035 0035 0190 0000 6162 6364`);
    expect([p.status, p.l4Class, p.layers[0].l4Valid, p.reason]).toEqual([DecodeStatus.malformed, L4Kind.udp, true, 'udp length beyond the ip payload']);
    expect([p.layers[0].srcPort, p.layers[0].dstPort, p.layers[0].payloadClaimedLength]).toEqual([53, 53, 4]);
  });

  it('ARP is a valid non-IP frame', () => {
    const p = decode(LinkType.ethernet, `
	0x0000:  0011 2233 4455 6677 8899 aabb 0806 0000
	0x0010:  0000 0000 0000 0000 0000 0000 0000 0000
	0x0020:  0000 0000 0000 0000 0000`);
    expect([p.status, p.layerCount, p.l3Class, p.etherType]).toEqual([DecodeStatus.ok, 0, NetKind.none, 0x0806]);
  });

  it('LINKTYPE_IPV4 holding an IPv6 packet: classified ipv4/other as tshark does, decoded as IPv6', () => {
    // IP6 2001:db8::1.1 > 2001:db8::2.2: UDP, length 0
    const p = decode(LinkType.ipv4, `
	0x0000:  6000 0000 0008 1140 2001 0db8 0000 0000
	0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000
	0x0020:  0000 0000 0000 0002 0001 0002 0008 0000`);
    expect([p.l3Class, p.l4Class, p.layers[0].net, p.layers[0].l4, p.layers[0].l4Valid]).toEqual([NetKind.ipv4, L4Kind.other, NetKind.ipv6, L4Kind.udp, true]);
  });

  it('unknown link type is unsupported, every prefix of a packet decodes without throwing', () => {
    const out = new DecodedPacket();
    decodePacket(9999, new Uint8Array(10), out);
    expect(out.status).toBe(DecodeStatus.unsupported);
    const full = tcpdumpHex(`
	0x0000:  0011 2233 4455 6677 8899 aabb 8100 0064
	0x0010:  0800 4500 0030 0001 4000 4006 0000 c0a8
	0x0020:  010a 0a00 0001 9c40 01bb 0000 03e8 0000
	0x0030:  0000 7002 ffff 0000 0000 0204 05b4 0103
	0x0040:  0307`);
    for (let n = 0; n < full.length; n++) {
      decodePacket(LinkType.ethernet, full.subarray(0, n), out, full.length);
      expect(out.status, `prefix ${n}`).toBe(DecodeStatus.truncated);
    }
  });
});

describe('address text as tshark prints it', () => {
  it.each([
    ['2001:db8::1', [0x20010db8, 0, 0, 1]],
    ['::1', [0, 0, 0, 1]],
    ['::', [0, 0, 0, 0]],
    ['::ffff:1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['2001:db8:0:1:1:1:1:1', [0x20010db8, 0x00000001, 0x00010001, 0x00010001]],
    ['fe80::1:0:1', [0xfe800000, 0, 0x00000001, 0x00000001]],
    ['1::', [0x00010000, 0, 0, 0]],
  ])('%s', (text, words) => {
    expect(formatIpv6Words(Uint32Array.from(words), 0)).toBe(text);
  });
});
