/**
 * `npm run bench`: figures, not asserts. Builds the bench capture if missing,
 * then measures on the same file in the same run:
 * - `netmon analyze FILE --json` vs `tcpdump -r FILE -w /dev/null`, taking
 *   turns (5 runs each: best and median wall time, best CPU time user+sys;
 *   packets/s and MB/s), peak RSS of analyze (GNU time);
 * - read + decode, and read + decode + flows + rollups, in this process;
 * - bytes per active flow with 1 million flows in the FlowTable (child with
 *   --expose-gc), and the peak RSS of analyze on a capture that leaves
 *   1 million flows open;
 * - the flow store's history queries with --concurrent-flows finished flows
 *   (bench/flow-store.ts): first page, deep page by offset and by cursor, filter, sort;
 * - as root, the live-capture section (bench/live.ts), saved under `live`.
 * Results go to bench-results/bench-<date>.json and .txt.
 *
 * Options: --packets N (capture size, default 2,000,000), --runs N (default 5),
 * --concurrent-flows N (default 1,000,000; 0 skips that part).
 */
import type { SpawnSyncReturns } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptureReadResult } from '../src-capture-helper/capture-file/read-capture-file';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../src-capture-helper/flows/flow-table';
import { CaptureEngine } from '../src-capture-helper/pipeline/engine';
import type { PacketRecord, PacketSink } from '../src-capture-helper/pipeline/packet-sink';
import { RollupEngine } from '../src-capture-helper/rollups/rollup-engine';
import { generate } from '../scripts/gen-bench-capture';
import type { FlowMemoryResult } from './flow-memory';
import { runLiveBench } from './live';

const repo = path.resolve(__dirname, '../..');
const resultsDir = path.join(repo, 'bench-results');

interface Timed {
  ok: boolean;
  /** Best wall time. */
  bestSeconds: number;
  medianSeconds: number;
  runs: number;
  /** Best CPU time (user + sys, children included). */
  bestCpuSeconds: number;
  bestUserSeconds: number;
  bestSysSeconds: number;
  /** From the best wall time. */
  packetsPerSecond: number;
  /** From the best CPU time. */
  packetsPerCpuSecond: number;
  megabytesPerSecond: number;
  peakRssMB?: number;
  error?: string;
}

