import type { ApiResult, FlowFilter, FlowPage, FlowQuery, FlowSummary } from '../transport/api-types';
import { BoundedMap } from '../../src-shared/bounded-map';
import { cursorOf } from '../../src-shared/flow-query';
import type { FlowSort as ApiFlowSort } from '../../src-shared/flow-query';

/**
 * The Flows view holds only the rows in view plus a margin: it asks main for sorted, filtered windows of the flow
 * list (`flows.query`) as the person scrolls, filters and sorts, and refreshes the window as flows change. These are
 * the pure rules of which rows to ask for and how; `LatestRequest` keeps one request in flight, the newest winning.
 */

/** Rows fetched beyond each edge of the visible ones, so a wheel turn shows loaded rows. */
export const WINDOW_MARGIN = 150;
/** The window is fetched again when the visible rows come this close to a loaded edge. */
export const WINDOW_EDGE = 40;
/** Main serves at most this many rows a request. */
export const MAX_PAGE = 1000;
/** A jump forward within this many rows past the loaded window continues from its last row (keyset), not by offset. */
const KEYSET_REACH = 2000;

/** What the window lists: scope, filter and sort (the rows' range aside). */
export interface WindowQuery {
  scope: FlowQuery['scope'];
  filter: FlowFilter;
  sort: ApiFlowSort;
}

/** A contiguous run of rows of the list, from row `start`. */
export interface LoadedWindow {
  /** The query it answers (`queryKey`): a window of another query is never shown. */
  key: string;
  start: number;
  flows: readonly FlowSummary[];
  /** Rows matching the query. */
  total: number;
  /** The flow revision it was fetched at (a newer one refreshes it). */
  revision: number;
}

export const queryKey = (q: WindowQuery): string => JSON.stringify([q.scope, q.filter, q.sort]);

/** The rows to hold for visible rows [first, last): the visible ones with the margin each side, at most a page. */
export function wantedRange(first: number, last: number, total: number): { start: number; end: number } {
  const start = Math.max(0, Math.min(first - WINDOW_MARGIN, total - 1));
  const end = Math.max(start, Math.min(total, last + WINDOW_MARGIN, start + MAX_PAGE));
  return { start, end };
}

/** Whether the loaded rows cover the visible ones with room to scroll: the window is not refetched before. */
export function covers(w: LoadedWindow | null, key: string, first: number, last: number): boolean {
  if (w === null || w.key !== key) return false;
  const end = w.start + w.flows.length;
  const lowOk = w.start === 0 || first - w.start >= WINDOW_EDGE;
  const highOk = end >= w.total || end - last >= WINDOW_EDGE;
  return first >= w.start && Math.min(last, w.total) <= end && lowOk && highOk;
}

/**
 * The request for rows [start, start + limit): a continuation from a loaded row before `start` (keyset `after`, so a
 * deep page costs main what the first does), else an offset (a jump, or the first pages).
 */
export function windowRequest(q: WindowQuery, loaded: LoadedWindow | null, start: number, limit: number): FlowQuery {
  const base = { scope: q.scope, filter: q.filter, sort: q.sort, limit: Math.max(1, Math.min(MAX_PAGE, limit)) };
  if (loaded !== null && loaded.key === queryKey(q) && start > loaded.start) {
    const last = loaded.start + loaded.flows.length - 1;
    const before = Math.min(start - 1, last);
    if (start - 1 - before <= KEYSET_REACH && before >= loaded.start) {
      return { ...base, after: cursorOf(loaded.flows[before - loaded.start], q.sort.key), offset: start - 1 - before };
    }
  }
  return { ...base, offset: start };
}

/**
 * Runs one request at a time: a request asked for while another is in flight waits, and only the newest waiting one
 * is sent once it answers (the ones it replaced are never sent). Answers come in the order asked, so the newest wins.
 */
export class LatestRequest<P, R> {
  private running = false;
  private waiting: P | null = null;

