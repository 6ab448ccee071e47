/**
 * A steady live load held for minutes (figures, not asserts; needs root): `netmon serve --iface` captures on a veth
 * pair while a generator sends UDP at a set rate over a set number of concurrent flows, and the dashboard is open in
 * Chromium, half the time on the Overview, half on the Flows view. Serve starts as root with SUDO_UID of `nobody`, as
 * `sudo netmon serve` would: netmon-capture opens the interface and every other process runs as nobody.
 * Each minute it prints, for main (the serve process), the capture helper (with netmon-capture) and the dashboard's
 * renderer: CPU in % of one core over that minute, and memory (PSS) at its end. At the end: packets sent and captured, drops,
 * the flows serve shows, and the medians. The bar: main and the renderer each under 25 % of a core, memory flat.
 * Run: `node dist/bench/live-soak.js [--minutes 10] [--pps 100000] [--flows 10000] [--json]`
 * (`npm run bench` runs it as root under `liveSoak`, for the minutes NETMON_BENCH_SOAK_MINUTES gives, 10 by default).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { Stats } from '../src-main/api/types/stats';
import { createVethPair, type VethPair } from '../test/helpers/netns';
import { startServe, type ServeProcess } from '../test/helpers/serve-process';
import { cpuTicks, median, round } from './stats';
import { compileUdpGenerator } from './udp-generator';

const FRAME_BYTES = 128;
const CLOCK_TICKS = 100;
const NOBODY = 65534;

export interface SoakMinute {
  minute: number;
  view: 'overview' | 'flows';
  /** % of one core over the minute. */
  cpu: { main: number; helper: number; renderer: number };
  /** PSS at the minute's end, MB. */
  memoryMB: { main: number; helper: number; renderer: number };
}

