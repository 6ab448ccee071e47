/** Main's side of the flow deltas: a second comes in parts; the views and the alerts hear of it once it is whole. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventMap, FlowRow } from '../../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload } from '../../../src-main/api/contract';
import type { FlowSummary } from '../../../src-main/api/types/flows';
import { FlowSync } from '../../../src-main/core/flow-sync';
import type { HelperPort } from '../../../src-main/core/helper-port';
import { createLogger } from '../../../src-main/core/log';

const T0 = 1_700_000_000;

function row(id: number, packets: number): FlowRow {
  return {
    id, iface: 'eth0', proto: 'udp', ipProto: 17, a: '10.0.0.1', portA: 1024 + id, b: '192.0.2.1', portB: 53, vlan: -1,
    packetsAB: packets, bytesAB: packets * 100, packetsBA: 0, bytesBA: 0, firstSeen: T0, lastSeen: T0 + packets, state: 'active',
    tcpFlags: 0, active: true,
  };
}

function part(second: number, ids: number[], more: boolean, extra: Partial<EventMap['flowDeltas']> = {}): EventMap['flowDeltas'] {
  return { second, updated: ids.map((id) => row(id, second - T0 + 1)), ended: [], omitted: 0, ...(more ? { more } : {}), ...extra };
}

function makeSync(helper: HelperPort | null = null): { sync: FlowSync; deltas: EventPayload<'flows.delta'>[]; flushes: () => number } {
  const deltas: EventPayload<'flows.delta'>[] = [];
  let flushes = 0;
  const sync = new FlowSync({
    maxFlows: 10_000,
    log: createLogger({ level: 'fatal' }),
    now: () => 0,
    helper: () => helper,
    currentSession: () => 's',
    running: () => true,
    emit: <E extends EventChannel>(channel: E, payload: EventPayload<E>) => {
      if (channel === 'flows.delta') deltas.push(payload as EventPayload<'flows.delta'>);
    },
    withGeo: (f) => f,
    flushAlerts: () => void flushes++,
    writeFinished: () => undefined,
    historyWriteFailed: () => undefined,
  });
  return { sync, deltas, flushes: () => flushes };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('flow sync', () => {
  it('takes every part of a second into the book, and tells the views and the alerts once the last is in', () => {
    const { sync, deltas, flushes } = makeSync();
    sync.onFlowDeltas(part(T0, range(0, 1000), true, { ended: [{ ...row(5000, 1), active: false, state: 'closed' }] }), 's');
    sync.onFlowDeltas(part(T0, range(1000, 1000), true), 's');
    expect(deltas).toEqual([]);
    expect(flushes()).toBe(0);
    sync.onFlowDeltas(part(T0, range(2000, 500), false), 's');
    expect(deltas).toEqual([{ captureId: 's', tsMs: T0 * 1000, updated: 2500, finished: 1, omitted: 0 }]);
    expect(flushes()).toBe(1);
    expect(sync.flows.size).toBe(2500);
    expect(sync.deltaOmittedFlows).toBe(0);
  });

  it('closes a second whose last part never came when a later second begins, and when the capture ends', () => {
    const { sync, deltas, flushes } = makeSync();
    sync.onFlowDeltas(part(T0, range(0, 1000), true), 's');
    sync.onFlowDeltas(part(T0 + 1, range(0, 1000), true), 's');
    expect(deltas.map((d) => [d.tsMs, d.updated])).toEqual([[T0 * 1000, 1000]]);
    expect(flushes()).toBe(1);
    expect(sync.flows.get('s:0')?.aToB.packets).toBe(2);
    sync.stopSync();
    expect(deltas.map((d) => [d.tsMs, d.updated])).toEqual([[T0 * 1000, 1000], [(T0 + 1) * 1000, 1000]]);
    expect(flushes()).toBe(2);
  });

  it('shows the flows beyond the book while they run, and counts as dropped only those still active at the end', () => {
    const { sync } = makeSync();
    sync.onHelperActiveFlows(12_500);
    expect(sync.flowsBeyondBook).toBe(2500);
    expect(sync.droppedFlows).toBe(0);
    // Flows end and room frees up: fewer beyond the book, and nothing was lost (their ends are logged).
    sync.onHelperActiveFlows(10_400);
    expect(sync.flowsBeyondBook).toBe(400);
    expect(sync.droppedFlows).toBe(0);
    sync.stopSync();
    expect(sync.flowsBeyondBook).toBe(0);
    expect(sync.droppedFlows).toBe(400);
    // A drop count only grows: the next capture starts from what the last one lost.
    sync.onHelperActiveFlows(10_001);
    sync.stopSync();
    expect(sync.droppedFlows).toBe(401);
  });

  it('asks nothing of a port with no flow table (probes on the bus) and keeps the flows it holds', async () => {
    const requests: unknown[] = [];
    const helper = { listsFlows: false, request: async (...args: unknown[]) => (requests.push(args), { total: 0, offset: 0, flows: [] }) } as unknown as HelperPort;
    const { sync } = makeSync(helper);
    sync.onFlowDeltas(part(T0, range(0, 1000), false, { omitted: 500 }), 's');
    await sync.catchUpFlows('s', true);
    expect(requests).toEqual([]);
    expect(sync.flows.size).toBe(1000);
    expect(sync.deltaOmittedFlows).toBe(500);
  });

  it('applies nothing of a catch-up still in flight when the capture ends: its flows went to the log once', async () => {
    let answer: (page: unknown) => void = () => undefined;
    const helper = { request: async () => new Promise((resolve) => (answer = resolve)) } as unknown as HelperPort;
    const { sync } = makeSync(helper);
    // The helper left 500 flows out of this second: main catches up from its table.
    sync.onFlowDeltas(part(T0, range(0, 1000), false, { omitted: 500 }), 's');
    const catchUp = sync.catchUpFlows('s');
    // The capture ends while the helper's page is on its way.
    sync.stopSync();
    sync.endAll();
    expect(sync.flows.size).toBe(0);
    answer({ total: 1500, offset: 0, flows: range(0, 1500).map((id) => row(id, 1)) });
    await catchUp;
    expect(sync.flows.size).toBe(0);
  });
});

/**
 * A model of the helper's side: a flow table that traffic changes, deltas of at most `deltaLimit` changed flows (the
 * rest counted as omitted), parts that may be dropped for a slow reader (then a drop notice), and `flows` pages that
 * are read when the helper serves them and reach main later, possibly after deltas sent after them.
 */
