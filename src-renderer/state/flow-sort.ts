import type { FlowSummary } from '../transport/api-types';
import { parseIpCached } from '../format/ip';
import { primaryName } from './flow-names';
import { shownState } from './flow-shown';
import { assertNever } from '../util/assert-never';

export type FlowColumn =
  | 'a'
  | 'b'
  | 'names'
  | 'proto'
  | 'state'
  | 'bytesAB'
  | 'bytesBA'
  | 'packetsAB'
  | 'packetsBA'
  | 'rate'
  | 'firstSeen'
  | 'lastSeen'
  | 'rtt'
  | 'retransmissions';

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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Sort key of an endpoint: addresses in numeric order (10.0.0.9 before 10.0.0.10, IPv4 before most IPv6), then
 *  port. Fixed-width hex so plain string comparison is numeric order. */
function endpointKey(ip: string, port: number | null, cache: Map<string, string>): string {
  let k = cache.get(ip);
  if (k === undefined) {
    const bytes = parseIpCached(ip);
    if (bytes) {
      k = '';
      for (let i = 0; i < 16; i++) k += HEX[bytes[i]];
    } else k = `~${ip}`;
    cache.set(ip, k);
  }
  return `${k}:${String(port === null ? 0 : port + 1).padStart(5, '0')}`;
}

type Key = number | string;

function keyOf(f: FlowSummary, column: FlowColumn, cache: Map<string, string>): Key {
  switch (column) {
    case 'a':
      return endpointKey(f.a, f.aPort, cache);
    case 'b':
      return endpointKey(f.b, f.bPort, cache);
    case 'names':
      return primaryName(f)?.toLowerCase() ?? '\uffff';
    case 'proto':
      return f.proto;
    case 'state':
      return shownState(f);
    case 'bytesAB':
      return f.aToB.bytes;
    case 'bytesBA':
      return f.bToA.bytes;
    case 'packetsAB':
      return f.aToB.packets;
    case 'packetsBA':
      return f.bToA.packets;
    case 'rate':
      return f.bpsAToB + f.bpsBToA;
    case 'firstSeen':
      return f.firstSeenMs;
    case 'lastSeen':
      return f.lastSeenMs;
    // Flows without a measure (not TCP, no handshake seen) sort after every measured one, biggest first.
    case 'rtt':
      return f.quality?.rttMs ?? -Infinity;
    case 'retransmissions':
      return f.quality?.retransmissions ?? -Infinity;
    default:
      return assertNever(column);
  }
}

/** A new array sorted by the column; ties keep a stable order by flow id so rows do not jump between updates.
 *  Keys are computed once per flow (decorate-sort-undecorate) so 100k flows sort in tens of milliseconds. */
export function sortFlows(flows: readonly FlowSummary[], sort: FlowSort): FlowSummary[] {
  const cache = new Map<string, string>();
  const keys = new Array<Key>(flows.length);
  const idx = new Array<number>(flows.length);
  for (let i = 0; i < flows.length; i++) {
    keys[i] = keyOf(flows[i], sort.column, cache);
    idx[i] = i;
  }
  const sign = sort.direction === 'asc' ? 1 : -1;
  idx.sort((i, j) => {
    const a = keys[i];
    const b = keys[j];
    if (a < b) return -sign;
    if (a > b) return sign;
    const ia = flows[i].id;
    const ib = flows[j].id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  return idx.map((i) => flows[i]);
}