  constructor(
    private readonly send: (params: P) => Promise<R>,
    private readonly done: (params: P, result: R) => void,
  ) {}

  ask(params: P): void {
    if (this.running) {
      this.waiting = params;
      return;
    }
    void this.run(params);
  }

  get busy(): boolean {
    return this.running;
  }

  private async run(params: P): Promise<void> {
    this.running = true;
    try {
      this.done(params, await this.send(params));
    } finally {
      this.running = false;
      const next = this.waiting;
      this.waiting = null;
      if (next !== null) void this.run(next);
    }
  }
}

/** What a Flows view shows of its list. */
export interface WindowState {
  /** The rows last fetched; while another query loads, the previous one's rows stay in view. */
  window: LoadedWindow | null;
  /** Flows without the filter, when the list is filtered (the "N of M" text). */
  unfilteredTotal: number | null;
  error: string | null;
}

interface Job {
  key: string;
  revision: number;
  /** The list index the first row answered lands on. */
  start: number;
  query: FlowQuery;
  /** The unfiltered list, to count it, when its count at this revision is not known yet. */
  countAll: { key: string; query: FlowQuery } | null;
  /** Its count, when known. */
  knownAll: number | null;
}

/** Lists whose counts are remembered (the ones the view went through last): a filter cleared or set again does not
 *  count its list again. */
const KNOWN_TOTALS = 16;

/**
 * The window of a flow list, fetched from main: again when the rows in view come near the edge of what is loaded,
 * when the query changes (another filter or sort starts the list over from its top), and when the flows change
 * (`revision`). One request in flight; while it runs, only the newest wish waits.
 */
export class FlowWindowLoader {
  private state: WindowState = { window: null, unfilteredTotal: null, error: null };
  private query: WindowQuery | null = null;
  private key = '';
  private unfiltered: WindowQuery | null = null;
  private revision = 0;
  private visible = { first: 0, last: 40 };
  /** Rows each list had, at a flow revision, from the answers (the newest last). */
  private readonly totals = new BoundedMap<string, { revision: number; total: number }>(KNOWN_TOTALS);
  /** The rows last asked for, so a scroll within them asks nothing more. */
  private asked: { key: string; revision: number; start: number; end: number } | null = null;
  private readonly runner: LatestRequest<Job, { page: ApiResult<FlowPage>; all: ApiResult<FlowPage> | null }>;

  constructor(
    fetch: (q: FlowQuery) => Promise<ApiResult<FlowPage>>,
    private readonly changed: (state: WindowState) => void,
  ) {
    this.runner = new LatestRequest(
      async (job) => {
        // The count of the unfiltered list alongside the page, not after it.
        const [page, all] = await Promise.all([fetch(job.query), job.countAll === null ? null : fetch(job.countAll.query)]);
        return { page, all };
      },
      (job, { page, all }) => this.answered(job, page, all),
    );
  }

  get current(): WindowState {
    return this.state;
  }

  /** The list to show (`unfiltered`: the same list without its filter, to count it) at a flow revision. */
  setQuery(query: WindowQuery, unfiltered: WindowQuery | null, revision: number): void {
    const key = queryKey(query);
    if (key !== this.key) this.visible = { first: 0, last: this.visible.last - this.visible.first };
    this.query = query;
    this.key = key;
    this.unfiltered = unfiltered;
    this.revision = revision;
    this.ensure();
  }

  /** The rows in view: [first, last). */
  setVisible(first: number, last: number): void {
    this.visible = { first, last };
    this.ensure();
  }

