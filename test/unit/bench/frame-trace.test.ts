import { describe, expect, it } from 'vitest';
import { frameWork, topSelfTime } from '../../../bench/frame-trace';
import type { TraceEvent } from '../../../bench/frame-trace';

const thread = (pid: number, tid: number, name: string): TraceEvent => ({ name: 'thread_name', cat: '__metadata', ph: 'M', pid, tid, ts: 0, args: { name } });
const frame = (pid: number, ts: number): TraceEvent => ({ name: 'BeginMainThreadFrame', cat: 'disabled-by-default-devtools.timeline.frame', ph: 'I', pid, tid: pid, ts });
const task = (pid: number, tid: number, ts: number, dur: number, tdur: number): TraceEvent => ({ name: 'ThreadControllerImpl::RunTask', cat: 'toplevel', ph: 'X', pid, tid, ts, dur, tdur });

describe('frameWork: main-thread time per frame from a Chromium trace', () => {
  it("sums each frame's tasks on the renderer that drew, counting a nested task once", () => {
    const events: TraceEvent[] = [
      thread(1, 1, 'CrRendererMain'),
      thread(1, 7, 'Compositor'),
      thread(2, 2, 'CrRendererMain'),
      // Renderer 1 begins frames every 16.7 ms; renderer 2 (a blank page) began one.
      ...[0, 16_700, 33_400, 50_100, 66_800].map((ts) => frame(1, ts)),
      frame(2, 20_000),
      // Frame [16.7, 33.4): 4 ms wall (3 ms CPU) and 2 ms wall (2 ms CPU), plus a task nested in the first.
      task(1, 1, 17_000, 4_000, 3_000),
      task(1, 1, 18_000, 1_000, 1_000),
      task(1, 1, 25_000, 2_000, 2_000),
      // Frame [33.4, 50.1): 20 ms wall, of which 12 ms on a core: it spills into the next frame, counted where it began.
      task(1, 1, 34_000, 20_000, 12_000),
      // Not the renderer's main thread, or not the renderer that drew: left out.
      task(1, 7, 17_000, 9_000, 9_000),
      task(2, 2, 20_000, 9_000, 9_000),
    ];
    const w = frameWork(events);
    // The first and last frame starts bound three whole frames: [16.7, 33.4), [33.4, 50.1) and [50.1, 66.8).
    expect(w.frames).toBe(3);
    expect(w.p50Ms).toBe(5);
    expect(w.maxMs).toBe(12);
    expect(w.over16Ms).toBe(0);
    expect(w.wall.maxMs).toBe(20);
    expect(w.wall.p50Ms).toBe(6);
  });

  it("gives each step's own time by name, per frame and in the slowest frames", () => {
    const step = (name: string, ts: number, dur: number): TraceEvent => ({ name, cat: 'devtools.timeline', ph: 'X', pid: 1, tid: 1, ts, dur, tdur: dur });
    const events: TraceEvent[] = [
      thread(1, 1, 'CrRendererMain'),
      ...[0, 16_700, 33_400, 50_100].map((ts) => frame(1, ts)),
      // Frame [16.7, 33.4): a 12 ms task holding a 6 ms script run, which holds a 2 ms layout it forced.
      task(1, 1, 17_000, 12_000, 12_000),
      step('FunctionCall', 17_500, 6_000),
      step('Layout', 18_000, 2_000),
      // Frame [33.4, 50.1): a 3 ms task, all of it paint.
      task(1, 1, 34_000, 3_000, 3_000),
      step('Paint', 34_000, 3_000),
    ];
    const { slices } = frameWork(events);
    const of = (name: string) => slices.find((x) => x.name === name);
    // Two frames; the slowest twentieth of two is the first one alone.
    expect(of('FunctionCall')).toEqual({ name: 'FunctionCall', meanMs: 2, slowMs: 4 });
    expect(of('Layout')).toEqual({ name: 'Layout', meanMs: 1, slowMs: 2 });
    expect(of('Paint')).toEqual({ name: 'Paint', meanMs: 1.5, slowMs: 0 });
    // The task's own time: outside any traced step.
    expect(of('ThreadControllerImpl::RunTask')).toEqual({ name: 'ThreadControllerImpl::RunTask', meanMs: 3, slowMs: 6 });
    expect(slices.map((x) => x.name)).toEqual(['ThreadControllerImpl::RunTask', 'FunctionCall', 'Paint', 'Layout']);
  });

  it('reads an empty or frameless trace as no frames', () => {
    expect(frameWork([]).frames).toBe(0);
    expect(frameWork([thread(1, 1, 'CrRendererMain'), task(1, 1, 0, 5_000, 5_000)]).frames).toBe(0);
  });
});

describe('topSelfTime: where a CPU profile spent its time', () => {
  it('adds up the time to the next sample under each function, the largest first', () => {
    const at = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url, lineNumber: 9, columnNumber: 0 } });
    const profile = { nodes: [at(1, '(idle)'), at(2, 'cell', 'http://x/assets/index.js'), at(3, '')], samples: [2, 2, 3, 1], timeDeltas: [0, 1_000, 3_000, 500] };
    const lines = topSelfTime(profile, 2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\s+4\.0 ms\s+88\.9 %\s+cell {2}index\.js:10:1$/);
    expect(lines[1]).toMatch(/^\s+0\.5 ms\s+11\.1 %\s+\(anonymous\)/);
  });
});
