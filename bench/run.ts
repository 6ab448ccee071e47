/**
 * `npm run bench`: figures, not asserts. Builds the bench capture if missing,
 * then measures on the same file in the same run:
 * - `netmon analyze FILE --json` vs `tcpdump -r FILE -w /dev/null` (best of 3
 *   wall times, packets/s and MB/s), peak RSS of analyze (GNU time);
 * - read + decode, and read + decode + flows + rollups, in this process;
 * - bytes per active flow with 1 million flows in the FlowTable (child with
 *   --expose-gc), and the peak RSS of analyze on a capture that leaves
 *   1 million flows open;
 * - the live-capture section when bench/live.ts exists: it must export
 *   `runLiveBench(): Promise<Record<string, unknown>>`, whose result is saved
 *   under `live`.
 * Results go to bench-results/bench-<date>.json and .txt.
 *
 * Options: --packets N (capture size, default 2,000,000), --runs N (default 3),
 * --concurrent-flows N (default 1,000,000; 0 skips that part).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../src-capture-helper/flows/flow-table';
import type { PacketRecord } from '../src-capture-helper/pipeline/packet-sink';
import { RollupEngine } from '../src-capture-helper/rollups/rollup-engine';
import { generate } from '../scripts/gen-bench-capture';
import type { FlowMemoryResult } from './flow-memory';

const repo = path.resolve(__dirname, '../..');
const resultsDir = path.join(repo, 'bench-results');

interface Timed {
  ok: boolean;
  bestSeconds: number;
  packetsPerSecond: number;
  megabytesPerSecond: number;
  peakRssMB?: number;
  error?: string;
}

function parseArgs(argv: string[]): { packets: number; runs: number; concurrentFlows: number } {
  const o = { packets: 2_000_000, runs: 3, concurrentFlows: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    const need = () => {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${argv[i]} needs a non-negative integer`);
      i++;
      return v;
    };
    if (argv[i] === '--packets') o.packets = need();
    else if (argv[i] === '--runs') o.runs = Math.max(1, need());
    else if (argv[i] === '--concurrent-flows') o.concurrentFlows = need();
    else throw new Error(`unknown option ${argv[i]}; usage: [--packets N] [--runs N] [--concurrent-flows N]`);
  }
  return o;
}

function ensureCapture(name: string, make: () => void): string {
  const file = path.join(resultsDir, name);
  if (!fs.existsSync(file)) {
    process.stderr.write(`generating ${file}...\n`);
    make();
  }
  return file;
}

/** Runs a command `runs` times under GNU time; best wall time and the largest peak RSS. */
function timeCommand(cmd: string, args: string[], runs: number, packets: number, fileBytes: number): Timed {
  let best = Infinity;
  let peakKB = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 512 << 20 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = /maxrss=(\d+)/.exec(res.stderr ?? '');
    if (res.status !== 0 || res.error) {
      const why = res.error?.message ?? (res.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('maxrss=')).slice(-3).join(' | ');
      return { ok: false, bestSeconds: 0, packetsPerSecond: 0, megabytesPerSecond: 0, error: `exit ${res.status}: ${why}` };
    }
    best = Math.min(best, s);
    if (m) peakKB = Math.max(peakKB, Number(m[1]));
  }
  return {
    ok: true,
    bestSeconds: round(best, 3),
    packetsPerSecond: Math.round(packets / best),
    megabytesPerSecond: round(fileBytes / 1e6 / best, 1),
    peakRssMB: round(peakKB / 1024, 1),
  };
}