  /** Asks for the rows in view when what is loaded (or asked for) does not cover them at this revision. */
  private ensure(): void {
    const q = this.query;
    if (q === null) return;
    const { key, revision } = this;
    const { first, last } = this.visible;
    const w = this.state.window !== null && this.state.window.key === key ? this.state.window : null;
    if (w !== null && w.revision >= revision && covers(w, key, first, last)) return;
    // The total is known once a window of this query came back; before, the rows in view and the margin.
    const total = w !== null ? w.total : Number.MAX_SAFE_INTEGER;
    const { start, end } = wantedRange(first, last, Math.max(total, 1));
    const a = this.asked;
    if (a !== null && a.key === key && a.revision >= revision && a.start <= Math.max(0, first - 1) && a.end >= Math.min(last, total)) return;
    this.asked = { key, revision, start, end };
    const u = this.unfiltered;
    const uKey = u === null ? null : queryKey(u);
    const known = uKey === null ? undefined : this.totals.get(uKey);
    const knownAll = known !== undefined && known.revision >= revision ? known.total : null;
    this.runner.ask({
      key,
      revision,
      start,
      query: windowRequest(q, w, start, Math.max(1, end - start)),
      countAll: u === null || uKey === null || knownAll !== null ? null : { key: uKey, query: { scope: u.scope, filter: u.filter, sort: u.sort, offset: 0, limit: 1 } },
      knownAll,
    });
  }

  private remember(key: string, revision: number, total: number): void {
    this.totals.setNewest(key, { revision, total });
  }

  private answered(job: Job, page: ApiResult<FlowPage>, all: ApiResult<FlowPage> | null): void {
    if (!page.ok) {
      // Asked again when the view, the query or the flows move; not in a loop here.
      this.asked = null;
      this.state = { ...this.state, error: page.error.message };
      this.changed(this.state);
      return;
    }
    const start = job.query.after === undefined ? page.value.offset : job.start;
    const flows = keepUnchanged(this.state.window?.flows ?? [], page.value.flows);
    const window: LoadedWindow = { key: job.key, start, flows, total: page.value.total, revision: job.revision };
    this.remember(job.key, job.revision, page.value.total);
    if (job.countAll !== null && all?.ok === true) this.remember(job.countAll.key, job.revision, all.value.total);
    const unfilteredTotal = job.knownAll ?? (all?.ok === true ? all.value.total : null);
    this.state = { window, unfilteredTotal, error: null };
    this.changed(this.state);
    // The view may have moved on while this was in flight (or the list is shorter than guessed).
    this.ensure();
  }
}

/** Whether two values read from JSON are equal, member by member. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/**
 * The rows of a new window, each one the window before held unchanged given as that same object: a row whose flow
 * did not change is not drawn again (most of them, as the view scrolls through the list, and all ended flows).
 */
export function keepUnchanged(before: readonly FlowSummary[], after: readonly FlowSummary[]): readonly FlowSummary[] {
  if (before.length === 0) return after;
  const held = new Map(before.map((f) => [f.id, f]));
  return after.map((f) => {
    const old = held.get(f.id);
    return old !== undefined && sameJson(old, f) ? old : f;
  });
}

/** Every id of the flows a query lists, page by page from each page's cursor, at most `bound` of them; null (the
 *  error) when a page fails. `more`: flows matched beyond the bound. */
export async function idsOfQuery(
  fetch: (q: FlowQuery) => Promise<ApiResult<FlowPage>>,
  q: WindowQuery,
  bound: number,
): Promise<ApiResult<{ ids: string[]; more: boolean }>> {
  const ids: string[] = [];
  let after: FlowQuery['after'];
  for (;;) {
    const limit = Math.min(MAX_PAGE, bound - ids.length + 1);
    const r = await fetch({ scope: q.scope, filter: q.filter, sort: q.sort, offset: 0, limit, ...(after === undefined ? {} : { after }) });
    if (!r.ok) return r;
    for (const f of r.value.flows) ids.push(f.id);
    if (ids.length > bound) return { ok: true, value: { ids: ids.slice(0, bound), more: true } };
    if (r.value.next === null || r.value.flows.length === 0) return { ok: true, value: { ids, more: false } };
    after = r.value.next;
  }
}
