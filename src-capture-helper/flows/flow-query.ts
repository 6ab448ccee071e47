/**
 * Filter, sort and page the active flows of a FlowTable by the one flow filter and sort of src-shared/flow-query.ts,
 * read from the table's columns slot by slot (FlowTableReader), so a filter field or a sort key means here what it
 * means in main, the dashboard and the history. Snapshots are built only for the page returned: a query over a
 * million flows allocates an index array, the sort values of the matches and `limit` objects.
 */
import type { FlowFilter, FlowReader, FlowSortKey, FlowStateName } from '../../src-shared/flow-query';
import {
  compileFlowFilterOver, ENDPOINT_SORT_WORDS, endpointKeyOfWords, endpointSortSide, endpointSortWords, flowSortValueOver,
} from '../../src-shared/flow-query';
import type { FlowSide } from '../../src-shared/flow-reader';
import { flowStateNameOf } from '../../src-shared/flow-reader';
import type { Cidr } from '../../src-shared/ip';
import { cidrContainsWords } from '../../src-shared/ip';
import type { FlowProtocol } from '../../src-shared/protocols';
import type { FlowTable } from './flow-table';
import { FlowNum } from './flow-table';
import type { FlowSnapshot } from './flow-types';
import { FLOW_SLOT_SPACE, flowStateNames, protoName } from './flow-types';

/** A shared sort key, or one of the helper's paging orders: by flow id, or by table slot (the cheapest full listing). */
export type HelperFlowSortKey = FlowSortKey | 'id' | 'table';

export interface FlowQuery {
  /** Fields the table does not hold (names, places, applications, ...) are refused with a FlowFilterError. */
  filter?: FlowFilter;
  sort?: HelperFlowSortKey;
  dir?: 'asc' | 'desc';
  offset: number;
  limit: number;
  /**
   * Keyset page (sort 'id' or 'table' only): the flows after this flow id in
   * the sort's order, so a deep page costs what the first does. The id of a
   * flow that has ended since is still a valid cursor.
   */
  afterId?: number;
  /** These flows only, those still active and matching the filter, in the order given (no other sort, offset 0, no
   *  afterId): a refresh of flows held elsewhere, each found through its slot. */
  ids?: readonly number[];
}

export interface FlowPage {
  /** Flows matching the filter. */
  total: number;
  offset: number;
  flows: FlowSnapshot[];
}

/** The table's states as every other part reads them (flowStateNameOf), by the table's state number. */
const SHARED_STATES: readonly FlowStateName[] = flowStateNames.map(flowStateNameOf);

/**
 * The shared filter and sort's reading of a FlowTable, by slot, as main reads the helper's rows: side `a` is the
 * initiator, ports only for TCP and UDP, times in milliseconds. The table holds no names, places, applications,
 * rates or probes: a filter or sort on one is refused (main answers those). Only active slots are read.
 */
export class FlowTableReader implements FlowReader<number> {
  readonly store = "the capture helper's flow table";

  constructor(private readonly t: FlowTable) {}

  proto(s: number): FlowProtocol {
    return protoName(this.t.protoOf(s));
  }

  state(s: number): FlowStateName {
    return SHARED_STATES[this.t.stateOf(s)];
  }

  active(): boolean {
    return true;
  }

  inCidr(s: number, side: FlowSide, cidr: Cidr): boolean {
    return cidrContainsWords(cidr, this.t.words, this.addressAt(s, side));
  }

  port(s: number, side: FlowSide): number | null {
    const proto = this.t.protoOf(s);
    if (proto !== 6 && proto !== 17) return null;
    return this.isHigh(s, side) ? this.t.hiPortOf(s) : this.t.loPortOf(s);
  }

  bytes(s: number, dir: 'aToB' | 'bToA'): number {
    return this.t.numOf(s, dir === 'aToB' ? FlowNum.bytesAB : FlowNum.bytesBA);
  }

  packets(s: number, dir: 'aToB' | 'bToA'): number {
    return this.t.numOf(s, dir === 'aToB' ? FlowNum.packetsAB : FlowNum.packetsBA);
  }

  // As a row carries them (seconds with nanoseconds as a fraction), then main's milliseconds.
  firstSeenMs(s: number): number {
    return (this.t.numOf(s, FlowNum.firstSec) + this.t.numOf(s, FlowNum.firstNsec) / 1e9) * 1000;
  }

  lastSeenMs(s: number): number {
    return (this.t.numOf(s, FlowNum.lastSec) + this.t.lastNsecOf(s) / 1e9) * 1000;
  }

  endpointKey(s: number, side: FlowSide): string {
    const words = new Uint32Array(ENDPOINT_SORT_WORDS);
    this.endpointWords(s, side, words, 0);
    return endpointKeyOfWords(words, 0);
  }

  /** The endpoint's sort position as numbers (`endpointSortWords`): what an endpoint sort compares here. */
  endpointWords(s: number, side: FlowSide, out: Uint32Array, at: number): void {
    endpointSortWords(this.t.words, this.addressAt(s, side), this.port(s, side), out, at);
  }

  private isHigh(s: number, side: FlowSide): boolean {
    return this.t.initiatorIsHigh(s) === (side === 'a');
  }

  private addressAt(s: number, side: FlowSide): number {
    return this.isHigh(s, side) ? this.t.hiAddressAt(s) : this.t.loAddressAt(s);
  }
}

/**
 * Ties sort by id ascending, and main's ids are `<session>:<id>` compared as text: within a session, the decimal
 * ids' text order (`10` before `9`). A number in [0.1, 1) per id keeps that order (10 → 0.10, 9 → 0.9); ids of
 * which one is a prefix of the other map to the same number and order by length. Exact up to 15 digits; beyond,
 * the texts are compared.
 */