export interface LiveSoakBench {
  minutes: number;
  offeredPps: number;
  flows: number;
  achievedPps: number;
  sent: number;
  /** UDP packets serve counted. */
  captured: number;
  kernelDrops: number;
  helperDrops: number;
  /** Main's drop counters that are not zero, by buffer (`deltaOmitted`: flow updates the helper left out of its
   *  per-second deltas, which main then lists again). */
  mainDrops: Record<string, number>;
  /** Active flows serve reported at the end. */
  activeFlows: number;
  perMinute: SoakMinute[];
  medianCpu: { main: number; helper: number; renderer: number };
  /** Memory (PSS) at the last minute less at the first, MB. */
  memoryGrowthMB: { main: number; helper: number; renderer: number };
  target: string;
}

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, cmd: fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function descendants(root: number, all: Proc[]): Proc[] {
  const found: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * CPU ticks (user + system) and proportional memory (PSS: shared pages split among the processes sharing them, so
 * Chromium's or the helper's processes add up honestly) of a process; zeros once it is gone.
 */
function usage(pid: number): { ticks: number; pss: number } {
  try {
    const pssKiB = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    return { ticks: cpuTicks(pid), pss: pssKiB * 1024 };
  } catch {
    return { ticks: 0, pss: 0 };
  }
}

type Role = 'main' | 'helper' | 'renderer';

function sumUsage(pids: number[]): { ticks: number; pss: number } {
  return pids.map(usage).reduce((s, u) => ({ ticks: s.ticks + u.ticks, pss: s.pss + u.pss }), { ticks: 0, pss: 0 });
}

export async function runLiveSoak(opts: { minutes: number; pps: number; flows: number; log: (line: string) => void }): Promise<LiveSoakBench> {
  if (process.getuid?.() !== 0) throw new Error('the live soak needs root (network namespaces)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-soak-'));
  // serve runs as nobody: its data and runtime directories are nobody's.
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  fs.chownSync(home, NOBODY, NOBODY);
  fs.chmodSync(work, 0o755);
  let pair: VethPair | null = null;
  let serve: ServeProcess | null = null;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    const gen = compileUdpGenerator(work);
    pair = createVethPair();
    const ns = pair;
    serve = await startServe(['--iface', ns.ifB, '--bind', '127.0.0.1:0', '--db', path.join(home, 'history.sqlite')], { XDG_DATA_HOME: home, XDG_RUNTIME_DIR: home }, {
      spawnWith: (command, args, options) => ns.spawn(ns.nsB, command, args, options),
      user: { name: 'nobody', uid: NOBODY, gid: NOBODY, via: 'sudo' },
      startTimeoutMs: 30_000,
    });
    const { url } = serve;
    const token = serve.token ?? '';
    const servePid = serve.child.pid ?? 0;
    // serve listens in namespace B: Chromium runs there too.
    const wrapper = path.join(work, 'chromium-in-ns');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.nsB} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
    browser = await chromium.launch({
      executablePath: wrapper,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
    await page.goto(`${url}/#token=${token}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Overview' }).waitFor();
    // serve listens in namespace B, where only the page can reach it.
    const api = <T>(route: string): Promise<T> =>
      page.evaluate(async ([u, t]) => (await fetch(u, { headers: { Authorization: `Bearer ${t}` } })).json() as Promise<T>, [`${url}${route}`, token]);
    for (const end = Date.now() + 30_000; (await api<{ state: string }>('/api/capture/status')).state !== 'running'; ) {
      if (Date.now() > end) throw new Error('the live capture did not start within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }

    const roleOf = (p: Proc): Role | null => {
      if (p.cmd.includes('src-capture-helper') || p.cmd.includes('netmon-capture')) return 'helper';
      if (p.cmd.includes('--type=renderer')) return 'renderer';
      return null;
    };
    const pidsByRole = (): Record<Role, number[]> => {
      const all = processes();
      const by: Record<Role, number[]> = { main: [servePid], helper: [], renderer: [] };
      for (const p of descendants(servePid, all)) if (roleOf(p) === 'helper') by.helper.push(p.pid);
      for (const p of descendants(process.pid, all)) if (roleOf(p) === 'renderer') by.renderer.push(p.pid);
      return by;
    };
    const sample = (): Record<Role, { ticks: number; pss: number }> => {
      const by = pidsByRole();
      return { main: sumUsage(by.main), helper: sumUsage(by.helper), renderer: sumUsage(by.renderer) };
    };

    const seconds = opts.minutes * 60;
    let generatorOut = '';
    const generator = ns.spawn(ns.nsA, gen, [ns.ifA, String(FRAME_BYTES), String(opts.pps), String(seconds), ns.macA, ns.macB, ns.addrA, ns.addrB, String(opts.flows)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    generator.stdout?.on('data', (d: Buffer) => (generatorOut += d.toString()));
    const generated = new Promise<void>((resolve) => generator.once('exit', () => resolve()));

    const perMinute: SoakMinute[] = [];
    let before = sample();
    for (let minute = 1; minute <= opts.minutes; minute++) {
      const view = minute <= Math.ceil(opts.minutes / 2) ? 'overview' : 'flows';
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: view === 'overview' ? 'Overview' : 'Flows' }).click();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 60_000));
      const after = sample();
      const elapsed = (Date.now() - t0) / 1000;
      const pct = (r: Role) => round(((after[r].ticks - before[r].ticks) / CLOCK_TICKS / elapsed) * 100, 1);
      const mb = (r: Role) => round(after[r].pss / 2 ** 20, 1);
      const m: SoakMinute = { minute, view, cpu: { main: pct('main'), helper: pct('helper'), renderer: pct('renderer') }, memoryMB: { main: mb('main'), helper: mb('helper'), renderer: mb('renderer') } };
      perMinute.push(m);
      opts.log(`live soak: minute ${minute} (${view}): CPU main ${m.cpu.main} %, helper ${m.cpu.helper} %, renderer ${m.cpu.renderer} %; ` +
        `memory (PSS) main ${m.memoryMB.main} MB, helper ${m.memoryMB.helper} MB, renderer ${m.memoryMB.renderer} MB`);
      before = after;
    }
    await generated;
    // Let the last second's totals reach main.
    await new Promise((r) => setTimeout(r, 2500));
    const stats = await api<Stats>('/api/stats');
    const [sent, secs] = generatorOut.trim().split(' ').map(Number);
    const udp = stats.protocols.udp;
    const first = perMinute[0];
    const last = perMinute[perMinute.length - 1];
    return {
      minutes: opts.minutes,
      offeredPps: opts.pps,
      flows: opts.flows,
      achievedPps: Math.round(sent / secs),
      sent,
      captured: udp.packets,
      kernelDrops: stats.interfaces.reduce((s, i) => s + i.kernelDrops, 0),
      helperDrops: stats.interfaces.reduce((s, i) => s + i.helperDrops, 0),
      mainDrops: Object.fromEntries(Object.entries(stats.mainDrops).filter(([, n]) => n > 0)),
      activeFlows: stats.activeFlows,
      perMinute,
      medianCpu: {
        main: round(median(perMinute.map((m) => m.cpu.main)), 1),
        helper: round(median(perMinute.map((m) => m.cpu.helper)), 1),
        renderer: round(median(perMinute.map((m) => m.cpu.renderer)), 1),
      },
      memoryGrowthMB: {
        main: round(last.memoryMB.main - first.memoryMB.main, 1),
        helper: round(last.memoryMB.helper - first.memoryMB.helper, 1),
        renderer: round(last.memoryMB.renderer - first.memoryMB.renderer, 1),
      },
      target: 'main and the renderer each under 25 % of one core, memory flat',
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await serve?.stop();
    pair?.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { minutes: { type: 'string', default: '10' }, pps: { type: 'string', default: '100000' }, flows: { type: 'string', default: '10000' }, json: { type: 'boolean', default: false } },
  });
  const minutes = Number(values.minutes);
  const pps = Number(values.pps);
  const flows = Number(values.flows);
  if (!(minutes >= 1 && Number.isInteger(minutes)) || !(pps > 0) || !(flows >= 1 && flows <= 50_000)) {
    process.stderr.write('usage: live-soak [--minutes N (whole, >= 1)] [--pps N] [--flows N (1-50000)] [--json]\n');
    process.exit(2);
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  runLiveSoak({ minutes, pps, flows, log }).then(
    (r) => {
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
        return;
      }
      process.stdout.write(`live soak, ${r.minutes} min at ${r.achievedPps} pps over ${r.flows} flows: sent ${r.sent}, captured ${r.captured}, ` +
        `drops kernel ${r.kernelDrops} helper ${r.helperDrops} main ${JSON.stringify(r.mainDrops)}; ${r.activeFlows} active flows\n` +
        `median CPU (% of a core): main ${r.medianCpu.main}, helper ${r.medianCpu.helper}, renderer ${r.medianCpu.renderer}; ` +
        `memory (PSS) growth first to last minute (MB): main ${r.memoryGrowthMB.main}, helper ${r.memoryGrowthMB.helper}, renderer ${r.memoryGrowthMB.renderer}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`live soak: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