function parseArgs(argv: string[]): { packets: number; runs: number; concurrentFlows: number } {
  const o = { packets: 2_000_000, runs: 5, concurrentFlows: 1_000_000 };
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

/**
 * Times one command under GNU time, run by run: best and median wall time,
 * best CPU time (user + sys) and the largest peak RSS. Two commands being
 * compared take turns, so that a busy spell of a shared machine falls on both.
 */
class CommandTimer {
  private readonly walls: number[] = [];
  private bestCpu = Infinity;
  private bestUser = 0;
  private bestSys = 0;
  private peakKB = 0;
  private error: string | undefined;

  constructor(
    private readonly cmd: string,
    private readonly args: string[],
  ) {}

  run(): void {
    if (this.error !== undefined) return;
    // Output goes to /dev/null, as tcpdump's does: a pipe read by this process would be part of the time.
    const devNull = fs.openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    let res: SpawnSyncReturns<string>;
    try {
      res = spawnSync('/usr/bin/time', ['-f', 'netmon-bench maxrss=%M user=%U sys=%S', this.cmd, ...this.args], { encoding: 'utf8', stdio: ['ignore', devNull, 'pipe'], maxBuffer: 16 << 20 });
    } finally {
      fs.closeSync(devNull);
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = /netmon-bench maxrss=(\d+) user=([\d.]+) sys=([\d.]+)/.exec(res.stderr ?? '');
    if (res.status !== 0 || res.error || !m) {
      const why = res.error?.message ?? (res.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('netmon-bench ')).slice(-3).join(' | ');
      this.error = `exit ${res.status}: ${why}`;
      return;
    }
    this.walls.push(s);
    const user = Number(m[2]);
    const sys = Number(m[3]);
    if (user + sys < this.bestCpu) {
      this.bestCpu = user + sys;
      this.bestUser = user;
      this.bestSys = sys;
    }
    this.peakKB = Math.max(this.peakKB, Number(m[1]));
  }

  result(packets: number, fileBytes: number): Timed {
    if (this.error !== undefined || this.walls.length === 0) {
      return { ok: false, bestSeconds: 0, medianSeconds: 0, runs: 0, bestCpuSeconds: 0, bestUserSeconds: 0, bestSysSeconds: 0, packetsPerSecond: 0, packetsPerCpuSecond: 0, megabytesPerSecond: 0, error: this.error ?? 'not run' };
    }
    const walls = [...this.walls].sort((x, y) => x - y);
    const best = walls[0];
    const mid = walls.length >> 1;
    const median = walls.length % 2 === 1 ? walls[mid] : (walls[mid - 1] + walls[mid]) / 2;
    return {
      ok: true,
      bestSeconds: round(best, 3),
      medianSeconds: round(median, 3),
      runs: walls.length,
      bestCpuSeconds: round(this.bestCpu, 2),
      bestUserSeconds: this.bestUser,
      bestSysSeconds: this.bestSys,
      packetsPerSecond: Math.round(packets / best),
      packetsPerCpuSecond: Math.round(packets / Math.max(this.bestCpu, 0.01)),
      megabytesPerSecond: round(fileBytes / 1e6 / best, 1),
      peakRssMB: round(this.peakKB / 1024, 1),
    };
  }
}

interface InProcess {
  seconds: number;
  cpuSeconds: number;
  packets: number;
  packetsPerSecond: number;
  packetsPerCpuSecond: number;
  megabytesPerSecond: number;
  flowsCreated?: number;
}

type Stage = 'decode' | 'flows' | 'engine';

/**
 * One pass over the file in this process: read+decode; read+decode+flows+rollups
 * (the live path); or the whole analyze engine (report, flows, names) and its report.
 */
function inProcess(file: string, stage: Stage, fileBytes: number): InProcess {
  const pkt = new DecodedPacket();
  let sink: PacketSink;
  /** Ends the pass; returns the flows created, if the stage tracks flows. */
  let end: (read: CaptureReadResult) => number | undefined;
  switch (stage) {
    case 'decode':
      sink = { packet: (rec: PacketRecord) => decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length) };
      end = () => undefined;
      break;
    case 'flows': {
      const table = new FlowTable({ maxFlows: 2_000_000 });
      const rollups = new RollupEngine(table);
      sink = { packet: (rec: PacketRecord) => { decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length); rollups.observe(pkt, rec); } };
      end = () => {
        rollups.finish();
        table.flush();
        return table.getStats().created;
      };
      break;
    }
    case 'engine': {
      const engine = new CaptureEngine();
      sink = engine;
      end = (read) => engine.finish(path.basename(file), read).flows_total;
      break;
    }
    default:
      assertNever(stage);
  }
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const read = readCaptureFile(file, sink);
  const flowsCreated = end(read);
  const c = process.cpuUsage(c0);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (c.user + c.system) / 1e6;
  return {
    seconds: round(s, 3),
    cpuSeconds: round(cpu, 3),
    packets: read.packets,
    packetsPerSecond: Math.round(read.packets / s),
    packetsPerCpuSecond: Math.round(read.packets / cpu),
    megabytesPerSecond: round(fileBytes / 1e6 / s, 1),
    ...(flowsCreated !== undefined ? { flowsCreated } : {}),
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected stage ${String(value)}`);
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

  process.stderr.write(`tcpdump -r FILE -w /dev/null and netmon analyze FILE --json, taking turns, ${opts.runs} runs each...\n`);
  const tcpdumpTimer = new CommandTimer('tcpdump', ['-r', capture, '-w', '/dev/null']);
  const analyzeTimer = new CommandTimer(process.execPath, [cli, 'analyze', capture, '--json']);
  for (let r = 0; r < opts.runs; r++) {
    tcpdumpTimer.run();
    analyzeTimer.run();
  }
  const tcpdump = tcpdumpTimer.result(opts.packets, fileBytes);
  const analyze = analyzeTimer.result(opts.packets, fileBytes);
  result.tcpdump = tcpdump;
  result.analyze = analyze;
  if (tcpdump.ok && analyze.ok) {
    result.analyzeTimeVsTcpdump = round(analyze.bestSeconds / tcpdump.bestSeconds, 2);
    result.analyzeMedianTimeVsTcpdump = round(analyze.medianSeconds / tcpdump.medianSeconds, 2);
    result.analyzeCpuVsTcpdump = round(analyze.bestCpuSeconds / tcpdump.bestCpuSeconds, 2);
  }

  process.stderr.write('in-process read+decode, read+decode+flows+rollups, analyze engine...\n');
  const decodeOnly = inProcess(capture, 'decode', fileBytes);
  const withFlows = inProcess(capture, 'flows', fileBytes);
  const engine = inProcess(capture, 'engine', fileBytes);
  result.inProcess = {
    decode: decodeOnly,
    decodeFlowsRollups: withFlows,
    analyzeEngine: engine,
    flowsAndRollupsNsPerPacket: round(((withFlows.cpuSeconds - decodeOnly.cpuSeconds) / withFlows.packets) * 1e9, 1),
  };

  process.stderr.write('flow table memory with 1M flows...\n');
  const mem = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'flow-memory.js'), '1000000'], { encoding: 'utf8' });
  result.flowMemory = mem.status === 0 ? (JSON.parse(mem.stdout) as FlowMemoryResult) : { error: mem.stderr.trim() };

  if (opts.concurrentFlows > 0) {
    process.stderr.write(`flow store queries with ${opts.concurrentFlows} flows in the history (bench/flow-store.ts)...\n`);
    const store = spawnSync(process.execPath, [path.join(__dirname, 'flow-store.js'), String(opts.concurrentFlows)], { encoding: 'utf8' });
    result.flowStore = store.status === 0 ? (JSON.parse(store.stdout) as unknown) : { error: store.stderr.trim() };
  }

  if (opts.concurrentFlows > 0) {
    const name = `concurrent-${opts.concurrentFlows}.pcap`;
    const file = ensureCapture(name, () => {
      generate({ out: path.join(resultsDir, name), packets: 0, seed: 1, concurrentFlows: opts.concurrentFlows });
    });
    process.stderr.write(`netmon analyze on ${opts.concurrentFlows} concurrent flows...\n`);
    const packets = opts.concurrentFlows * 3;
    const timer = new CommandTimer(process.execPath, [cli, 'analyze', file, '--json']);
    timer.run();
    result.analyzeConcurrentFlows = { flows: opts.concurrentFlows, ...timer.result(packets, fs.statSync(file).size) };
  }

  if (process.getuid?.() === 0) {
    process.stderr.write('live capture section...\n');
    result.live = await runLiveBench();
  } else {
    result.live = { skipped: 'the live section needs root (network namespaces)' };
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
      ? `${name.padEnd(34)} wall ${t.bestSeconds.toFixed(3).padStart(7)} s best, ${t.medianSeconds.toFixed(3)} s median of ${t.runs} (${(t.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s, ${t.megabytesPerSecond} MB/s)  ` +
        `CPU ${t.bestCpuSeconds.toFixed(2).padStart(6)} s (user ${t.bestUserSeconds.toFixed(2)} + sys ${t.bestSysSeconds.toFixed(2)}; ${(t.packetsPerCpuSecond / 1e6).toFixed(2)} Mpkt per CPU s)  peak RSS ${t.peakRssMB} MB`
      : `${name.padEnd(34)} failed: ${t.error}`;
  lines.push(row('tcpdump -r FILE -w /dev/null', r.tcpdump as Timed));
  lines.push(row('netmon analyze FILE --json', r.analyze as Timed));
  if (r.analyzeTimeVsTcpdump !== undefined) {
    lines.push(
      `analyze / tcpdump: wall time ${r.analyzeTimeVsTcpdump as number}x best to best, ${r.analyzeMedianTimeVsTcpdump as number}x median to median ` +
        `(target <= 1.5x); CPU time ${r.analyzeCpuVsTcpdump as number}x`,
    );
  }
  const ip = r.inProcess as { decode: InProcess; decodeFlowsRollups: InProcess; analyzeEngine: InProcess; flowsAndRollupsNsPerPacket: number };
  const stageRow = (name: string, t: InProcess) =>
    `${name.padEnd(46)} ${(t.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s wall, ${(t.packetsPerCpuSecond / 1e6).toFixed(2)} Mpkt per CPU s (${t.cpuSeconds} s), ${t.megabytesPerSecond} MB/s` +
    (t.flowsCreated !== undefined ? `, ${t.flowsCreated} flows` : '');
  lines.push(stageRow('in-process read+decode:', ip.decode));
  lines.push(stageRow('in-process read+decode+flows+rollups:', ip.decodeFlowsRollups));
  lines.push(stageRow('in-process analyze engine with its report:', ip.analyzeEngine));
  lines.push(`flows+rollups cost: ${ip.flowsAndRollupsNsPerPacket} ns of CPU per packet`);
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
  if (r.flowStore) lines.push(`flow store (history queries, ms, medians of 5): ${JSON.stringify(r.flowStore)}`);
  if (r.live) lines.push(`live: ${JSON.stringify(r.live)}`);
  return `${lines.join('\n')}\n`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
