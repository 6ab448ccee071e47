/**
 * `npm run bench`: figures, not asserts. Generates its captures into a cache
 * directory when missing, then, in one run:
 * - on each capture (the bench capture of gen-bench-capture, seed 1, and a
 *   random-order one with diverse addresses from ../shared/tools/gen-pcap.js):
 *   the file read once to warm the page cache, then `cat F > /dev/null`,
 *   `tcpdump -r F -w /dev/null`, the native reference `cagg F agg`
 *   (../shared/tools/cagg.c, compiled here with `cc -O2 ... -lpcap` when a
 *   compiler and libpcap are present) and `netmon analyze F --json`, taking
 *   turns, N runs each: medians (and best), ratios of analyze to tcpdump and
 *   to cagg; a run where `cat` takes more than half of tcpdump's time is
 *   flagged I/O-bound (the ratios then measure the machine's I/O);
 * - on the capture that leaves 1 million flows open: `netmon analyze` and
 *   `netmon serve --replay F --speed 0` to the end of the replay, taking
 *   turns, with the largest gap between the per-second rollups;
 * - read + decode, and read + decode + flows + rollups, in this process;
 * - bytes per active flow with 1 million flows in the FlowTable;
 * - the cost of TCP connection quality per packet and per second (bench/quality.ts), saved under `quality`;
 * - the cost of web sections per packet, per request and per query (bench/web-sections.ts), under `webSections`;
 * - on Linux, the cost of attributing flows to processes with 10,000 sockets open (bench/app-attribution.ts), under `appAttribution`;
 * - the flow store's history queries with --concurrent-flows finished flows
 *   (bench/flow-store.ts): first page, deep page by offset and by cursor, filter, sort;
 * - the Flows view in Chromium against serve holding --concurrent-flows finished flows: first rows, wheel-scroll
 *   main-thread time per frame (Chromium's trace) and frame intervals, a deep jump, sort and filter changes
 *   (bench/flows-view.ts), under `flowsView`;
 * - the Applications report and the application filter with 200,000 finished and 20,000 active flows
 *   (bench/applications.ts), under `applications`;
 * - as root, the live-capture section (bench/live.ts), saved under `live`;
 * - as root, a steady live load with the dashboard open: 100 kpps over 10,000 flows for NETMON_BENCH_SOAK_MINUTES
 *   (default 10; 0 skips it), CPU of main, helper and renderer and their memory each minute (bench/live-soak.ts),
 *   saved under `liveSoak`.
 * - serve --nats aggregating simulated probes, and the bus encodings (bench/bus.ts), under `bus`.
 * The load average before and after goes with the figures (the machine may be
 * shared). Results go to bench-results/bench-<date>.json and .txt.
 *
 * Options: --runs N (default 5; env NETMON_BENCH_RUNS), --quick (captures a
 * tenth the size, 3 runs, no in-process, memory or live sections),
 * --packets N (capture size, default 2,000,000), --concurrent-flows N
 * (default 1,000,000; 0 skips that part), --cache DIR (where captures and the
 * compiled reference are kept; env NETMON_BENCH_CACHE, default
 * bench-results/cache).
 *
 * Why one file of this length: it is the bench's table of contents (the
 * options, the captures, the order the sections run in, and the one text
 * report of them all); what each section measures is in its own module
 * (command-timer, in-process and the modules named above).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { generate } from '../scripts/gen-bench-capture';
import { formatAttribution } from './app-attribution';
import type { FlowMemoryResult } from './flow-memory';
import type { FlowsViewBench } from './flows-view';
import { formatFlowsView } from './flows-view';
import { formatBusBench, runBusBench } from './bus';
import type { GeoBenchResult } from './geo-enrichment';
import { runGeoBench } from './geo-enrichment';
import { runLiveBench } from './live';
import type { LiveSoakBench } from './live-soak';
import type { ReplayBenchResult } from './replay';
import { benchReplay } from './replay';
import type { QualityBench } from './quality';
import { formatQuality, measureQuality } from './quality';
import type { WebSectionsBench } from './web-sections';
import { formatWebSections, measureWebSections } from './web-sections';
import type { Timed } from './command-timer';
import { CommandTimer } from './command-timer';
import type { InProcess } from './in-process';
import { inProcess } from './in-process';
import { median, round } from './stats';

const repo = path.resolve(__dirname, '../..');
const resultsDir = path.join(repo, 'bench-results');
const SHARED_TOOLS = path.resolve(repo, '../shared/tools');
const GEN_PCAP = path.join(SHARED_TOOLS, 'gen-pcap.js');
const CAGG_SOURCE = path.join(SHARED_TOOLS, 'cagg.c');

interface Options {
  packets: number;
  runs: number;
  concurrentFlows: number;
  quick: boolean;
  cacheDir: string;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  const o: Options = { packets: 2_000_000, runs: 5, concurrentFlows: 1_000_000, quick: false, cacheDir: env.NETMON_BENCH_CACHE ?? path.join(resultsDir, 'cache') };
  let packetsGiven = false;
  let runsGiven = false;
  let flowsGiven = false;
  if (env.NETMON_BENCH_RUNS !== undefined) {
    o.runs = Number(env.NETMON_BENCH_RUNS);
    if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('NETMON_BENCH_RUNS needs a positive integer');
    runsGiven = true;
  }
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    const need = () => {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${argv[i]} needs a non-negative integer`);
      i++;
      return v;
    };
    if (argv[i] === '--packets') [o.packets, packetsGiven] = [need(), true];
    else if (argv[i] === '--runs') [o.runs, runsGiven] = [Math.max(1, need()), true];
    else if (argv[i] === '--concurrent-flows') [o.concurrentFlows, flowsGiven] = [need(), true];
    else if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--cache' && argv[i + 1] !== undefined) o.cacheDir = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}; usage: [--quick] [--runs N] [--packets N] [--concurrent-flows N] [--cache DIR]`);
  }
  if (o.quick) {
    if (!packetsGiven) o.packets = 200_000;
    if (!runsGiven) o.runs = 3;
    if (!flowsGiven) o.concurrentFlows = 100_000;
  }
  return o;
}

/** The captures timed against tcpdump and cagg. */
interface CaptureSpec {
  key: string;
  title: string;
  /** How to make it, as a user would type it. */
  command: string;
  file: string;
  make: (out: string) => void;
}

