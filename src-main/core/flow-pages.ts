import type { FlowFilter, FlowPage, FlowQuery, FlowSummary } from '../api/types/flows';
import { assertNever } from './assert-never';
import { cursorOf, isAfterCursor, sortFlowList } from '../../src-shared/flow-query';
import type { FlowBook } from './flow-book';
import type { HistoryDb } from './history-db';

/** Largest page of flows one query returns. */
const MAX_PAGE = 1000;

/** Where flows are read from: the live ones in the book, the ended ones in the history's finished-flow log. */
export interface FlowSources {
  book: Pick<FlowBook, 'query'>;
  history: Pick<HistoryDb, 'searchFlows'>;
}

/**
 * A page of flows: live ones from the book, ended ones from the history, both filtered and sorted by the one
 * definition in src-shared/flow-query.ts, so their pages merge. `after` continues from a page's `next` cursor.
 */
export function queryFlowPage({ book, history }: FlowSources, q: FlowQuery): FlowPage {
  const limit = Math.min(Math.max(1, q.limit), MAX_PAGE);
  const offset = Math.max(0, q.offset);
  const end = offset + limit;
  const pageOf = (rows: FlowSummary[], total: number, more: boolean): FlowPage => {
    const flows = rows.slice(offset, end);
    return { total, offset, flows, next: more && flows.length > 0 ? cursorOf(flows[flows.length - 1], q.sort.key) : null };
  };
  switch (q.scope) {
    case 'active': {
      const { total, rest } = activeAfter(book, q);
      return pageOf(rest, total, rest.length > end);
    }
    case 'finished':
      return history.searchFlows(q.filter, q.sort, offset, limit, q.after);
    case 'all': {
      const active = activeAfter(book, q);
      // No active flow (a finished capture): SQLite pages the log itself.
      if (active.total === 0) return history.searchFlows(q.filter, q.sort, offset, limit, q.after);
      // Both sources are sorted the same way: the first offset+limit rows after the cursor of each make the page.
      const finished = history.searchFlows(q.filter, q.sort, 0, end, q.after);
      const merged = sortFlowList([...active.rest.slice(0, end), ...finished.flows], q.sort);
      return pageOf(merged, active.total + finished.total, merged.length > end || active.rest.length > end || finished.next !== null);
    }
    default:
      return assertNever(q.scope);
  }
}

/** The ids of the flows, live and ended, that match a filter (at most `limit` ended ones), oldest first: what an export takes. */
export function flowIdsMatching({ book, history }: FlowSources, filter: FlowFilter, limit: number): string[] {
  const sort = { key: 'firstSeen', dir: 'asc' } as const;
  const active = book.query(filter, sort).map((f) => f.id);
  return [...new Set([...active, ...history.searchFlows(filter, sort, 0, limit).flows.map((f) => f.id)])];
}

/** The live flows matching a query (their count), and those after its cursor in its order. */
function activeAfter(book: FlowSources['book'], q: FlowQuery): { total: number; rest: FlowSummary[] } {
  const all = book.query(q.filter, q.sort);
  const after = q.after;
  if (after === undefined) return { total: all.length, rest: all };
  // Sorted: the flows after the cursor are a suffix; find where it starts.
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isAfterCursor(all[mid], q.sort, after)) hi = mid;
    else lo = mid + 1;
  }
  return { total: all.length, rest: all.slice(lo) };
}
