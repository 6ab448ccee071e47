import { describe, expect, it } from 'vitest';
import type { ApiResult, FlowPage, FlowQuery, FlowSummary } from '../../../src-renderer/transport/api-types';
import type { LoadedWindow, WindowQuery } from '../../../src-renderer/state/flow-window';
import { covers, FlowWindowLoader, idsOfQuery, keepUnchanged, LatestRequest, MAX_PAGE, queryKey, WINDOW_MARGIN, wantedRange, windowRequest } from '../../../src-renderer/state/flow-window';
import { MAX_BODY_PX, ROW_HEIGHT, scrollGeometry, scrollTopOf } from '../../../src-renderer/views/flow-table';
import { compileFlowFilter, isAfterCursor, sortFlowList } from '../../../src-shared/flow-query';
import { makeFlow } from './make-flow';

const query: WindowQuery = { scope: 'all', filter: {}, sort: { key: 'bytesAB', dir: 'desc' } };
const key = queryKey(query);
const flows: FlowSummary[] = Array.from({ length: 5000 }, (_, i) => makeFlow({ id: `s:${i}`, aToB: { bytes: (i * 7919) % 3001, packets: 1 }, bPort: i % 2 === 0 ? 443 : 80 }));

/** Main's answer to a query, over these flows with the shared definition (as main's flow book answers it). */
function serve(q: FlowQuery): ApiResult<FlowPage> {
  const sorted = sortFlowList(flows.filter(compileFlowFilter(q.filter).matches), q.sort);
  const after = q.after;
  const rest = after === undefined ? sorted : sorted.filter((f) => isAfterCursor(f, q.sort, after));
  const page = rest.slice(q.offset, q.offset + q.limit);
  const more = rest.length > q.offset + q.limit;
  return { ok: true, value: { total: sorted.length, offset: q.offset, flows: page, next: more ? { value: page[page.length - 1].aToB.bytes, id: page[page.length - 1].id } : null } };
}

const windowOf = (start: number, count: number, revision = 0): LoadedWindow => {
  const r = serve({ ...query, offset: start, limit: count });
  if (!r.ok) throw new Error('no page');
  return { key, start, flows: r.value.flows, total: r.value.total, revision };
};