function captureSpecs(o: Options): CaptureSpec[] {
  const benchFile = path.join(o.cacheDir, `bench-${o.packets}-s1.pcap`);
  const diverseFile = path.join(o.cacheDir, `diverse-${o.packets}-50000-7.pcap`);
  const specs: CaptureSpec[] = [
    {
      key: 'bench',
      title: 'bench capture (gen-bench-capture, seed 1)',
      command: `node dist/scripts/gen-bench-capture.js --packets ${o.packets} --seed 1 --out F`,
      file: benchFile,
      make: (out) => void generate({ out, packets: o.packets, seed: 1, concurrentFlows: 0 }),
    },
  ];
  if (fs.existsSync(GEN_PCAP)) {
    specs.push({
      key: 'diverse',
      title: 'random order, diverse addresses (gen-pcap.js)',
      command: `ADDR=diverse node ../shared/tools/gen-pcap.js F ${o.packets} 50000 7`,
      file: diverseFile,
      make: (out) => {
        const r = spawnSync(process.execPath, [GEN_PCAP, out, String(o.packets), '50000', '7'], { env: { ...process.env, ADDR: 'diverse' }, stdio: ['ignore', 'ignore', 'inherit'] });
        if (r.status !== 0) throw new Error(`gen-pcap.js failed (exit ${r.status})`);
      },
    });
  }
  return specs;
}