const POW10 = Array.from({ length: 17 }, (_, d) => 10 ** d);

function idTieOrder(table: FlowTable, slots: Int32Array, total: number): (x: number, y: number) => number {
  // Filled in when a position first ties: most sorts compare few ties.
  const scaled = new Float64Array(total).fill(-1);
  const digits = new Uint8Array(total);
  const keyOf = (i: number): number => {
    if (scaled[i] < 0) {
      const id = table.idOf(slots[i]);
      let d = 1;
      while (d < POW10.length && id >= POW10[d]) d++;
      digits[i] = d;
      scaled[i] = id / POW10[d];
    }
    return scaled[i];
  };
  return (x, y) => {
    const kx = keyOf(x);
    const ky = keyOf(y);
    if (digits[x] > 15 || digits[y] > 15) {
      const tx = String(table.idOf(slots[x]));
      const ty = String(table.idOf(slots[y]));
      return tx < ty ? -1 : tx > ty ? 1 : 0;
    }
    return kx - ky || digits[x] - digits[y];
  };
}

/** Pages up to this deep are picked with a bounded heap instead of sorting every match. */
const HEAP_SELECT_MAX = 20_000;

/** Throws a FlowFilterError for a filter or sort the table cannot answer or a bad value, a RangeError for a bad page. */
export function queryFlows(table: FlowTable, query: FlowQuery): FlowPage {
  const { offset, limit } = query;
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const afterId = query.afterId;
  const sort = query.sort ?? 'id';
  if (afterId !== undefined && sort !== 'id' && sort !== 'table') throw new RangeError('afterId pages the id or table order only (sort id or table)');
  const reader = new FlowTableReader(table);
  const compiled = compileFlowFilterOver(query.filter ?? {}, reader);
  const match = compiled.active ? compiled.matches : null;
  if (query.ids !== undefined) return pageOfIds(table, match, query, query.ids);
  if (sort === 'id') return pageById(table, match, query.dir === 'desc', offset, limit, afterId);
  if (sort === 'table') return pageInTableOrder(table, match, query.dir === 'desc', offset, limit, afterId);
  const slots = new Int32Array(table.activeCount);
  let total = 0;
  for (let slot = 0; slot < table.slotLimit; slot++) {
    if (table.isActive(slot) && (match === null || match(slot))) slots[total++] = slot;
  }
  const cmp = sortOrder(reader, sort, slots, total, query.dir ?? 'asc', idTieOrder(table, slots, total));
  const want = Math.min(total, offset + limit);
  const positions = new Int32Array(total);
  for (let i = 0; i < total; i++) positions[i] = i;
  const ordered = want <= HEAP_SELECT_MAX && want < total ? selectSmallest(positions, want, cmp) : positions.sort(cmp);
  const flows: FlowSnapshot[] = [];
  for (let i = offset; i < want; i++) flows.push(table.snapshot(slots[ordered[i]]));
  return { total, offset, flows };
}

/**
 * The shared order (`compareSortKeys`: by value in the sort's direction, ties by id ascending) over positions in
 * `slots`, each match's value read once: counts and times into numbers, endpoints into their sort words
 * (`endpointSortWords`, the order of `endpointKey` without building its text), the other keys into strings.
 */
function sortOrder(
  reader: FlowTableReader,
  key: FlowSortKey,
  slots: Int32Array,
  total: number,
  dir: 'asc' | 'desc',
  tie: (x: number, y: number) => number,
): (x: number, y: number) => number {
  const sign = dir === 'desc' ? -1 : 1;
  const side = endpointSortSide(key);
  if (side !== null) {
    const n = ENDPOINT_SORT_WORDS;
    const words = new Uint32Array(total * n);
    for (let i = 0; i < total; i++) reader.endpointWords(slots[i], side, words, i * n);
    return (x, y) => {
      for (let k = 0; k < n; k++) {
        const wx = words[x * n + k];
        const wy = words[y * n + k];
        if (wx !== wy) return wx < wy ? -sign : sign;
      }
      return tie(x, y);
    };
  }
  const valueOf = flowSortValueOver(reader, key);
  if (total === 0 || typeof valueOf(slots[0]) === 'number') {
    const values = new Float64Array(total);
    for (let i = 0; i < total; i++) values[i] = valueOf(slots[i]) as number;
    return (x, y) => (values[x] !== values[y] ? (values[x] < values[y] ? -sign : sign) : tie(x, y));
  }
  const texts: string[] = new Array<string>(total);
  for (let i = 0; i < total; i++) texts[i] = valueOf(slots[i]) as string;
  return (x, y) => (texts[x] !== texts[y] ? (texts[x] < texts[y] ? -sign : sign) : tie(x, y));
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

/** The flows of `query.ids` still active (and matching), in the order asked; the total is how many were found. */
function pageOfIds(table: FlowTable, match: ((slot: number) => boolean) | null, query: FlowQuery, ids: readonly number[]): FlowPage {
  if (query.afterId !== undefined || query.offset !== 0 || (query.sort !== undefined && query.sort !== 'id') || query.dir !== undefined) {
    throw new RangeError('ids lists flows in the order given: no sort, direction, offset or afterId');
  }
  if (ids.length > query.limit) throw new RangeError(`ids lists at most limit (${query.limit}) flows, got ${ids.length}`);
  const flows: FlowSnapshot[] = [];
  for (const id of ids) {
    const slot = table.slotOf(id);
    if (slot >= 0 && (match === null || match(slot))) flows.push(table.snapshot(slot));
  }
  return { total: flows.length, offset: 0, flows };
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