class ModelHelper {
  readonly table = new Map<number, FlowRow>();
  readonly everEnded = new Set<number>();
  /** Ended flows whose end reached main in a delta. */
  readonly endHeard = new Set<number>();
  readonly finalRows = new Map<number, FlowRow>();
  /** The newest count of each flow main was sent in a delta. */
  readonly sentPackets = new Map<number, number>();
  private changed = new Set<number>();
  private endedPending: FlowRow[] = [];
  private nextId = 0;
  private readonly waiting: { afterId?: number; ids?: number[]; limit: number; resolve: (page: unknown) => void }[] = [];
  private readonly served: { page: unknown; resolve: (page: unknown) => void }[] = [];
  /** Serves and answers every request at once (a capture's end, when the model stops interleaving). */
  prompt = false;
  readonly port = {
    request: async (_method: string, params: { afterId?: number; ids?: number[]; limit: number }) => new Promise((resolve) => {
      this.waiting.push({ ...params, resolve });
      if (this.prompt && this.serve()) this.deliver();
    }),
  } as unknown as HelperPort;

  constructor(private readonly sync: FlowSync, private readonly deltaLimit: number) {}

  traffic(newFlows: number, touch: number[]): void {
    for (let i = 0; i < newFlows; i++) {
      const id = this.nextId++;
      this.table.set(id, row(id, 1));
      this.changed.add(id);
    }
    const ids = [...this.table.keys()];
    for (const pick of touch) {
      if (ids.length === 0) break;
      const r = this.table.get(ids[pick % ids.length])!;
      this.table.set(r.id, { ...r, packetsAB: r.packetsAB + 1, bytesAB: r.bytesAB + 100, lastSeen: r.lastSeen + 1 });
      this.changed.add(r.id);
    }
  }