/** Makes `file` unless the cache has it; written under another name first, so a cut-short run leaves no half capture behind. */
function ensureCapture(file: string, make: (out: string) => void): string {
  if (!fs.existsSync(file)) {
    process.stderr.write(`generating ${file}...\n`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    try {
      make(partial);
      fs.renameSync(partial, file);
    } finally {
      fs.rmSync(partial, { force: true });
    }
  }
  return file;
}

/**
 * Compiles the native reference into the cache directory (once per source
 * change). Returns its path, or why there is none.
 */
function buildCagg(cacheDir: string): { path: string } | { missing: string } {
  if (!fs.existsSync(CAGG_SOURCE)) return { missing: `${CAGG_SOURCE} not found` };
  const out = path.join(cacheDir, 'cagg');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(CAGG_SOURCE).mtimeMs) return { path: out };
  fs.mkdirSync(cacheDir, { recursive: true });
  const r = spawnSync('cc', ['-O2', '-o', out, CAGG_SOURCE, '-lpcap'], { encoding: 'utf8' });
  if (r.error) return { missing: `no C compiler (${r.error.message})` };
  if (r.status !== 0) return { missing: `cc -O2 cagg.c -lpcap failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  return { path: out };
}

/** Reads a file once so that the timed runs find it in the page cache. */
function warm(file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

function loadAverage(): number[] {
  return os.loadavg().map((x) => round(x, 2));
}

/** One capture timed against cat, tcpdump and cagg. */
interface CaptureFigures {
  key: string;
  title: string;
  command: string;
  file: string;
  packets: number;
  megabytes: number;
  cat: Timed;
  tcpdump: Timed;
  cagg?: Timed;
  analyze: Timed;
  /** Median to median. */
  analyzeVsTcpdump?: number;
  analyzeVsCagg?: number;
  catVsTcpdump?: number;
  /** Best CPU time (user + sys) to best CPU time: steadier than wall time on a shared machine. */
  analyzeCpuVsTcpdump?: number;
  analyzeCpuVsCagg?: number;
  /** Set when reading the file alone took more than half of tcpdump's time. */
  ioBound: boolean;
}

/** A 1-minute load average above this means other work competed for the CPUs during the run. */
const BUSY_LOAD = 1;

/** Above this share of tcpdump's time, reading the file dominates: the ratios measure the I/O, not the engine. */
const IO_BOUND_SHARE = 0.5;

function countPackets(file: string): number {
  let packets = 0;
  readCaptureFile(file, { packet: () => void packets++ });
  return packets;
}

function timeCapture(spec: CaptureSpec, cli: string, cagg: string | undefined, runs: number): CaptureFigures {
  const file = spec.file;
  const fileBytes = fs.statSync(file).size;
  const packets = countPackets(file);
  warm(file);
  const timers = {
    cat: new CommandTimer('cat', [file]),
    tcpdump: new CommandTimer('tcpdump', ['-r', file, '-w', '/dev/null']),
    cagg: cagg === undefined ? undefined : new CommandTimer(cagg, [file, 'agg']),
    analyze: new CommandTimer(process.execPath, [cli, 'analyze', file, '--json']),
  };
  process.stderr.write(`${spec.key}: cat, tcpdump, ${cagg === undefined ? '' : 'cagg, '}analyze taking turns, ${runs} runs each...\n`);
  for (let r = 0; r < runs; r++) {
    timers.cat.run();
    timers.tcpdump.run();
    timers.cagg?.run();
    timers.analyze.run();
  }
  const cat = timers.cat.result(packets, fileBytes);
  const tcpdump = timers.tcpdump.result(packets, fileBytes);
  const caggTimed = timers.cagg?.result(packets, fileBytes);
  const analyze = timers.analyze.result(packets, fileBytes);
  const ratio = (x: Timed, y: Timed | undefined) => (x.ok && y?.ok ? round(x.medianSeconds / y.medianSeconds, 2) : undefined);
  const catVsTcpdump = ratio(cat, tcpdump);
  const cpuRatio = (x: Timed, y: Timed | undefined) => (x.ok && y?.ok ? round(x.bestCpuSeconds / Math.max(y.bestCpuSeconds, 0.01), 2) : undefined);
  return {
    key: spec.key,
    title: spec.title,
    command: spec.command,
    file: shown(file),
    packets,
    megabytes: round(fileBytes / 1e6, 1),
    cat,
    tcpdump,
    ...(caggTimed ? { cagg: caggTimed } : {}),
    analyze,
    analyzeVsTcpdump: ratio(analyze, tcpdump),
    analyzeVsCagg: ratio(analyze, caggTimed),
    catVsTcpdump,
    analyzeCpuVsTcpdump: cpuRatio(analyze, tcpdump),
    analyzeCpuVsCagg: cpuRatio(analyze, caggTimed),
    ioBound: catVsTcpdump !== undefined && catVsTcpdump > IO_BOUND_SHARE,
  };
}

interface ReplayFigures {
  flows: number;
  file: string;
  analyze: Timed;
  replays: ReplayBenchResult[];
  /** Medians over the replays that finished. */
  replayMedianSeconds?: number;
  replayVsAnalyze?: number;
  maxRollupGapSeconds?: number;
  rollupsMedian?: number;
  /** Median CPU time of the replay (helper + main) to analyze's best: steadier than wall time on a shared machine. */
  replayCpuVsAnalyzeCpu?: number;
}

/** analyze and `serve --replay --speed 0` of the capture that leaves `flows` flows open, taking turns. */
async function timeReplay(file: string, flows: number, cli: string, runs: number): Promise<ReplayFigures> {
  const fileBytes = fs.statSync(file).size;
  warm(file);
  const analyzeTimer = new CommandTimer(process.execPath, [cli, 'analyze', file, '--json']);
  const replays: ReplayBenchResult[] = [];
  process.stderr.write(`${flows} concurrent flows: analyze and serve --replay --speed 0 taking turns, ${runs} runs each...\n`);
  for (let r = 0; r < runs; r++) {
    analyzeTimer.run();
    replays.push(await benchReplay(cli, file, 0, REPLAY_TIMEOUT_MS));
  }
  const analyze = analyzeTimer.result(flows * 3, fileBytes);
  const done = replays.filter((x) => x.ok);
  const out: ReplayFigures = { flows, file: shown(file), analyze, replays };
  if (done.length > 0) {
    out.replayMedianSeconds = round(median(done.map((x) => x.wallSeconds)), 3);
    out.maxRollupGapSeconds = Math.max(...done.map((x) => x.maxRollupGapSeconds));
    out.rollupsMedian = round(median(done.map((x) => x.rollups)), 3);
    if (analyze.ok) out.replayVsAnalyze = round(out.replayMedianSeconds / analyze.medianSeconds, 2);
    const cpu = done.filter((x) => x.helperCpuSeconds !== undefined).map((x) => (x.helperCpuSeconds ?? 0) + (x.mainCpuSeconds ?? 0));
    if (analyze.ok && cpu.length > 0) out.replayCpuVsAnalyzeCpu = round(median(cpu) / analyze.bestCpuSeconds, 2);
  }
  return out;
}

const REPLAY_TIMEOUT_MS = 600_000;

/** A path inside the repository relative to it, any other in full. */
function shown(file: string): string {
  const rel = path.relative(repo, file);
  return rel.startsWith('..') ? file : rel;
}


async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2), process.env);
  fs.mkdirSync(resultsDir, { recursive: true });
  const cli = path.join(repo, 'dist/src-main/cli/netmon.js');
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    runs: opts.runs,
    quick: opts.quick,
    loadAverageBefore: loadAverage(),
  };

  const specs = captureSpecs(opts);
  for (const spec of specs) ensureCapture(spec.file, spec.make);
  const concurrentFile = path.join(opts.cacheDir, `concurrent-${opts.concurrentFlows}.pcap`);
  if (opts.concurrentFlows > 0) ensureCapture(concurrentFile, (out) => void generate({ out, packets: 0, seed: 1, concurrentFlows: opts.concurrentFlows }));
  if (!fs.existsSync(GEN_PCAP)) result.diverseCapture = { skipped: `${GEN_PCAP} not found` };

  const cagg = buildCagg(opts.cacheDir);
  result.cagg = 'path' in cagg ? { command: `cc -O2 -o cagg ${path.relative(repo, CAGG_SOURCE)} -lpcap; cagg F agg` } : { skipped: cagg.missing };

  const captures: CaptureFigures[] = [];
  for (const spec of specs) captures.push(timeCapture(spec, cli, 'path' in cagg ? cagg.path : undefined, opts.runs));
  result.captures = captures;

  if (opts.concurrentFlows > 0) result.replay = await timeReplay(concurrentFile, opts.concurrentFlows, cli, Math.min(opts.runs, 3));

  if (!opts.quick) {
    const benchCapture = specs[0].file;
    const fileBytes = fs.statSync(benchCapture).size;
    process.stderr.write('in-process read+decode, read+decode+flows+rollups, analyze engine...\n');
    const decodeOnly = inProcess(benchCapture, 'decode', fileBytes);
    const withFlows = inProcess(benchCapture, 'flows', fileBytes);
    const engine = inProcess(benchCapture, 'engine', fileBytes);
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
      process.stderr.write(`flows view in Chromium with ${opts.concurrentFlows} flows (bench/flows-view.ts)...\n`);
      if (!fs.existsSync('/usr/bin/chromium')) result.flowsView = { skipped: '/usr/bin/chromium is not installed' };
      else {
        // The flows held in serve's history: a replay of the 1M-flow capture waits many minutes on main's catch-up
        // listing of the helper's flows (bench/flows-view.ts).
        const view = spawnSync(process.execPath, [path.join(__dirname, 'flows-view.js'), '--history', String(opts.concurrentFlows), '--json'], { encoding: 'utf8' });
        result.flowsView = view.status === 0 ? (JSON.parse(view.stdout) as FlowsViewBench) : { error: view.stderr.trim() };
      }
    }

    process.stderr.write('applications report (bench/applications.ts)...\n');
    const apps = spawnSync(process.execPath, [path.join(__dirname, 'applications.js'), '200000', '20000'], { encoding: 'utf8' });
    result.applications = apps.status === 0 ? (JSON.parse(apps.stdout) as unknown) : { error: apps.stderr.trim() };

    process.stderr.write('TCP quality cost...\n');
    result.quality = [benchCapture, ...(opts.concurrentFlows > 0 ? [concurrentFile] : [])].map((f) => measureQuality(f, opts.runs));

    process.stderr.write('web sections cost...\n');
    result.webSections = measureWebSections([benchCapture], opts.runs);
    if (process.platform === 'linux') {
      process.stderr.write('process attribution cost (bench/app-attribution.ts)...\n');
      const attribution = spawnSync(process.execPath, [path.join(__dirname, 'app-attribution.js'), '--connections', opts.quick ? '500' : '5000', '--runs', String(Math.max(5, opts.runs))], { encoding: 'utf8' });
      result.appAttribution = attribution.status === 0 ? (JSON.parse(attribution.stdout) as unknown) : { error: attribution.stderr.trim() };
    }

    process.stderr.write('country and AS enrichment...\n');
    result.geoEnrichment = await runGeoBench();

    if (process.getuid?.() === 0) {
      process.stderr.write('live capture section...\n');
      result.live = await runLiveBench();
      const minutes = Number(process.env.NETMON_BENCH_SOAK_MINUTES ?? 10);
      if (minutes > 0 && fs.existsSync('/usr/bin/chromium')) {
        process.stderr.write(`live soak, ${minutes} minutes (bench/live-soak.ts)...\n`);
        const soak = spawnSync(process.execPath, [path.join(__dirname, 'live-soak.js'), '--minutes', String(minutes), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        result.liveSoak = soak.status === 0 ? (JSON.parse(soak.stdout) as LiveSoakBench) : { error: `live-soak exited with ${soak.status}` };
      } else {
        result.liveSoak = { skipped: minutes > 0 ? '/usr/bin/chromium is not installed' : 'NETMON_BENCH_SOAK_MINUTES=0' };
      }
    } else {
      result.live = { skipped: 'the live section needs root (network namespaces)' };
      result.liveSoak = { skipped: 'the live soak needs root (network namespaces)' };
    }
  }
  process.stderr.write('serve --nats with simulated probes...\n');
  result.bus = await runBusBench().catch((e: unknown) => ({ skipped: `failed: ${(e as Error).message}` }));
  result.loadAverageAfter = loadAverage();

  const text = formatText(result);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(resultsDir, `bench-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, `bench-${stamp}.txt`), text);
  process.stdout.write(text);
  process.stdout.write(`saved bench-results/bench-${stamp}.json and .txt\n`);
}

