/**
 * Filter, sort and page the active flows of a FlowTable. Works on the table's
 * columns and builds snapshots only for the page it returns, so a query over a
 * million flows allocates one index array and `limit` objects.
 */
import { cidrContainsWords, formatIpWords, isCidr, parseCidr } from '../../src-shared/ip';
import { assertNever } from '../util/assert-never';
import type { FlowTable } from './flow-table';
import { FlowNum } from './flow-table';
import type { FlowProtocol } from '../../src-shared/protocols';
import type { FlowSnapshot } from './flow-types';
import { FLOW_LABEL_KINDS, FLOW_SLOT_SPACE, flowStateName, flowStateNames, protoName } from './flow-types';

export const flowSortKeys = [
  'id', 'table', 'proto', 'a', 'b', 'portA', 'portB', 'packets', 'bytes', 'packetsAB', 'bytesAB', 'packetsBA', 'bytesBA',
  'firstSeen', 'lastSeen', 'state',
] as const;
export type FlowSortKey = (typeof flowSortKeys)[number];

export interface FlowFilter {
  proto?: FlowProtocol;
  /** An address or prefix matching either endpoint. */
  cidr?: string;
  /** Matches either port. */
  port?: number;
  state?: string;
  /** Case-insensitive substring of either address or of a label's text. */
  text?: string;
}

export interface FlowQuery {
  filter?: FlowFilter;
  sort?: FlowSortKey;
  dir?: 'asc' | 'desc';
  offset: number;
  limit: number;
  /**
   * Keyset page (sort 'id' or 'table' only): the flows after this flow id in
   * the sort's order, so a deep page costs what the first does. The id of a
   * flow that has ended since is still a valid cursor.
   */
  afterId?: number;
}

export interface FlowPage {
  /** Flows matching the filter. */
  total: number;
  offset: number;
  flows: FlowSnapshot[];
}

/** Pages up to this deep are picked with a bounded heap instead of sorting every match. */
const HEAP_SELECT_MAX = 20_000;

/** Throws a clear error for an unknown state, a bad CIDR or a bad page. */
export function queryFlows(table: FlowTable, query: FlowQuery, labelText?: (stringId: number) => string | undefined): FlowPage {
  const { offset, limit } = query;
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const afterId = query.afterId;
  const sort = query.sort ?? 'id';
  if (afterId !== undefined && sort !== 'id' && sort !== 'table') throw new RangeError('afterId pages the id or table order only (sort id or table)');
  const match = compileFilter(table, query.filter ?? {}, labelText);
  if (sort === 'id') return pageById(table, match, query.dir === 'desc', offset, limit, afterId);
  if (sort === 'table') return pageInTableOrder(table, match, query.dir === 'desc', offset, limit, afterId);
  const matches = new Int32Array(table.activeCount);
  let total = 0;
  for (let slot = 0; slot < table.slotLimit; slot++) {
    if (table.isActive(slot) && (match === null || match(slot))) matches[total++] = slot;
  }
  const cmp = comparator(table, sort, query.dir ?? 'asc');
  const want = Math.min(total, offset + limit);
  let ordered: Int32Array;
  if (want <= HEAP_SELECT_MAX && want < total) {
    ordered = selectSmallest(matches.subarray(0, total), want, cmp);
  } else {
    ordered = matches.subarray(0, total).sort(cmp);
  }
  const flows: FlowSnapshot[] = [];
  for (let i = offset; i < want; i++) flows.push(table.snapshot(ordered[i]));
  return { total, offset, flows };
}

/**
 * A page in id order: one scan keeping the `offset + limit` first ids after
 * the cursor in a bounded heap of numbers, so a keyset page of a million
 * flows costs a pass over the table's columns and no sort of them.
 */