describe('flow window', () => {
  it('asks for the rows in view with a margin each side, within one page and the list', () => {
    expect(wantedRange(0, 30, 5000)).toEqual({ start: 0, end: 30 + WINDOW_MARGIN });
    expect(wantedRange(1000, 1030, 5000)).toEqual({ start: 1000 - WINDOW_MARGIN, end: 1030 + WINDOW_MARGIN });
    expect(wantedRange(4990, 5000, 5000)).toEqual({ start: 4990 - WINDOW_MARGIN, end: 5000 });
    const tall = wantedRange(0, 5000, 5000);
    expect(tall.end - tall.start).toBe(MAX_PAGE);
  });

  it('keeps a window while the view is well inside it, and asks again near its edges or for another query', () => {
    const w = windowOf(850, 330);
    expect(covers(w, key, 1000, 1030)).toBe(true);
    expect(covers(w, key, 860, 890)).toBe(false);
    expect(covers(w, key, 1150, 1175)).toBe(false);
    expect(covers(w, queryKey({ ...query, sort: { key: 'rate', dir: 'desc' } }), 1000, 1030)).toBe(false);
    expect(covers(null, key, 0, 10)).toBe(false);
    // At the list's ends there is nothing more to load.
    expect(covers(windowOf(0, 180), key, 0, 30)).toBe(true);
  });

  it('continues from a loaded row (keyset) when scrolling on, and jumps by offset; both give the rows main has there', () => {
    const loaded = windowOf(850, 330);
    const on = windowRequest(query, loaded, 1100, 300);
    expect(on.after).toEqual({ value: loaded.flows[249].aToB.bytes, id: loaded.flows[249].id });
    expect(on.offset).toBe(0);
    const beyond = windowRequest(query, loaded, 1500, 300);
    expect(beyond.after?.id).toBe(loaded.flows[loaded.flows.length - 1].id);
    expect(beyond.offset).toBe(1500 - (850 + 330));
    const jump = windowRequest(query, loaded, 4500, 300);
    expect(jump.after).toBeUndefined();
    expect(jump.offset).toBe(4500);
    const back = windowRequest(query, loaded, 100, 300);
    expect(back.after).toBeUndefined();
    const truth = sortFlowList(flows, query.sort);
    for (const [q, start] of [[on, 1100], [beyond, 1500], [jump, 4500], [back, 100]] as const) {
      const r = serve(q);
      expect(r.ok && r.value.flows.map((f) => f.id)).toEqual(truth.slice(start, start + 300).map((f) => f.id));
    }
  });

  it('sends one request at a time and only the newest of those asked meanwhile', async () => {
    const sent: number[] = [];
    const done: number[] = [];
    let release: () => void = () => undefined;
    const runner = new LatestRequest<number, number>(
      (n) => {
        sent.push(n);
        return new Promise((resolve) => (release = () => resolve(n)));
      },
      (n) => done.push(n),
    );
    runner.ask(1);
    runner.ask(2);
    runner.ask(3);
    expect(sent).toEqual([1]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([1, 3]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toEqual([1, 3]);
    expect(runner.busy).toBe(false);
  });

  it('lists the ids of every flow a filter keeps page by page, up to a bound', async () => {
    const filtered: WindowQuery = { ...query, filter: { port: 443 } };
    const pages: FlowQuery[] = [];
    const fetch = async (q: FlowQuery) => {
      pages.push(q);
      return serve(q);
    };
    const all = await idsOfQuery(fetch, filtered, 100_000);
    const truth = sortFlowList(flows.filter((f) => f.bPort === 443), query.sort).map((f) => f.id);
    expect(all.ok && all.value).toEqual({ ids: truth, more: false });
    expect(pages.length).toBe(Math.ceil(truth.length / MAX_PAGE));
    expect(pages.slice(1).every((p) => p.after !== undefined && p.offset === 0)).toBe(true);
    const bounded = await idsOfQuery(fetch, filtered, 1200);
    expect(bounded.ok && bounded.value).toEqual({ ids: truth.slice(0, 1200), more: true });
  });
});

describe('flow window loader', () => {
  it('places every window it fetches where main lists its rows, however the view moves and answers lag', async () => {
    const truth = sortFlowList(flows, query.sort).map((f) => f.id);
    const states: LoadedWindow[] = [];
    const sent: FlowQuery[] = [];
    let pending: Array<() => void> = [];
    const loader = new FlowWindowLoader(
      (q) => {
        sent.push(q);
        // Answers come later, as over a socket.
        return new Promise((resolve) => pending.push(() => resolve(serve(q))));
      },
      (s) => {
        if (s.window) states.push(s.window);
      },
    );
    const settle = async () => {
      for (let i = 0; i < 50 && pending.length > 0; i++) {
        const now = pending;
        pending = [];
        for (const p of now) p();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    loader.setQuery(query, null, 0);
    await settle();
    // A wheel turning on, a jump, more wheel, a jump back; answers released at odd moments.
    let first = 0;
    const steps = [...Array.from({ length: 40 }, () => 7), 3000, ...Array.from({ length: 40 }, () => 11), -2500, ...Array.from({ length: 30 }, () => 13)];
    for (const [i, step] of steps.entries()) {
      first = Math.max(0, Math.min(4970, first + step));
      loader.setVisible(first, first + 30);
      if (i % 3 === 0) await settle();
    }
    await settle();
    expect(sent.some((q) => q.after !== undefined)).toBe(true);
    expect(sent.some((q) => q.after === undefined && q.offset > 2000)).toBe(true);
    for (const w of states) expect(w.flows.map((f) => f.id)).toEqual(truth.slice(w.start, w.start + w.flows.length));
    const last = loader.current.window;
    expect(last !== null && last.start <= first && last.start + last.flows.length >= first + 30).toBe(true);
  });
});

describe('flow window loader: the count of the unfiltered list', () => {
  it("asks for it with the filtered page, and not again while the list's count at this revision is known", async () => {
    const filtered: WindowQuery = { ...query, filter: { ports: [[443, 443]] } };
    const sent: FlowQuery[][] = [];
    let batch: FlowQuery[] = [];
    let pending: Array<() => void> = [];
    const shown: Array<{ total: number; unfilteredTotal: number | null }> = [];
    const loader = new FlowWindowLoader(
      (q) => {
        batch.push(q);
        return new Promise((resolve) => pending.push(() => resolve(serve(q))));
      },
      (s) => {
        if (s.window) shown.push({ total: s.window.total, unfilteredTotal: s.unfilteredTotal });
      },
    );
    const settle = async () => {
      for (let i = 0; i < 50 && pending.length > 0; i++) {
        // What was sent before any answer came back went together.
        if (batch.length > 0) sent.push(batch);
        batch = [];
        const now = pending;
        pending = [];
        for (const p of now) p();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    const isCount = (q: FlowQuery) => q.limit === 1 && Object.keys(q.filter).length === 0;
    // Filtered first: its page and the count of every flow leave together.
    loader.setQuery(filtered, query, 0);
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0].map(isCount)).toEqual([false, true]);
    expect(shown.at(-1)).toEqual({ total: 2500, unfilteredTotal: 5000 });
    // Cleared, then set again: the unfiltered list's count is known, so only pages are asked.
    loader.setQuery(query, null, 0);
    await settle();
    loader.setQuery(filtered, query, 0);
    await settle();
    expect(sent.slice(1).flat().filter(isCount)).toEqual([]);
    expect(shown.at(-1)).toEqual({ total: 2500, unfilteredTotal: 5000 });
    // Flows changed (a new revision): counted again.
    loader.setQuery(filtered, query, 1);
    await settle();
    expect(sent.at(-1)?.filter(isCount)).toHaveLength(1);
  });
});

describe('rows kept from one window to the next', () => {
  it('gives a row its object of the window before when its flow is the same, and the new one when anything changed', () => {
    // As they come from JSON: equal flows are different objects.
    const copy = (f: FlowSummary): FlowSummary => JSON.parse(JSON.stringify(f)) as FlowSummary;
    const before = flows.slice(0, 300);
    const after = flows.slice(200, 500).map(copy);
    after[0] = { ...after[0], aToB: { ...after[0].aToB, bytes: after[0].aToB.bytes + 1 } };
    after[1] = { ...after[1], names: { ...after[1].names, sni: 'changed.example' } };
    after[2] = { ...after[2], app: { label: 'curl', pid: 1, name: 'curl', exe: null, uid: 0, user: null, system: false } };
    const kept = keepUnchanged(before, after);
    expect(kept.map((f) => f.id)).toEqual(after.map((f) => f.id));
    expect(kept.slice(0, 3)).toEqual(after.slice(0, 3));
    for (let i = 0; i < 3; i++) expect(kept[i]).toBe(after[i]);
    for (let i = 3; i < 100; i++) expect(kept[i]).toBe(before[200 + i]);
    // Rows the window before did not hold are the new ones.
    for (let i = 100; i < 300; i++) expect(kept[i]).toBe(after[i]);
  });
});

describe('flow table scroll geometry', () => {
  it('maps scroll offsets 1:1 while the body fits, and onto every row of a longer list', () => {
    const view = 600;
    expect(scrollGeometry(1000, 2800, view)).toMatchObject({ bodyHeight: 28_000, first: 100, last: 100 + Math.ceil(view / ROW_HEIGHT) });
    const million = 1_000_000;
    const top = scrollGeometry(million, 0, view);
    expect(top.bodyHeight).toBe(MAX_BODY_PX);
    expect(top.first).toBe(0);
    const bottom = scrollGeometry(million, MAX_BODY_PX - view, view);
    expect(bottom.last).toBe(million);
    for (const index of [0, 1234, 500_000, million - 30]) {
      const g = scrollGeometry(million, scrollTopOf(million, index, view), view);
      expect(Math.abs(g.first - index)).toBeLessThanOrEqual(1);
    }
  });
});
