/**
 * What each frame costs the page's main thread, read from Chromium's own trace (CDP `Tracing`), and where that time
 * goes (CDP `Profiler`). The gaps between requestAnimationFrame callbacks cannot show it: they are paced by the
 * display (16.7 ms at 60 Hz), so a page that needs 2 ms a frame and one that needs 15 ms both read 16.7 ms, and a
 * longer gap only says that some frame missed its turn. The trace gives, for every frame the renderer began
 * (`BeginMainThreadFrame`), the time the main thread spent running tasks until the next one: input and scroll
 * events, React's rendering, style, layout, paint and the answers of the server that arrived in between.
 */
import type { CDPSession, Page } from 'playwright-core';

/** One trace event as Chromium reports it (the fields read here). */
export interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  /** Microseconds. */
  ts: number;
  dur?: number;
  /** Microseconds the thread ran (its CPU time) during the event. */
  tdur?: number;
  args?: { name?: string };
}

export interface FrameWork {
  /** Frames the renderer began while the trace ran (the first and last, which the trace cuts, left out). */
  frames: number;
  /** Main-thread CPU milliseconds per frame: the work, whatever else the machine runs (the scroll target reads it). */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Frames whose main-thread work did not fit in one 16.7 ms frame. */
  over16Ms: number;
  /** The same tasks' wall-clock milliseconds per frame: the work plus the time the thread waited for a core (on a
   *  loaded machine, much more than the work). */
  wall: { p50Ms: number; p95Ms: number; maxMs: number };
  /** Where the frames' time went, the largest first: each traced step's own wall time (its nested steps' left out)
   *  by name (`Layout`, `Paint`, `FunctionCall`, ...), per frame on average and in the slowest twentieth of frames
   *  (by work: what the p95 reads). `ThreadControllerImpl::RunTask` is a task's time outside any traced step. */
  slices: Array<{ name: string; meanMs: number; slowMs: number }>;
}

const MAIN_THREAD = 'CrRendererMain';
const FRAME_START = 'BeginMainThreadFrame';
const TASK = 'ThreadControllerImpl::RunTask';
const CATEGORIES = ['__metadata', 'toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline.frame'];

const quantile = (sorted: number[], p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Main-thread work per frame from a trace: for each frame, the union of the renderer main thread's task spans that
 * start between its `BeginMainThreadFrame` and the next. The renderer is the one whose main thread began the most
 * frames (other renderers, such as a blank page's, draw nothing while the view scrolls).
 */
export function frameWork(events: readonly TraceEvent[]): FrameWork {
  const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === MAIN_THREAD).map((e) => `${e.pid}:${e.tid}`));
  const startsBy = new Map<string, number[]>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    if (e.name !== FRAME_START || !mainThreads.has(thread)) continue;
    const list = startsBy.get(thread) ?? [];
    list.push(e.ts);
    startsBy.set(thread, list);
  }
  let thread = '';
  let starts: number[] = [];
  for (const [t, list] of startsBy) if (list.length > starts.length) [thread, starts] = [t, list];
  starts.sort((a, b) => a - b);
  const tasks = events
    .filter((e) => e.ph === 'X' && e.name === TASK && e.dur !== undefined && `${e.pid}:${e.tid}` === thread)
    .map((e) => ({ start: e.ts, end: e.ts + (e.dur ?? 0), cpu: e.tdur ?? e.dur ?? 0 }))
    .sort((a, b) => a.start - b.start);
  const cpuPerFrame: number[] = [];
  const wallPerFrame: number[] = [];
  const ownByFrame = stepTimeByFrame(events, thread, starts);
  let k = 0;
  for (let i = 1; i + 1 < starts.length; i++) {
    const [from, to] = [starts[i], starts[i + 1]];
    while (k < tasks.length && tasks[k].start < from) k++;
    // A task run inside another (a nested loop) is in the outer one's time already.
    let wall = 0;
    let cpu = 0;
    let coveredTo = from;
    for (let j = k; j < tasks.length && tasks[j].start < to; j++) {
      if (tasks[j].end <= coveredTo) continue;
      wall += tasks[j].end - Math.max(tasks[j].start, coveredTo);
      cpu += tasks[j].cpu;
      coveredTo = tasks[j].end;
    }
    cpuPerFrame.push(cpu / 1000);
    wallPerFrame.push(wall / 1000);
  }
  const figures = (perFrame: number[]) => {
    const sorted = [...perFrame].sort((a, b) => a - b);
    return { p50Ms: round1(quantile(sorted, 0.5)), p95Ms: round1(quantile(sorted, 0.95)), maxMs: round1(sorted.length === 0 ? 0 : sorted[sorted.length - 1]) };
  };
  // Frames are numbered from the second start (the first, which the trace cuts, is left out).
  const slowest = cpuPerFrame
    .map((cpu, i) => ({ cpu, frame: i + 1 }))
    .sort((a, b) => b.cpu - a.cpu)
    .slice(0, Math.max(1, Math.ceil(cpuPerFrame.length / 20)));
  const sumOf = (frames: number[]): Map<string, number> => {
    const sum = new Map<string, number>();
    for (const f of frames) for (const [name, us] of ownByFrame.get(f) ?? []) sum.set(name, (sum.get(name) ?? 0) + us);
    return sum;
  };
  const all = sumOf(cpuPerFrame.map((_, i) => i + 1));
  const slow = sumOf(slowest.map((x) => x.frame));
  const slices = [...all.entries()]
    .map(([name, us]) => ({ name, meanMs: us / 1000 / Math.max(1, cpuPerFrame.length), slowMs: (slow.get(name) ?? 0) / 1000 / slowest.length }))
    .sort((a, b) => b.meanMs - a.meanMs)
    .slice(0, SLICES)
    .map((x) => ({ name: x.name, meanMs: Math.round(x.meanMs * 100) / 100, slowMs: Math.round(x.slowMs * 100) / 100 }));
  return { frames: cpuPerFrame.length, ...figures(cpuPerFrame), over16Ms: cpuPerFrame.filter((x) => x > 1000 / 60).length, wall: figures(wallPerFrame), slices };
}

