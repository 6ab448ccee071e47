/**
 * The Flows view in Chromium against `netmon serve` holding many flows (figures, not asserts), run as
 * `node dist/bench/flows-view.js [CAPTURE | --history N] [--json] [--cpu-profile FILE] [--trace FILE]` (bench/run.ts starts it as a child with --json,
 * saved under `flowsView`). Serve holds the flows one of two ways:
 * - `--history N` (bench/run.ts, N = --concurrent-flows): a history database filled with N finished flows of one
 *   capture session (bench/flow-store.ts's flows), served with no capture running, so the Flows view lists them all;
 * - CAPTURE: serve replays it at full speed (e.g. concurrent-1000000.pcap, which leaves 1 million flows open) with its
 *   flow limit raised to hold them all, and the bench waits for the end of the replay. At 1 million flows this waits on
 *   main's catch-up listing of the helper's flows (issue #14's helper part), which takes many minutes today.
 * Then, in Debian's Chromium (playwright-core):
 * - time to first rows: the Flows button clicked until the first rows are on screen (and the whole page load);
 * - scroll frames while the mouse wheel turns through the list: the main-thread CPU time of each frame from Chromium's
 *   trace (p50/p95/max, what the target "p95 < 16 ms per frame" reads: a frame fits when its work does; its wall time
 *   too, which a loaded machine stretches), beside the
 *   requestAnimationFrame gaps (paced by the display, so they show frames drawn late but not how much room a frame
 *   had), and the frames in which the middle of the table showed no row yet; with --trace FILE, that pass's trace
 *   saved for DevTools; with --cpu-profile FILE, one more pass
 *   under Chromium's CPU profiler, saved to FILE with its largest self times printed;
 * - a jump to the middle of the list (the scroll bar dragged there) until its rows show;
 * - a sort change and a filter change until the first row is the one main lists first for the new order or filter.
 * Alone, it prints the figures and saves them to bench-results/flows-view-<date>.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { FlowSummary } from '../src-main/api/types/flows';
import { HistoryDb } from '../src-main/core/history-db';
import { startServe, type ServeProcess } from '../test/helpers/serve-process';
import { flowAt } from './flow-store';
import type { FrameWork } from './frame-trace';
import { profileCpu, topSelfTime, traceFrames } from './frame-trace';

const repo = path.resolve(__dirname, '../..');
const DEFAULT_CAPTURE = path.join(process.env.NETMON_BENCH_CACHE ?? path.join(repo, 'bench-results/cache'), 'concurrent-1000000.pcap');
const RUNS = 5;
const WHEEL_TURNS = 240;

export interface FrameFigures {
  /** Gaps between requestAnimationFrame callbacks: paced by the display (16.7 ms at 60 Hz), so a p50 of 16.7 ms
   *  means every frame was drawn; a longer gap is a frame that missed its turn. */
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Gaps longer than one and a half display frames: frames not drawn on time. */
  lateFrames: number;
  /** Main-thread time each frame took (Chromium's trace, bench/frame-trace.ts): what the scroll target reads. */
  work: FrameWork;
  /** Frames in which the middle of the table showed no row (its window not fetched yet). */
  blankFrames: number;
  /** How far the wheel went: the first row shown at the end. */
  rowReached: number;
}

export interface FlowsViewBench {
  /** What serve held: the replayed capture, or `history of N finished flows`. */
  source: string;
  /** Flows main lists (scope all) once the replay finished. */
  flows: number;
  /** Seconds until serve held every flow (the replay, or filling the history). */
  setupSeconds: number;
  serveRssMB: number;
  /** Milliseconds; each a median of RUNS with every run listed. */
  firstRowsMs: { median: number; runs: number[] };
  pageLoadToRowsMs: { median: number; runs: number[] };
  scroll: FrameFigures;
  jumpToMiddleMs: { median: number; runs: number[] };
  sortChangeMs: { median: number; runs: number[] };
  filterChangeMs: { median: number; runs: number[] };
  targets: string;
  loadAverage: number[];
}