function pageById(table: FlowTable, match: ((slot: number) => boolean) | null, desc: boolean, offset: number, limit: number, afterId?: number): FlowPage {
  const want = offset + limit;
  // A max-heap of keys (ids, negated for descending order) holds the `want` smallest keys seen.
  const heap = new Float64Array(Math.min(want, table.activeCount));
  const sign = desc ? -1 : 1;
  const after = afterId === undefined ? -Infinity : sign * afterId;
  let n = 0;
  let total = 0;
  for (let slot = 0; slot < table.slotLimit; slot++) {
    if (!table.isActive(slot) || (match !== null && !match(slot))) continue;
    total++;
    const key = sign * table.idOf(slot);
    if (key <= after) continue;
    if (n < heap.length) {
      // Sift up.
      let i = n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p] >= key) break;
        heap[i] = heap[p];
        i = p;
      }
      heap[i] = key;
    } else if (n > 0 && key < heap[0]) {
      // Replace the largest and sift down.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && heap[l + 1] > heap[l] ? l + 1 : l;
        if (heap[c] <= key) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = key;
    }
  }
  const keys = heap.subarray(0, n).sort();
  const flows: FlowSnapshot[] = [];
  for (let i = offset; i < n; i++) flows.push(table.snapshot(table.slotOf(sign * keys[i])));
  return { total, offset, flows };
}

/**
 * A page in table order (by slot: stable while flows live, the order a full
 * listing costs least in): reads from the cursor's slot on until the page is
 * full, so paging through a million flows costs one pass over the table in
 * all. The total needs a full count only when a filter is given.
 */
function pageInTableOrder(table: FlowTable, match: ((slot: number) => boolean) | null, desc: boolean, offset: number, limit: number, afterId?: number): FlowPage {
  const end = table.slotLimit;
  const start = afterId === undefined ? (desc ? end - 1 : 0) : (afterId % FLOW_SLOT_SPACE) + (desc ? -1 : 1);
  const step = desc ? -1 : 1;
  const flows: FlowSnapshot[] = [];
  let skipped = 0;
  for (let slot = start; slot >= 0 && slot < end && flows.length < limit; slot += step) {
    if (!table.isActive(slot) || (match !== null && !match(slot))) continue;
    if (skipped < offset) skipped++;
    else flows.push(table.snapshot(slot));
  }
  let total = table.activeCount;
  if (match !== null) {
    total = 0;
    for (let slot = 0; slot < end; slot++) if (table.isActive(slot) && match(slot)) total++;
  }
  return { total, offset, flows };
}

/** The filter's test of a slot, or null when it lets every flow through. */
function compileFilter(table: FlowTable, f: FlowFilter, labelText?: (stringId: number) => string | undefined): ((slot: number) => boolean) | null {
  const tests: Array<(slot: number) => boolean> = [];
  if (f.proto !== undefined) {
    const want = f.proto;
    tests.push((s) => protoName(table.protoOf(s)) === want);
  }
  if (f.cidr !== undefined) {
    const cidr = parseCidr(f.cidr);
    if (!isCidr(cidr)) throw new Error(`bad address filter ${JSON.stringify(f.cidr)}: ${cidr.error}`);
    tests.push((s) => cidrContainsWords(cidr, table.words, table.loAddressAt(s)) || cidrContainsWords(cidr, table.words, table.hiAddressAt(s)));
  }
  if (f.port !== undefined) {
    const port = f.port;
    tests.push((s) => table.loPortOf(s) === port || table.hiPortOf(s) === port);
  }
  if (f.state !== undefined) {
    const state = f.state;
    if (!(flowStateNames as readonly string[]).includes(state)) {
      throw new Error(`unknown flow state ${JSON.stringify(state)}; one of ${flowStateNames.join(', ')}`);
    }
    tests.push((s) => flowStateName(table.stateOf(s)) === state);
  }
  if (f.text !== undefined && f.text !== '') {
    const needle = f.text.toLowerCase();
    const labelHit = new Map<number, boolean>();
    const labelMatches = (id: number): boolean => {
      let hit = labelHit.get(id);
      if (hit === undefined) {
        hit = (labelText?.(id) ?? '').toLowerCase().includes(needle);
        labelHit.set(id, hit);
      }
      return hit;
    };
    tests.push((s) => {
      if (formatIpWords(table.words, table.loAddressAt(s)).includes(needle) || formatIpWords(table.words, table.hiAddressAt(s)).includes(needle)) return true;
      for (let k = 0; k < FLOW_LABEL_KINDS; k++) {
        const id = table.labels[s * FLOW_LABEL_KINDS + k];
        if (id >= 0 && labelMatches(id)) return true;
      }
      return false;
    });
  }
  if (tests.length === 0) return null;
  return (slot) => {
    for (const t of tests) if (!t(slot)) return false;
    return true;
  };
}