/** Steps listed in `slices`. */
const SLICES = 12;

/**
 * Each complete step's own wall time (microseconds, its nested steps' time taken out) on one thread, by frame and
 * name: the frame of the outermost step holding it (its task), as `frameWork` counts tasks (a frame's own drawing
 * task starts just before its `BeginMainThreadFrame`, so is counted with the frame before).
 */
function stepTimeByFrame(events: readonly TraceEvent[], thread: string, starts: readonly number[]): Map<number, Map<string, number>> {
  const steps = events
    .filter((e) => e.ph === 'X' && e.dur !== undefined && `${e.pid}:${e.tid}` === thread)
    .map((e) => ({ name: e.name, start: e.ts, end: e.ts + (e.dur ?? 0), own: e.dur ?? 0 }))
    // An outer step before the steps it holds.
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const open: typeof steps = [];
  const frameOf = new Map<(typeof steps)[number], number>();
  let frame = -1;
  for (const step of steps) {
    while (open.length > 0 && open[open.length - 1].end <= step.start) open.pop();
    if (open.length > 0) open[open.length - 1].own -= step.end - step.start;
    while (frame + 1 < starts.length && starts[frame + 1] <= step.start) frame++;
    frameOf.set(step, open.length > 0 ? (frameOf.get(open[0]) ?? frame) : frame);
    open.push(step);
  }
  const byFrame = new Map<number, Map<string, number>>();
  for (const step of steps) {
    const f = frameOf.get(step) ?? -1;
    if (f < 0) continue;
    const names = byFrame.get(f) ?? new Map<string, number>();
    names.set(step.name, (names.get(step.name) ?? 0) + Math.max(0, step.own));
    byFrame.set(f, names);
  }
  return byFrame;
}

/** Starts Chromium's trace of the page's frames; `stop` ends it and gives the work per frame. */
export async function traceFrames(page: Page): Promise<{ stop: () => Promise<{ work: FrameWork; events: TraceEvent[] }> }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    for (const event of e.value) events.push(event as unknown as TraceEvent);
  });
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES }, transferMode: 'ReportEvents' });
  return {
    stop: async () => {
      const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      return { work: frameWork(events), events };
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

/** A CPU profile's self time by function, the largest first: `ms  share  function  file:line:column`. */
export function topSelfTime(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, count: number): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]);
    // A sample's time is the gap to the next one.
    const us = deltas[i + 1] ?? 0;
    if (node === undefined) continue;
    const f = node.callFrame;
    const where = f.url === '' ? '' : `${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'}  ${where}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)} %  ${key}`);
}

/** Starts the page's CPU profiler (sampling every 100 µs); `stop` gives the profile, as DevTools saves it. */
export async function profileCpu(page: Page): Promise<{ stop: () => Promise<{ nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await cdp.send('Profiler.stop');
      await cdp.detach();
      return profile;
    },
  };
}