/** A history database with `n` finished flows of one capture session. */
function fillHistory(file: string, n: number): void {
  const db = new HistoryDb(file);
  try {
    // Within the last hour: the retention of the flow log keeps them.
    const shift = Date.now() - 3_600_000 - flowAt(0).firstSeenMs;
    db.startSession({ id: 'bench', kind: 'replay', source: 'bench', startedAtMs: Date.now() - 3_600_000 });
    for (let i = 0; i < n; i += 10_000) {
      const batch: FlowSummary[] = [];
      for (let j = i; j < Math.min(n, i + 10_000); j++) {
        const f = flowAt(j);
        batch.push({ ...f, firstSeenMs: f.firstSeenMs + shift, lastSeenMs: f.lastSeenMs + shift });
      }
      db.recordFinishedFlows(batch);
    }
    db.endSession('bench', Date.now());
  } finally {
    db.close();
  }
}

/**
 * A history database of `n` finished flows at `file`: copied from the bench cache, where the first run of the day
 * fills it (a million flows take minutes to write). The cached copy is named after the compiled history store, so
 * a change to its schema fills a new one; older copies are removed.
 */
function copyHistory(file: string, n: number): void {
  const cacheDir = process.env.NETMON_BENCH_CACHE ?? path.join(repo, 'bench-results/cache');
  const store = crypto.createHash('sha256').update(fs.readFileSync(require.resolve('../src-main/core/history-db'))).digest('hex').slice(0, 12);
  const day = new Date().toISOString().slice(0, 10);
  const prefix = `flows-view-history-${n}-`;
  const cached = path.join(cacheDir, `${prefix}${store}-${day}.sqlite`);
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(prefix)) fs.rmSync(path.join(cacheDir, old), { force: true });
    const partial = `${cached}.partial`;
    fs.rmSync(partial, { force: true });
    fillHistory(partial, n);
    fs.renameSync(partial, cached);
  }
  fs.copyFileSync(cached, file);
  fs.chmodSync(file, 0o600);
}

/** `netmon serve` through the tests' one starter, replaying the capture at full speed or opening the history. */
function startBenchServe(capture: string | null, dir: string): Promise<ServeProcess> {
  const config = path.join(dir, 'netmon.yaml');
  // Main keeps every flow of the replay (its default limit is 200,000).
  fs.writeFileSync(config, 'flows:\n  maxFlows: 2000000\n', { mode: 0o600 });
  const args = ['--bind', '127.0.0.1:0', '--db', path.join(dir, 'history.sqlite'), '--config', config];
  if (capture !== null) args.push('--replay', capture, '--speed', '0');
  // Opening a history of a million flows takes a while.
  return startServe(args, { XDG_CONFIG_HOME: dir }, { startTimeoutMs: 300_000 });
}

