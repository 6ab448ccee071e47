import type { FlowSortKey } from '../transport/api-types';
import { assertNever } from '../util/assert-never';

/** The table's sortable columns: the API's sort keys it shows as columns, and the names column (key `name`). */
export type FlowColumn = Exclude<FlowSortKey, 'bytes' | 'packets' | 'aPort' | 'bPort' | 'name'> | 'names';

export type SortDirection = 'asc' | 'desc';

export interface FlowSort {
  column: FlowColumn;
  direction: SortDirection;
}

export const DEFAULT_SORT: FlowSort = { column: 'rate', direction: 'desc' };

/** Columns whose natural first click is "biggest first". */
export function defaultDirection(column: FlowColumn): SortDirection {
  switch (column) {
    case 'a':
    case 'b':
    case 'names':
    case 'application':
    case 'proto':
    case 'state':
    case 'firstSeen':
      return 'asc';
    case 'bytesAB':
    case 'bytesBA':
    case 'packetsAB':
    case 'packetsBA':
    case 'rate':
    case 'lastSeen':
    case 'rtt':
    case 'retransmissions':
      return 'desc';
    default:
      return assertNever(column);
  }
}

/** Clicking the sorted column flips it; another column starts in its natural direction. */
export function nextSort(current: FlowSort, column: FlowColumn): FlowSort {
  if (current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { column, direction: defaultDirection(column) };
}

/** The API's sort key of a column (src-shared/flow-query.ts, the order main and the history use). */
export function sortKeyOf(column: FlowColumn): FlowSortKey {
  return column === 'names' ? 'name' : column;
}

/** The column's order as the API's sort, the one main answers windows in. */
export function apiSortOf(sort: FlowSort): { key: FlowSortKey; dir: SortDirection } {
  return { key: sortKeyOf(sort.column), dir: sort.direction };
}
