/**
 * Writes a small Ethernet pcap with a download burst, and returns what it
 * holds second by second (the truth the alert tests check against):
 *
 *   every second    10.0.0.1:53000 <-> 10.0.0.53:53 UDP, one small packet each way
 *   burst seconds   198.51.100.20:443 -> 10.0.0.1:50000 TCP at `mainPps` full-size frames,
 *                   203.0.113.7:443 -> 10.0.0.1:50001 TCP at `secondPps`
 *
 * Each TCP flow starts with a SYN from 10.0.0.1 (so 10.0.0.1 is the local,
 * initiating side and the burst is a download) in the first burst second.
 */
import fs from 'node:fs';
import { FrameBuilder, IP_PROTO } from '../../../bench/frame-builder';
import { PcapWriter } from '../../../src-capture-helper/capture-file/capture-writers';

const LINKTYPE_ETHERNET = 1;
const FULL_FRAME = 1514;
const ETH_IP_TCP = 14 + 20 + 20;

export const LOCAL = '10.0.0.1';
export const DNS = '10.0.0.53';
export const MAIN_TALKER = '198.51.100.20';
export const SECOND_TALKER = '203.0.113.7';

export interface BurstPlan {
  startSec: number;
  seconds: number;
  burstFrom: number;
  burstTo: number;
  mainPps: number;
  secondPps: number;
}

export const DEFAULT_PLAN: BurstPlan = {
  startSec: Date.UTC(2025, 0, 1, 12, 0, 0) / 1000,
  seconds: 30,
  burstFrom: 8,
  burstTo: 14,
  mainPps: 500,
  secondPps: 200,
};

/** Bytes and packets one host or flow sent plus received in one second. */
export interface Counts {
  bytes: number;
  packets: number;
}

export interface SecondTruth {
  tsMs: number;
  /** Bytes towards 10.0.0.1 (the download direction) and from it. */
  inBytes: number;
  outBytes: number;
  hosts: Map<string, Counts>;
  /** Keyed `local:port>remote:port`. */
  flows: Map<string, Counts>;
}

function ipWord(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function writeBurstCapture(file: string, plan: BurstPlan = DEFAULT_PLAN): SecondTruth[] {
  const writer = new PcapWriter({ linkType: LINKTYPE_ETHERNET });
  const fb = new FrameBuilder();
  const parts: Buffer[] = [writer.header()];
  const truth: SecondTruth[] = [];

  for (let s = 0; s < plan.seconds; s++) {
    const second: SecondTruth = { tsMs: (plan.startSec + s) * 1000, inBytes: 0, outBytes: 0, hosts: new Map(), flows: new Map() };
    truth.push(second);
    const packets: { usec: number; data: Uint8Array; from: string; to: string; flow: string; inbound: boolean }[] = [];
    const add = (usec: number, from: string, to: string, sport: number, dport: number, proto: number, flags: number, payload: number): void => {
      fb.setV4(ipWord(from), ipWord(to));
      fb.ipProto = proto;
      fb.srcPort = sport;
      fb.dstPort = dport;
      fb.tcpFlags = flags;
      fb.payloadLength = payload;
      fb.ipId++;
      const inbound = to === LOCAL;
      const flow = inbound ? `${to}:${dport}>${from}:${sport}` : `${from}:${sport}>${to}:${dport}`;
      packets.push({ usec, data: fb.build(), from, to, flow, inbound });
    };
    add(100_000, LOCAL, DNS, 53000, 53, IP_PROTO.udp, 0, 40);
    add(200_000, DNS, LOCAL, 53, 53000, IP_PROTO.udp, 0, 120);
    if (s >= plan.burstFrom && s < plan.burstTo) {
      const first = s === plan.burstFrom;
      if (first) {
        add(1_000, LOCAL, MAIN_TALKER, 50000, 443, IP_PROTO.tcp, 0x02, 0);
        add(2_000, LOCAL, SECOND_TALKER, 50001, 443, IP_PROTO.tcp, 0x02, 0);
      }
      // Spread over the second, after the SYNs of the first burst second.
      for (let i = 0; i < plan.mainPps; i++) {
        add(10_000 + Math.floor((i * 980_000) / plan.mainPps), MAIN_TALKER, LOCAL, 443, 50000, IP_PROTO.tcp, 0x10, FULL_FRAME - ETH_IP_TCP);
      }
      for (let i = 0; i < plan.secondPps; i++) {
        add(10_500 + Math.floor((i * 980_000) / plan.secondPps), SECOND_TALKER, LOCAL, 443, 50001, IP_PROTO.tcp, 0x10, FULL_FRAME - ETH_IP_TCP);
      }
    }
    packets.sort((a, b) => a.usec - b.usec);
    for (const p of packets) {
      parts.push(writer.record({
        ifIndex: 0, linkType: LINKTYPE_ETHERNET, tsSec: plan.startSec + s, tsNsec: p.usec * 1000, hasTimestamp: true,
        wireLength: p.data.length, bytes: p.data, offset: 0, length: p.data.length,
      }));
      const size = p.data.length;
      if (p.inbound) second.inBytes += size;
      else second.outBytes += size;
      for (const key of [p.from, p.to]) bump(second.hosts, key, size);
      bump(second.flows, p.flow, size);
    }
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return truth;
}

function bump(map: Map<string, Counts>, key: string, bytes: number): void {
  const c = map.get(key) ?? { bytes: 0, packets: 0 };
  c.bytes += bytes;
  c.packets += 1;
  map.set(key, c);
}