function comparator(t: FlowTable, key: FlowSortKey, dir: 'asc' | 'desc'): (x: number, y: number) => number {
  const initHigh = (s: number) => t.initiatorIsHigh(s);
  // Address of A (initiator) or B of slot s, compared word by word.
  const addrCmp = (side: 'a' | 'b') => (x: number, y: number): number => {
    const xHigh = initHigh(x) === (side === 'a');
    const yHigh = initHigh(y) === (side === 'a');
    for (let i = 0; i < 4; i++) {
      const xv = t.words[(xHigh ? t.hiAddressAt(x) : t.loAddressAt(x)) + i];
      const yv = t.words[(yHigh ? t.hiAddressAt(y) : t.loAddressAt(y)) + i];
      if (xv !== yv) return xv - yv;
    }
    return 0;
  };
  const portOf = (side: 'a' | 'b', s: number) => (initHigh(s) === (side === 'a') ? t.hiPortOf(s) : t.loPortOf(s));
  const num = (s: number, field: FlowNum) => t.numOf(s, field);
  let primary: (x: number, y: number) => number;
  switch (key) {
    case 'id':
    case 'table':
      // Answered by pageById and pageInTableOrder.
      primary = () => 0;
      break;
    case 'proto':
      primary = (x, y) => t.protoOf(x) - t.protoOf(y);
      break;
    case 'a':
      primary = addrCmp('a');
      break;
    case 'b':
      primary = addrCmp('b');
      break;
    case 'portA':
      primary = (x, y) => portOf('a', x) - portOf('a', y);
      break;
    case 'portB':
      primary = (x, y) => portOf('b', x) - portOf('b', y);
      break;
    case 'packets':
      primary = (x, y) => num(x, FlowNum.packetsAB) + num(x, FlowNum.packetsBA) - (num(y, FlowNum.packetsAB) + num(y, FlowNum.packetsBA));
      break;
    case 'bytes':
      primary = (x, y) => num(x, FlowNum.bytesAB) + num(x, FlowNum.bytesBA) - (num(y, FlowNum.bytesAB) + num(y, FlowNum.bytesBA));
      break;
    case 'packetsAB':
      primary = (x, y) => num(x, FlowNum.packetsAB) - num(y, FlowNum.packetsAB);
      break;
    case 'bytesAB':
      primary = (x, y) => num(x, FlowNum.bytesAB) - num(y, FlowNum.bytesAB);
      break;
    case 'packetsBA':
      primary = (x, y) => num(x, FlowNum.packetsBA) - num(y, FlowNum.packetsBA);
      break;
    case 'bytesBA':
      primary = (x, y) => num(x, FlowNum.bytesBA) - num(y, FlowNum.bytesBA);
      break;
    case 'firstSeen':
      primary = (x, y) => num(x, FlowNum.firstSec) - num(y, FlowNum.firstSec) || num(x, FlowNum.firstNsec) - num(y, FlowNum.firstNsec);
      break;
    case 'lastSeen':
      primary = (x, y) => num(x, FlowNum.lastSec) - num(y, FlowNum.lastSec) || t.lastNsecOf(x) - t.lastNsecOf(y);
      break;
    case 'state':
      primary = (x, y) => t.stateOf(x) - t.stateOf(y);
      break;
    default:
      return assertNever(key, 'sort key');
  }
  const sign = dir === 'desc' ? -1 : 1;
  // Ties (and 'id') fall back to the flow id so pages are stable.
  return (x, y) => sign * (primary(x, y) || t.idOf(x) - t.idOf(y));
}

/** The `k` smallest of `items` under `cmp`, in order, with a bounded max-heap. */
function selectSmallest(items: Int32Array, k: number, cmp: (x: number, y: number) => number): Int32Array {
  const heap = new Int32Array(k);
  let n = 0;
  const siftUp = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i], heap[p]) <= 0) return;
      const tmp = heap[i];
      heap[i] = heap[p];
      heap[p] = tmp;
      i = p;
    }
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && cmp(heap[l], heap[m]) > 0) m = l;
      if (r < n && cmp(heap[r], heap[m]) > 0) m = r;
      if (m === i) return;
      const tmp = heap[i];
      heap[i] = heap[m];
      heap[m] = tmp;
      i = m;
    }
  };
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (n < k) {
      heap[n++] = v;
      siftUp(n - 1);
    } else if (cmp(v, heap[0]) < 0) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap.subarray(0, n).sort(cmp);
}
