/**
 * Bench section: the cost of TCP connection quality (flows/tcp-quality.ts)
 * as live sessions run it, per packet and per second. On each capture,
 * alternating passes of read+decode+flows without and with the analysis
 * (per-second mode, drained at every second of packet time as a session
 * does); CPU medians, page cache warm (a first pass is thrown away).
 *
 *   node dist/bench/quality.js FILE... [--runs N]
 *
 * run.ts calls `measureQuality` on its captures and saves the result under `quality`.
 */
import * as path from 'node:path';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../src-capture-helper/flows/flow-table';
import { TcpQuality } from '../src-capture-helper/flows/tcp-quality';
import type { PacketRecord } from '../src-capture-helper/pipeline/packet-sink';
import { MAX_QUALITY_FLOWS } from '../src-capture-helper/protocol/messages';
import { median, round } from './stats';

export interface QualityBench {
  file: string;
  packets: number;
  tcpSegments: number;
  runs: number;
  /** Median CPU seconds of a pass without and with the analysis. */
  withoutCpuSeconds: number;
  withCpuSeconds: number;
  /** (with - without) / packets, in ns of CPU; and per TCP segment. */
  nsPerPacket: number;
  nsPerTcpSegment: number;
  /** Seconds of packet time drained, the median CPU of one drain, and the most flows one second reported. */
  seconds: number;
  drainMicrosecondsMedian: number;
  maxFlowsPerSecond: number;
  retransmissions: number;
  outOfOrder: number;
}

interface Pass {
  cpu: number;
  packets: number;
  segments: number;
  drains: number[];
  maxFlows: number;
  retransmissions: number;
  outOfOrder: number;
}

function pass(file: string, withQuality: boolean): Pass {
  const pkt = new DecodedPacket();
  const table = new FlowTable({ maxFlows: 2_000_000 });
  const quality = withQuality ? new TcpQuality(table, { maxFlowsPerSecond: MAX_QUALITY_FLOWS }) : undefined;
  const drains: number[] = [];
  let second = -1;
  let maxFlows = 0;
  const drain = () => {
    if (quality === undefined) return;
    const d0 = process.hrtime.bigint();
    const s = quality.drainSecond();
    drains.push(Number(process.hrtime.bigint() - d0) / 1000);
    maxFlows = Math.max(maxFlows, s.flows.length);
  };
  const c0 = process.cpuUsage();
  const read = readCaptureFile(file, {
    packet(rec: PacketRecord) {
      decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
      if (rec.tsSec !== second) {
        if (second >= 0) drain();
        second = rec.tsSec;
      }
      const id = table.observe(pkt, rec);
      quality?.observe(pkt, rec, id);
    },
  });
  drain();
  const c = process.cpuUsage(c0);
  const totals = quality?.getTotals();
  return {
    cpu: (c.user + c.system) / 1e6,
    packets: read.packets,
    segments: totals?.segments ?? 0,
    drains,
    maxFlows,
    retransmissions: totals?.retransmissions ?? 0,
    outOfOrder: totals?.outOfOrder ?? 0,
  };
}



export function measureQuality(file: string, runs = 5): QualityBench {
  pass(file, true); // warm the page cache and the JIT
  const without: number[] = [];
  const withQ: Pass[] = [];
  for (let r = 0; r < runs; r++) {
    without.push(pass(file, false).cpu);
    withQ.push(pass(file, true));
  }
  const w = withQ[0];
  const withoutCpu = median(without);
  const withCpu = median(withQ.map((p) => p.cpu));
  return {
    file: path.basename(file),
    packets: w.packets,
    tcpSegments: w.segments,
    runs,
    withoutCpuSeconds: round(withoutCpu, 3),
    withCpuSeconds: round(withCpu, 3),
    nsPerPacket: round(((withCpu - withoutCpu) / w.packets) * 1e9, 1),
    nsPerTcpSegment: w.segments > 0 ? round(((withCpu - withoutCpu) / w.segments) * 1e9, 1) : 0,
    seconds: w.drains.length,
    drainMicrosecondsMedian: round(median(withQ.flatMap((p) => p.drains)), 1),
    maxFlowsPerSecond: w.maxFlows,
    retransmissions: w.retransmissions,
    outOfOrder: w.outOfOrder,
  };
}

export function formatQuality(results: QualityBench[]): string[] {
  return results.map((q) =>
    `TCP quality on ${q.file}: ${q.nsPerPacket} ns of CPU per packet (${q.nsPerTcpSegment} per TCP segment; ` +
    `${q.withoutCpuSeconds} s -> ${q.withCpuSeconds} s, medians of ${q.runs}); per second: ${q.drainMicrosecondsMedian} µs median drain ` +
    `over ${q.seconds} s, at most ${q.maxFlowsPerSecond} flows reported; ${q.retransmissions} retransmissions, ${q.outOfOrder} out of order`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 5;
  const results = args.map((f) => measureQuality(f, runs));
  process.stdout.write(`${formatQuality(results).join('\n')}\n`);
}