  end(picks: number[]): void {
    const ids = [...this.table.keys()];
    for (const pick of picks) {
      const id = ids[pick % Math.max(1, ids.length)];
      const r = this.table.get(id);
      if (r === undefined) continue;
      this.table.delete(id);
      this.changed.delete(id);
      this.everEnded.add(id);
      this.endedPending.push({ ...r, active: false, state: 'closed' });
      this.finalRows.set(id, r);
    }
  }

  /** Sends the delta of `second`; a dropped one reaches main only as a drop notice. */
  delta(second: number, dropped: boolean): void {
    const ids = [...this.changed];
    const updated = ids.slice(0, this.deltaLimit).map((id) => ({ ...this.table.get(id)! }));
    const d: EventMap['flowDeltas'] = { second, updated, ended: this.endedPending, omitted: Math.max(0, ids.length - this.deltaLimit) };
    this.changed = new Set();
    this.endedPending = [];
    if (dropped) return this.sync.onEventsDropped();
    for (const r of d.ended) this.endHeard.add(r.id);
    for (const r of d.updated) this.sentPackets.set(r.id, r.packetsAB);
    this.sync.onFlowDeltas(d, 's');
  }

  /** Reads the oldest waiting request's page from the table as it is now. */
  serve(): boolean {
    const req = this.waiting.shift();
    if (req === undefined) return false;
    const rows = req.ids !== undefined
      ? req.ids.flatMap((id) => this.table.get(id) ?? [])
      : [...this.table.values()].sort((x, y) => x.id - y.id).filter((r) => req.afterId === undefined || r.id > req.afterId);
    const total = req.ids !== undefined ? rows.length : this.table.size;
    this.served.push({ page: { total, offset: 0, flows: rows.slice(0, req.limit).map((r) => ({ ...r })) }, resolve: req.resolve });
    return true;
  }

  /** Main receives the oldest served page; what the helper sent after it is handled before the page's continuation. */
  deliver(then?: () => void): boolean {
    const s = this.served.shift();
    if (s === undefined) return false;
    s.resolve(s.page);
    then?.();
    return true;
  }
}