function formatText(r: Record<string, unknown>): string {
  const lines: string[] = [];
  const load = (x: unknown) => (x as number[]).join(' ');
  lines.push(`Netmon bench ${r.date as string} (node ${r.node as string}, ${r.cpus as number} CPUs, medians of ${r.runs as number} runs taking turns${r.quick ? ', quick mode' : ''})`);
  const busiest = Math.max(...(r.loadAverageBefore as number[]).slice(0, 1), ...(r.loadAverageAfter as number[]).slice(0, 1));
  lines.push(`load average (1, 5, 15 min) before ${load(r.loadAverageBefore)}, after ${load(r.loadAverageAfter)}`);
  if (busiest > BUSY_LOAD) lines.push(`BUSY MACHINE: other work held the CPUs (1-minute load ${busiest} on ${r.cpus as number} CPUs); wall times are inflated, the CPU-time ratios are the steadier figures`);
  const row = (name: string, t: Timed | undefined) =>
    t === undefined
      ? `  ${name.padEnd(30)} not run`
      : t.ok
        ? `  ${name.padEnd(30)} ${t.medianSeconds.toFixed(3).padStart(7)} s median, ${t.bestSeconds.toFixed(3)} s best of ${t.runs} (${(t.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s best, ${t.megabytesPerSecond} MB/s)  ` +
          `CPU ${t.bestCpuSeconds.toFixed(2)} s best (user ${t.bestUserSeconds.toFixed(2)} + sys ${t.bestSysSeconds.toFixed(2)})  peak RSS ${t.peakRssMB} MB`
        : `  ${name.padEnd(30)} failed: ${t.error}`;
  const cagg = r.cagg as { command?: string; skipped?: string };
  lines.push(cagg.command !== undefined ? `native reference: ${cagg.command}` : `native reference skipped: ${cagg.skipped}`);
  if (r.diverseCapture) lines.push(`random-order capture skipped: ${(r.diverseCapture as { skipped: string }).skipped}`);
  for (const c of r.captures as CaptureFigures[]) {
    lines.push(`${c.title}: ${c.file}, ${c.packets} packets, ${c.megabytes} MB (${c.command})`);
    lines.push(row('cat F > /dev/null', c.cat));
    lines.push(row('tcpdump -r F -w /dev/null', c.tcpdump));
    if (c.cagg) lines.push(row('cagg F agg', c.cagg));
    lines.push(row('netmon analyze F --json', c.analyze));
    const x = (v: number | undefined) => (v === undefined ? 'n/a' : `${v}x`);
    lines.push(`  wall, median to median: analyze / cagg ${x(c.analyzeVsCagg)} (target <= 1.5x), analyze / tcpdump ${x(c.analyzeVsTcpdump)} (target <= 2x), cat / tcpdump ${x(c.catVsTcpdump)}`);
    lines.push(`  CPU time, best to best: analyze / cagg ${x(c.analyzeCpuVsCagg)}, analyze / tcpdump ${x(c.analyzeCpuVsTcpdump)}`);
    if (c.ioBound) lines.push(`  I/O-BOUND RUN: reading the file alone took more than ${IO_BOUND_SHARE * 100} % of tcpdump's time; the ratios above measure the machine's I/O`);
  }
  if (r.replay) {
    const rp = r.replay as ReplayFigures;
    lines.push(`capture leaving ${rp.flows} flows open: ${rp.file}`);
    lines.push(row('netmon analyze F --json', rp.analyze));
    for (const [i, x] of rp.replays.entries()) {
      lines.push(
        x.ok
          ? `  serve --replay F --speed 0 #${i + 1}: ${x.wallSeconds.toFixed(3)} s from start to finished (replay ${x.replaySeconds.toFixed(3)} s), ${x.rollups} rollups, ${x.rollups < 2 ? 'no gap (fewer than 2)' : `largest gap ${x.maxRollupGapSeconds.toFixed(3)} s`}, first ${x.firstRollupAfterSeconds.toFixed(3)} s after start` +
            (x.helperCpuSeconds !== undefined ? `; CPU helper ${x.helperCpuSeconds} s, main ${x.mainCpuSeconds} s` : '') +
            (x.finishedFlows !== undefined ? `; ${x.finishedFlows} flows logged, ${x.flowsDroppedByMain ?? 0} flows beyond main's flow book (not logged)` : '')
          : `  serve --replay F --speed 0 #${i + 1}: failed: ${x.error}`,
      );
    }
    if (rp.replayMedianSeconds !== undefined) {
      lines.push(
        `  serve --replay median ${rp.replayMedianSeconds} s, ${rp.replayVsAnalyze ?? 'n/a'}x analyze by wall time (target <= 2x), ` +
          `${rp.replayCpuVsAnalyzeCpu ?? 'n/a'}x by CPU time (helper + main); largest gap between rollups ${rp.maxRollupGapSeconds} s`,
      );
    }
  }
  const ip = r.inProcess as { decode: InProcess; decodeFlowsRollups: InProcess; analyzeEngine: InProcess; flowsAndRollupsNsPerPacket: number } | undefined;
  if (ip) {
    const stageRow = (name: string, t: InProcess) =>
      `${name.padEnd(46)} ${(t.packetsPerSecond / 1e6).toFixed(2)} Mpkt/s wall, ${(t.packetsPerCpuSecond / 1e6).toFixed(2)} Mpkt per CPU s (${t.cpuSeconds} s), ${t.megabytesPerSecond} MB/s` +
      (t.flowsCreated !== undefined ? `, ${t.flowsCreated} flows` : '');
    lines.push('bench capture, in this process:');
    lines.push(stageRow('  read+decode:', ip.decode));
    lines.push(stageRow('  read+decode+flows+rollups:', ip.decodeFlowsRollups));
    lines.push(stageRow('  analyze engine with its report:', ip.analyzeEngine));
    lines.push(`  flows+rollups cost: ${ip.flowsAndRollupsNsPerPacket} ns of CPU per packet`);
  }
  const m = r.flowMemory as (Partial<FlowMemoryResult> & { error?: string }) | undefined;
  if (m?.error) lines.push(`flow memory: failed: ${m.error}`);
  else if (m) {
    lines.push(`FlowTable with ${m.activeFlows} active flows: ${m.bytesPerFlowHeap} B/flow (heap+arrayBuffers), ${m.bytesPerFlowRss} B/flow (RSS) (target <= 300)`);
    lines.push(`FlowTable alone: ${m.nsPerPacketNewFlow} ns/packet creating flows, ${m.nsPerPacketExisting} ns/packet on existing flows`);
  }
  if (r.quality) lines.push(...formatQuality(r.quality as QualityBench[]));
  if (r.webSections) lines.push(...formatWebSections(r.webSections as WebSectionsBench));
  if (r.appAttribution) lines.push(...formatAttribution(r.appAttribution as Parameters<typeof formatAttribution>[0]));
  const g = r.geoEnrichment as GeoBenchResult | undefined;
  if (g) {
    lines.push(
      `geo enrichment: open ${g.openMs} ms (event loop held ${g.openLongestStallMs} ms at most); lookup ${g.coldLookupUs} µs new address, ${g.cachedLookupUs} µs cached; ` +
        `a new flow ${g.newFlowUs} µs (${g.newFlowsPerSecond} new flows/s on one core), nothing per packet`,
    );
  }
  if (r.flowStore) lines.push(`flow store (history queries, ms, medians of 5): ${JSON.stringify(r.flowStore)}`);
  const view = r.flowsView as FlowsViewBench | { skipped?: string; error?: string } | undefined;
  if (view !== undefined) lines.push(...('flows' in view ? formatFlowsView(view) : [`flows view: ${view.skipped ?? view.error ?? ''}`]));
  if (r.applications) lines.push(`applications (report and filter, ms, medians of 5): ${JSON.stringify(r.applications)}`);
  if (r.live) lines.push(`live: ${JSON.stringify(r.live)}`);
  const soak = r.liveSoak as LiveSoakBench | { skipped?: string; error?: string } | undefined;
  if (soak !== undefined && 'perMinute' in soak) {
    lines.push(`live soak: ${soak.minutes} min at ${soak.achievedPps} pps over ${soak.flows} flows, dashboard open (Overview, then Flows): ` +
      `sent ${soak.sent}, captured ${soak.captured}, drops kernel ${soak.kernelDrops} helper ${soak.helperDrops} main ${JSON.stringify(soak.mainDrops)}`);
    for (const m of soak.perMinute) {
      lines.push(`  minute ${m.minute} (${m.view}): CPU % of a core main ${m.cpu.main}, helper ${m.cpu.helper}, renderer ${m.cpu.renderer}; ` +
        `PSS MB main ${m.memoryMB.main}, helper ${m.memoryMB.helper}, renderer ${m.memoryMB.renderer}`);
    }
    lines.push(`  median CPU main ${soak.medianCpu.main} %, renderer ${soak.medianCpu.renderer} % (target: ${soak.target}); ` +
      `memory growth first to last minute main ${soak.memoryGrowthMB.main} MB, renderer ${soak.memoryGrowthMB.renderer} MB`);
  } else if (soak !== undefined) {
    lines.push(`live soak: ${soak.skipped ?? soak.error}`);
  }
  if (r.bus) lines.push(...formatBusBench(r.bus as Parameters<typeof formatBusBench>[0]));
  return `${lines.join('\n')}\n`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