function inProcess(file: string, withFlows: boolean, fileBytes: number): { seconds: number; packets: number; packetsPerSecond: number; megabytesPerSecond: number; flowsCreated?: number } {
  const pkt = new DecodedPacket();
  const table = new FlowTable({ maxFlows: 2_000_000 });
  const rollups = new RollupEngine(table);
  const sink = withFlows
    ? { packet: (rec: PacketRecord) => { decodePacket(rec.linkType, rec.data, pkt, rec.wireLength); rollups.observe(pkt, rec); } }
    : { packet: (rec: PacketRecord) => decodePacket(rec.linkType, rec.data, pkt, rec.wireLength) };
  const t0 = process.hrtime.bigint();
  const read = readCaptureFile(file, sink);
  if (withFlows) {
    rollups.finish();
    table.flush();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    seconds: round(s, 3),
    packets: read.packets,
    packetsPerSecond: Math.round(read.packets / s),
    megabytesPerSecond: round(fileBytes / 1e6 / s, 1),
    ...(withFlows ? { flowsCreated: table.getStats().created } : {}),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(resultsDir, { recursive: true });
  const capture = ensureCapture(`bench-${opts.packets}-s1.pcap`, () => {
    generate({ out: path.join(resultsDir, `bench-${opts.packets}-s1.pcap`), packets: opts.packets, seed: 1, concurrentFlows: 0 });
  });
  const fileBytes = fs.statSync(capture).size;
  const cli = path.join(repo, 'dist/src-main/cli/netmon.js');
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    capture: { file: path.relative(repo, capture), packets: opts.packets, megabytes: round(fileBytes / 1e6, 1) },
  };

  process.stderr.write('tcpdump -r FILE -w /dev/null...\n');
  const tcpdump = timeCommand('tcpdump', ['-r', capture, '-w', '/dev/null'], opts.runs, opts.packets, fileBytes);
  process.stderr.write('netmon analyze FILE --json...\n');
  const analyze = timeCommand(process.execPath, [cli, 'analyze', capture, '--json'], opts.runs, opts.packets, fileBytes);
  result.tcpdump = tcpdump;
  result.analyze = analyze;
  if (tcpdump.ok && analyze.ok) result.analyzeTimeVsTcpdump = round(analyze.bestSeconds / tcpdump.bestSeconds, 2);

  process.stderr.write('in-process read+decode, read+decode+flows+rollups...\n');
  const decodeOnly = inProcess(capture, false, fileBytes);
  const withFlows = inProcess(capture, true, fileBytes);
  result.inProcess = {
    decode: decodeOnly,
    decodeFlowsRollups: withFlows,
    flowsAndRollupsNsPerPacket: round(((withFlows.seconds - decodeOnly.seconds) / withFlows.packets) * 1e9, 1),
  };

  process.stderr.write('flow table memory with 1M flows...\n');
  const mem = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'flow-memory.js'), '1000000'], { encoding: 'utf8' });
  result.flowMemory = mem.status === 0 ? (JSON.parse(mem.stdout) as FlowMemoryResult) : { error: mem.stderr.trim() };

  if (opts.concurrentFlows > 0) {
    const name = `concurrent-${opts.concurrentFlows}.pcap`;
    const file = ensureCapture(name, () => {
      generate({ out: path.join(resultsDir, name), packets: 0, seed: 1, concurrentFlows: opts.concurrentFlows });
    });
    process.stderr.write(`netmon analyze on ${opts.concurrentFlows} concurrent flows...\n`);
    const packets = opts.concurrentFlows * 3;
    result.analyzeConcurrentFlows = { flows: opts.concurrentFlows, ...timeCommand(process.execPath, [cli, 'analyze', file, '--json'], 1, packets, fs.statSync(file).size) };
  }

  const live = path.join(__dirname, 'live.js');
  if (fs.existsSync(live)) {
    process.stderr.write('live capture section...\n');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(live) as { runLiveBench?: () => Promise<Record<string, unknown>> };
    result.live = mod.runLiveBench ? await mod.runLiveBench() : { error: 'bench/live.ts does not export runLiveBench()' };
  }

  const text = formatText(result);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(resultsDir, `bench-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, `bench-${stamp}.txt`), text);
  process.stdout.write(text);
  process.stdout.write(`saved bench-results/bench-${stamp}.json and .txt\n`);
}

function formatText(r: Record<string, unknown>): string {
  const lines: string[] = [];
  const cap = r.capture as { file: string; packets: number; megabytes: number };
  lines.push(`Netmon bench ${r.date as string} (node ${r.node as string}, ${r.cpus as number} CPUs)`);
  lines.push(`capture ${cap.file}: ${cap.packets} packets, ${cap.megabytes} MB`);
  const row = (name: string, t: Timed) =>
    t.ok
      ? `${name.padEnd(34)} ${t.bestSeconds.toFixed(3).padStart(8)} s  ${(t.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s  ${t.megabytesPerSecond} MB/s  peak RSS ${t.peakRssMB} MB`
      : `${name.padEnd(34)} failed: ${t.error}`;
  lines.push(row('tcpdump -r FILE -w /dev/null', r.tcpdump as Timed));
  lines.push(row('netmon analyze FILE --json', r.analyze as Timed));
  if (r.analyzeTimeVsTcpdump !== undefined) lines.push(`analyze time / tcpdump time: ${r.analyzeTimeVsTcpdump as number}x (target <= 1.5x)`);
  const ip = r.inProcess as { decode: { packetsPerSecond: number; megabytesPerSecond: number }; decodeFlowsRollups: { packetsPerSecond: number; megabytesPerSecond: number; flowsCreated: number }; flowsAndRollupsNsPerPacket: number };
  lines.push(`in-process read+decode:               ${(ip.decode.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s, ${ip.decode.megabytesPerSecond} MB/s`);
  lines.push(`in-process read+decode+flows+rollups: ${(ip.decodeFlowsRollups.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s, ${ip.decodeFlowsRollups.megabytesPerSecond} MB/s, ${ip.decodeFlowsRollups.flowsCreated} flows`);
  lines.push(`flows+rollups cost: ${ip.flowsAndRollupsNsPerPacket} ns/packet`);
  const m = r.flowMemory as Partial<FlowMemoryResult> & { error?: string };
  if (m.error) lines.push(`flow memory: failed: ${m.error}`);
  else {
    lines.push(`FlowTable with ${m.activeFlows} active flows: ${m.bytesPerFlowHeap} B/flow (heap+arrayBuffers), ${m.bytesPerFlowRss} B/flow (RSS) (target <= 300)`);
    lines.push(`FlowTable alone: ${m.nsPerPacketNewFlow} ns/packet creating flows, ${m.nsPerPacketExisting} ns/packet on existing flows`);
  }
  if (r.analyzeConcurrentFlows) {
    const c = r.analyzeConcurrentFlows as Timed & { flows: number };
    lines.push(row(`analyze, ${c.flows} concurrent flows`, c));
  }
  if (r.live) lines.push(`live: ${JSON.stringify(r.live)}`);
  return `${lines.join('\n')}\n`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