async function api<T>(s: ServeProcess, route: string): Promise<T> {
  const res = await fetch(`${s.url}${route}`, { headers: s.auth });
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The id main lists first for a query (what the first row must show). */
async function firstId(s: ServeProcess, params: string): Promise<string> {
  const page = await api<{ flows: Array<{ id: string }> }>(s, `/api/flows?scope=all&limit=1&${params}`);
  if (page.flows.length === 0) throw new Error(`no flow for ${params}`);
  return page.flows[0].id;
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
const summary = (runs: number[]) => ({ median: Math.round(median(runs)), runs: runs.map(Math.round) });

/** Waits, frame by frame, until the first row of the table is this flow (or any row, for null); ms since `t0`. */
const untilFirstRow = (page: Page, expected: string | null, action: 'none' | { sortHeader: string } | { filterText: string }) =>
  page.evaluate(
    async ({ expected, action }) => {
      const grid = (): Element | null => document.querySelector('[role=grid][aria-label=Flows]');
      const t0 = performance.now();
      if (action !== 'none' && 'sortHeader' in action) {
        // The header reads "Endpoint A", with the sort mark after "Endpoint" once sorted.
        const header = [...document.querySelectorAll('[role=columnheader]')].find((h) => h.textContent?.replace(/[▲▼]/g, '') === action.sortHeader);
        header?.querySelector('button')?.click();
      } else if (action !== 'none') {
        const input = document.querySelector<HTMLInputElement>('input[type=search]');
        if (!input) throw new Error('no search field');
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, action.filterText);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      while (performance.now() - t0 < 120_000) {
        await new Promise((r) => requestAnimationFrame(r));
        const first = grid()?.querySelector('[role=row][aria-rowindex="2"]');
        if (first && (expected === null || first.getAttribute('data-flow-id') === expected)) return performance.now() - t0;
      }
      return Number.NaN;
    },
    { expected, action },
  );

/** Turns the mouse wheel through the list as a person does: a notch (100 px) every 16 ms or so. */
async function turnWheel(page: Page): Promise<void> {
  for (let i = 0; i < WHEEL_TURNS; i++) {
    await page.mouse.wheel(0, 100);
    await page.waitForTimeout(16);
  }
  await page.waitForTimeout(100);
}

async function measureScroll(page: Page, traceFile?: string): Promise<FrameFigures> {
  const grid = page.getByRole('grid', { name: 'Flows' });
  const box = await grid.boundingBox();
  if (box === null) throw new Error('no flow grid');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await grid.evaluate((el) => {
    const w = window as unknown as { frameGaps: number[]; blankFrames: number; recording: boolean };
    w.frameGaps = [];
    w.blankFrames = 0;
    w.recording = true;
    let last = performance.now();
    const r = el.getBoundingClientRect();
    const middle = r.top + r.height / 2;
    const step = (): void => {
      const now = performance.now();
      w.frameGaps.push(now - last);
      last = now;
      // By the rows' boxes, not a hit test: the table takes the pointer off its rows while it scrolls.
      const rows = el.querySelectorAll('[role=row][data-flow-id]');
      if (![...rows].some((row) => (({ top, bottom }) => top <= middle && bottom > middle)(row.getBoundingClientRect()))) w.blankFrames++;
      if (w.recording) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  const trace = await traceFrames(page);
  await turnWheel(page);
  const { work, events } = await trace.stop();
  // Chromium's trace event format: DevTools' Performance panel opens it.
  if (traceFile !== undefined) fs.writeFileSync(traceFile, JSON.stringify({ traceEvents: events }));
  const figures = await grid.evaluate((el) => {
    const w = window as unknown as { frameGaps: number[]; blankFrames: number; recording: boolean };
    w.recording = false;
    const gaps = w.frameGaps.slice(1).sort((a, b) => a - b);
    const q = (p: number): number => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
    const first = el.querySelector('[role=row][data-flow-id]');
    return {
      frames: gaps.length,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      maxMs: gaps[gaps.length - 1],
      lateFrames: gaps.filter((g) => g > 1.5 * q(0.5)).length,
      blankFrames: w.blankFrames,
      rowReached: Number(first?.getAttribute('aria-rowindex') ?? 0) - 1,
    };
  });
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { ...figures, p50Ms: round(figures.p50Ms), p95Ms: round(figures.p95Ms), maxMs: round(figures.maxMs), work };
}

/** Another wheel pass under Chromium's CPU profiler (slower for it, so apart from the measured pass): the profile is
 *  saved for DevTools and its largest self times printed. */
async function profileScroll(page: Page, file: string): Promise<void> {
  const profiler = await profileCpu(page);
  await turnWheel(page);
  const profile = await profiler.stop();
  fs.writeFileSync(file, JSON.stringify(profile));
  process.stderr.write(`flows view: CPU profile of a wheel pass saved to ${file}; self time:\n${topSelfTime(profile, 25).join('\n')}\n`);
}

/** Drags the view to the middle of the list (as the scroll bar does) and waits for the rows there. */
const jumpToMiddle = (page: Page) =>
  page.evaluate(async () => {
    const grid = document.querySelector<HTMLElement>('[role=grid][aria-label=Flows]');
    if (!grid) throw new Error('no grid');
    grid.scrollTop = 0;
    // From the top, once its rows show.
    const top = Date.now();
    while (grid.querySelector('[role=row][aria-rowindex="2"][data-flow-id]') === null && Date.now() - top < 120_000) await new Promise((r) => setTimeout(r, 50));
    const total = Number(grid.getAttribute('aria-rowcount')) - 1;
    const t0 = performance.now();
    grid.scrollTop = (grid.scrollHeight - grid.clientHeight) / 2;
    while (performance.now() - t0 < 120_000) {
      await new Promise((r) => requestAnimationFrame(r));
      const row = grid.querySelector('[role=row][data-flow-id]');
      const index = Number(row?.getAttribute('aria-rowindex') ?? 0) - 2;
      if (row && Math.abs(index - total / 2) < total / 100 + 50) return performance.now() - t0;
    }
    return Number.NaN;
  });

/** `from`: a capture to replay, or a number of finished flows to put in the history. */
export async function runFlowsViewBench(from: { capture: string } | { history: number }, options: { cpuProfile?: string; trace?: string } = {}): Promise<FlowsViewBench> {
  const capture = 'capture' in from ? from.capture : null;
  if (capture !== null && !fs.existsSync(capture)) throw new Error(`${capture} not found (scripts/gen-bench-capture.ts --concurrent-flows 1000000 makes it)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bench-flows-view-'));
  const started = Date.now();
  let serve: ServeProcess;
  try {
    if ('history' in from) copyHistory(path.join(dir, 'history.sqlite'), from.history);
    serve = await startBenchServe(capture, dir);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const interrupted = (): void =>
    void serve.stop().finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    for (;;) {
      const status = await api<{ state: string }>(serve, '/api/capture/status');
      if (capture === null || status.state === 'finished') break;
      if (status.state === 'error' || Date.now() - started > 1_800_000) throw new Error(`replay did not finish: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const setupSeconds = (Date.now() - started) / 1000;
    const flows = (await api<{ total: number }>(serve, '/api/flows?scope=all&limit=1')).total;
    if (flows === 0) throw new Error('serve lists no flow');
    process.stderr.write(`flows view: serve holds its flows after ${setupSeconds.toFixed(0)} s; main lists ${flows} flows\n`);

    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const dashboard = `${serve.url}/#token=${serve.token}`;
    const firstRows: number[] = [];
    const pageLoad: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A fresh page each time (the same address again would only change its #fragment).
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(dashboard);
      const flowsButton = page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Flows' });
      await flowsButton.waitFor();
      // The app opened on its first screen; the Flows button is what a person clicks.
      const clicked = page.evaluate(() => {
        // The button holds its icon, then its label.
        const b = [...document.querySelectorAll('nav button')].find((x) => x.textContent?.trim().endsWith('Flows'));
        if (!b) throw new Error('no Flows button');
        (b as HTMLElement).click();
      });
      await clicked;
      const ms = await untilFirstRow(page, null, 'none');
      firstRows.push(ms);
      pageLoad.push(Date.now() - t0);
    }
    const scroll = await measureScroll(page, options.trace);
    if (options.cpuProfile !== undefined) await profileScroll(page, options.cpuProfile);
    const jumps: number[] = [];
    for (let i = 0; i < RUNS; i++) jumps.push(await jumpToMiddle(page));

    // Sort by endpoint A (address, then port), taking turns between its two directions.
    const ascFirst = await firstId(serve, 'sort=a&dir=asc');
    const descFirst = await firstId(serve, 'sort=a&dir=desc');
    if (ascFirst === descFirst) throw new Error('endpoint A sorts every flow alike: no sort change to see');
    const sorts: number[] = [];
    for (let i = 0; i < RUNS; i++) sorts.push(await untilFirstRow(page, i % 2 === 0 ? ascFirst : descFirst, { sortHeader: 'Endpoint A' }));
    const dir = RUNS % 2 === 1 ? 'asc' : 'desc';

    // Filter: the A endpoint's port of a flow in the middle (`:12345`), and back to no filter, taking turns.
    const middle = await api<{ flows: Array<{ aPort: number | null }> }>(serve, `/api/flows?scope=all&limit=1&offset=${Math.floor(flows / 2)}&sort=a&dir=${dir}`);
    const text = `:${middle.flows[0]?.aPort ?? 0}`;
    const filteredFirst = await firstId(serve, `sort=a&dir=${dir}&text=${encodeURIComponent(text)}`);
    const unfilteredFirst = await firstId(serve, `sort=a&dir=${dir}`);
    if (filteredFirst === unfilteredFirst) throw new Error(`the filter ${text} keeps the first flow: no filter change to see`);
    const filters: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      filters.push(await untilFirstRow(page, filteredFirst, { filterText: text }));
      await untilFirstRow(page, unfilteredFirst, { filterText: '' });
    }
    await context.close();
    return {
      source: capture ?? `history of ${flows} finished flows`,
      flows,
      setupSeconds: Math.round(setupSeconds),
      serveRssMB: rssMB(serve.child.pid ?? 0),
      firstRowsMs: summary(firstRows),
      pageLoadToRowsMs: summary(pageLoad),
      scroll,
      jumpToMiddleMs: summary(jumps),
      sortChangeMs: summary(sorts),
      filterChangeMs: summary(filters),
      targets: 'first rows < 1000 ms, scroll p95 < 16 ms of main-thread work a frame, sort and filter < 300 ms',
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    };
  } finally {
    await browser.close();
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatFlowsView(r: FlowsViewBench): string[] {
  const s = (x: { median: number; runs: number[] }) => `${x.median} ms median (${x.runs.join(', ')})`;
  const w = r.scroll.work;
  return [
    `flows view in Chromium, ${r.flows} flows held (${path.basename(r.source)}, ready after ${r.setupSeconds} s, serve RSS ${r.serveRssMB} MB, load ${r.loadAverage.join(' ')}):`,
    `  first rows after clicking Flows: ${s(r.firstRowsMs)}; page load to rows ${s(r.pageLoadToRowsMs)}`,
    `  wheel scrolling, main-thread CPU time per frame (the target): p50 ${w.p50Ms} ms, p95 ${w.p95Ms} ms, max ${w.maxMs} ms; ${w.over16Ms} of ${w.frames} frames over 16.7 ms`,
    `  wheel scrolling, main-thread wall time per frame (with the waits for a core): p50 ${w.wall.p50Ms} ms, p95 ${w.wall.p95Ms} ms, max ${w.wall.maxMs} ms`,
    `  wheel scrolling, where a frame's time went (own wall ms, mean / in the slowest 5 % of frames): ${w.slices.map((x) => `${x.name} ${x.meanMs}/${x.slowMs}`).join(', ')}`,
    `  wheel scrolling, frame intervals (paced by the display): ${r.scroll.frames} frames, p50 ${r.scroll.p50Ms} ms, p95 ${r.scroll.p95Ms} ms, max ${r.scroll.maxMs} ms; ${r.scroll.lateFrames} late; ${r.scroll.blankFrames} frames with no row in the middle; reached row ${r.scroll.rowReached}`,
    `  jump to the middle: ${s(r.jumpToMiddleMs)}`,
    `  sort change to new first row: ${s(r.sortChangeMs)}`,
    `  filter change to new first row: ${s(r.filterChangeMs)}`,
    `  targets: ${r.targets}`,
  ];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const history = args.indexOf('--history');
  // --cpu-profile FILE: one more wheel pass under the profiler, saved to FILE; --trace FILE: the measured pass's trace.
  const profile = args.indexOf('--cpu-profile');
  const trace = args.indexOf('--trace');
  const capture = args.find((a, i) => !a.startsWith('--') && i !== history + 1 && i !== profile + 1 && i !== trace + 1) ?? DEFAULT_CAPTURE;
  const options = {
    ...(profile >= 0 ? { cpuProfile: path.resolve(args[profile + 1]) } : {}),
    ...(trace >= 0 ? { trace: path.resolve(args[trace + 1]) } : {}),
  };
  const result = await runFlowsViewBench(history >= 0 ? { history: Number(args[history + 1]) } : { capture: path.resolve(capture) }, options);
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const text = `${formatFlowsView(result).join('\n')}\n`;
  const resultsDir = path.join(repo, 'bench-results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(resultsDir, `flows-view-${stamp}.json`), `${JSON.stringify({ flowsView: result }, null, 2)}\n`);
  process.stdout.write(text);
  process.stdout.write(`saved bench-results/flows-view-${stamp}.json\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`flows view bench: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