type Step =
  | { kind: 'traffic'; newFlows: number; touch: number[] }
  | { kind: 'end'; picks: number[] }
  | { kind: 'delta'; dropped: boolean }
  | { kind: 'serve' }
  | { kind: 'deliver'; deltaFirst: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('traffic' as const), newFlows: fc.nat(12), touch: fc.array(fc.nat(), { maxLength: 8 }) }),
  fc.record({ kind: fc.constant('end' as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delta' as const), dropped: fc.boolean() }),
  fc.record({ kind: fc.constant('serve' as const) }),
  fc.record({ kind: fc.constant('deliver' as const), deltaFirst: fc.boolean() }),
);

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Runs the steps, then ends the capture as the core does: last delta, last catch-up, every flow to the log. */
async function runModel(
  steps: Step[],
  bound: number,
  afterSteps?: (sync: FlowSync) => void,
): Promise<{ helper: ModelHelper; held: Map<string, FlowSummary>; logged: FlowSummary[]; sync: FlowSync }> {
  let clock = 0;
  let running = true;
  const logged: FlowSummary[] = [];
  let helper: ModelHelper | null = null;
  const sync = new FlowSync({
    maxFlows: bound, log: createLogger({ level: 'fatal' }), now: () => clock, helper: () => helper?.port ?? null,
    currentSession: () => 's', running: () => running, emit: () => undefined, withGeo: (f) => f, flushAlerts: () => undefined,
    writeFinished: (rows) => void logged.push(...rows), historyWriteFailed: () => undefined,
    // Pages of 3 flows: catch-ups list the table in several pages, and a full book asks for its flows by id, one
    // at a time while the capture runs.
    pageSize: 3,
    refreshedWhileRunning: 1,
  });
  helper = new ModelHelper(sync, 5);
  let second = T0;
  for (const step of steps) {
    // Every step is two seconds later: a catch-up held back by the interval runs.
    clock += 2000;
    vi.advanceTimersByTime(2000);
    if (step.kind === 'traffic') helper.traffic(step.newFlows, step.touch);
    else if (step.kind === 'end') helper.end(step.picks);
    else if (step.kind === 'delta') helper.delta(second++, step.dropped);
    else if (step.kind === 'serve') helper.serve();
    else helper.deliver(step.deltaFirst ? () => helper.delta(second++, false) : undefined);
    sync.onHelperActiveFlows(helper.table.size);
    await settle();
    // A flow's counts never go back: a page read before a delta does not undo it.
    for (const f of sync.flows.activeFlows()) expect(f.aToB.packets).toBeGreaterThanOrEqual(helper.sentPackets.get(Number(f.id.slice(2))) ?? 0);
  }
  afterSteps?.(sync);
  // The capture ends: the helper's last delta, its pages answered at once from now on, the core's last catch-up.
  running = false;
  helper.prompt = true;
  while (helper.serve() || helper.deliver()) await settle();
  helper.delta(second, false);
  await settle();
  await sync.catchUpFlows('s', true);
  const held = new Map([...sync.flows.activeFlows()].map((f) => [f.id, f]));
  sync.stopSync();
  sync.endAll();
  await sync.flowLog.drained();
  return { helper, held, logged, sync };
}

/** A flow reaches the log when the helper ended it, or with the capture's end: none is taken for gone while active. */
function expectLoggedOnlyWhenOver(helper: ModelHelper, held: Map<string, FlowSummary>, logged: FlowSummary[]): void {
  for (const f of logged) expect(helper.everEnded.has(Number(f.id.slice(2))) || held.has(f.id), f.id).toBe(true);
}

describe('flow sync catching up while deltas flow', () => {
  // The catch-ups a step's interval allows run as the model's clock moves on.
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('ends with the helper\'s flows, each logged once with its last counts, whatever the interleaving', async () => {
    await fc.assert(fc.asyncProperty(fc.array(stepArb, { maxLength: 60 }), async (steps) => {
      const { helper, held, logged } = await runModel(steps, 10_000);
      // No flow that ended in the helper is held by the book at the end.
      for (const id of held.keys()) expect(helper.everEnded.has(Number(id.slice(2)))).toBe(false);
      // The book holds the helper's table, with its counts.
      expect([...held.keys()].sort()).toEqual([...helper.table.keys()].map((id) => `s:${id}`).sort());
      for (const [id, r] of helper.table) expect(held.get(`s:${id}`)?.aToB.packets).toBe(r.packetsAB);
      // Each flow reaches the log at most once: no bytes counted twice.
      const ids = logged.map((f) => f.id);
      expect(new Set(ids).size).toBe(ids.length);
      expectLoggedOnlyWhenOver(helper, held, logged);
      for (const f of logged) expect(f.active).toBe(false);
      // A flow whose end main heard is logged with its final counts.
      for (const f of logged) {
        const id = Number(f.id.slice(2));
        if (helper.endHeard.has(id)) expect(f.aToB.packets).toBe(helper.finalRows.get(id)?.packetsAB);
      }
    }), { numRuns: 300 });
  });

  it('counts the flows a bounded book could not hold once each, however many catch-ups ran', async () => {
    await fc.assert(fc.asyncProperty(fc.array(stepArb, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), async (steps, bound) => {
      const { helper, held, logged, sync } = await runModel(steps, bound);
      expect(held.size).toBe(Math.min(bound, helper.table.size));
      // A full book asks for the flows it holds by id: each is still in the helper's table, with its last counts.
      for (const [id, f] of held) expect(f.aToB.packets).toBe(helper.table.get(Number(id.slice(2)))?.packetsAB);
      expect(sync.droppedFlows).toBe(Math.max(0, helper.table.size - bound));
      const ids = logged.map((f) => f.id);
      expect(new Set(ids).size).toBe(ids.length);
      expectLoggedOnlyWhenOver(helper, held, logged);
    }), { numRuns: 300 });
  });

  it('takes in a flow it turned away once a full book has room again', async () => {
    // Flow 1 is turned away by a book of one; flow 0's end frees the room.
    const freed = await runModel([{ kind: 'traffic', newFlows: 2, touch: [] }, { kind: 'delta', dropped: false }, { kind: 'end', picks: [0] }], 1);
    expect([...freed.held.keys()]).toEqual(['s:1']);
    expect(freed.sync.droppedFlows).toBe(0);
    // Flow 0's end is lost and flow 1 arrives unseen: the catch-up finds flow 0 gone after turning flow 1 away.
    const gone = await runModel([
      { kind: 'delta', dropped: true }, { kind: 'traffic', newFlows: 1, touch: [] }, { kind: 'serve' },
      { kind: 'end', picks: [0] }, { kind: 'traffic', newFlows: 1, touch: [] }, { kind: 'delta', dropped: true },
    ], 1);
    expect([...gone.held.keys()]).toEqual(['s:1']);
    expect(gone.logged.map((f) => f.id).sort()).toEqual(['s:0', 's:1']);
  });

  it('finishes at the capture\'s end a refresh of the book that a running catch-up cut short', async () => {
    // Flows 0-4 fill a book of five. Flow 4 changes in a second whose delta leaves it out; the catch-up that follows
    // lists flows 0-2 and asks for one held flow more (3), not for flow 4. Nothing is left out after that.
    const { helper, held } = await runModel([
      { kind: 'traffic', newFlows: 5, touch: [] }, { kind: 'delta', dropped: false },
      { kind: 'traffic', newFlows: 5, touch: [4] }, { kind: 'delta', dropped: false },
      { kind: 'serve' }, { kind: 'deliver', deltaFirst: false }, { kind: 'serve' }, { kind: 'deliver', deltaFirst: false },
    ], 5);
    expect(helper.table.get(4)?.packetsAB).toBe(2);
    expect(held.get('s:4')?.aToB.packets).toBe(2);
  });

  it('takes a flow whose end was lost out of a full book when a running catch-up asks for it by id', async () => {
    // Flow 3's end is dropped; the catch-up lists flows 0-2 and asks for flow 3, which the helper no longer holds.
    await runModel([
      { kind: 'traffic', newFlows: 5, touch: [] }, { kind: 'delta', dropped: false }, { kind: 'end', picks: [3] },
      { kind: 'delta', dropped: true }, { kind: 'serve' }, { kind: 'deliver', deltaFirst: false }, { kind: 'serve' }, { kind: 'deliver', deltaFirst: false },
    ], 5, (sync) => {
      expect(sync.flows.get('s:3')).toBeUndefined();
      expect(sync.flows.get('s:4')).toBeDefined();
    });
  });

  it('catches up at the end of a capture when the part of its last second was dropped', async () => {
    const { helper, held } = await runModel([{ kind: 'traffic', newFlows: 3, touch: [] }, { kind: 'delta', dropped: true }], 10_000);
    expect(helper.table.size).toBe(3);
    expect([...held.keys()].sort()).toEqual(['s:0', 's:1', 's:2']);
  });
});
