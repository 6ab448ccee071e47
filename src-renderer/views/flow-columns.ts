import type { FlowSummary } from '../transport/api-types';
import { formatBytes, formatByteRateAsBits, formatCount } from '../format/units';
import { formatSeen } from '../format/time';
import type { FlowColumn } from '../state/flow-sort';
import { flowNameList } from '../state/flow-names';

export interface ColumnDef {
  id: FlowColumn;
  title: string;
  /** CSS grid track. */
  width: string;
  numeric: boolean;
  cell(f: FlowSummary, nowMs: number): string;
}

const endpoint = (ip: string, port: number | null): string => {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === null ? ip : `${host}:${port}`;
};

export const FLOW_COLUMNS: readonly ColumnDef[] = [
  { id: 'a', title: 'Endpoint A', width: 'minmax(140px, 1.2fr)', numeric: false, cell: (f) => endpoint(f.a, f.aPort) },
  { id: 'b', title: 'Endpoint B', width: 'minmax(140px, 1.2fr)', numeric: false, cell: (f) => endpoint(f.b, f.bPort) },
  { id: 'names', title: 'Name', width: 'minmax(110px, 1fr)', numeric: false, cell: (f) => flowNameList(f).join(', ') },
  { id: 'proto', title: 'Proto', width: '64px', numeric: false, cell: (f) => f.proto.toUpperCase() },
  { id: 'state', title: 'State', width: '84px', numeric: false, cell: (f) => (f.active || f.state !== 'active' ? f.state : 'ended') },
  { id: 'bytesAB', title: 'Bytes A→B', width: '84px', numeric: true, cell: (f) => formatBytes(f.aToB.bytes) },
  { id: 'bytesBA', title: 'Bytes B→A', width: '84px', numeric: true, cell: (f) => formatBytes(f.bToA.bytes) },
  { id: 'packetsAB', title: 'Pkts A→B', width: '72px', numeric: true, cell: (f) => formatCount(f.aToB.packets) },
  { id: 'packetsBA', title: 'Pkts B→A', width: '72px', numeric: true, cell: (f) => formatCount(f.bToA.packets) },
  { id: 'rate', title: 'Rate', width: '92px', numeric: true, cell: (f) => formatByteRateAsBits(f.bpsAToB + f.bpsBToA) },
  { id: 'firstSeen', title: 'First seen', width: '80px', numeric: true, cell: (f, now) => formatSeen(f.firstSeenMs, now) },
  { id: 'lastSeen', title: 'Last seen', width: '80px', numeric: true, cell: (f, now) => formatSeen(f.lastSeenMs, now) },
];

export const GRID_TEMPLATE = FLOW_COLUMNS.map((c) => c.width).join(' ');
