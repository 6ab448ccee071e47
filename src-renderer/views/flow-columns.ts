import type { FlowApplication, FlowSummary, GeoInfo } from '../transport/api-types';
import { formatBytes, formatByteRateAsBits, formatCount } from '../format/units';
import { formatLocalDateTime, formatSeen } from '../format/time';
import type { FlowColumn } from '../state/flow-sort';
import { countrySuffix, geoText } from '../format/geo';
import { flowNameList, nameSourceText } from '../state/flow-names';
import { endpointText, shownState, stateDescription } from '../state/flow-shown';
import { serviceSuffix } from '../../src-shared/service-names';

export interface ColumnDef {
  id: FlowColumn;
  /** The header on one or two lines, so that narrow number columns keep a readable header. */
  title: string;
  subtitle?: string;
  /** The header spelled out, as its tooltip. */
  description: string;
  /** Narrowest the column gets (px) before the table scrolls sideways; `grow` shares the width left over. */
  min: number;
  grow: number;
  numeric: boolean;
  /** Shown only when the table is wide enough for it beside every other column (see gridLayout). */
  optional?: boolean;
  cell(f: FlowSummary, nowMs: number): string;
  /** A class for the cell, when its value has a kind of its own (a system socket's application). */
  cellClass?(f: FlowSummary): string | undefined;
  /** The whole value, for the cell's tooltip: a cut text read in full, a rounded number exactly. */
  tip(f: FlowSummary, nowMs: number): string;
}

/** Width of the first/last seen columns: a clock, or a date and a clock when some flow is from another day. */
const CLOCK_WIDTH = 70;
const DATE_TIME_WIDTH = 146;

function endpointTip(ip: string, port: number | null, name: string | null, geo: GeoInfo | undefined, proto: string): string {
  const shown = endpointText(ip, port) + serviceSuffix(proto, port);
  const text = name ? `${shown} (${name})` : shown;
  return geo === undefined ? text : `${text}\n${geoText(geo)}`;
}

function namesTip(f: FlowSummary): string {
  const parts: string[] = [];
  if (f.names.name !== null && f.names.source !== null) parts.push(`${f.names.name}: from ${nameSourceText(f.names.source)}`);
  if (f.names.sni && f.names.source !== 'sni') parts.push(`TLS/QUIC server name: ${f.names.sni}`);
  if (f.names.httpHost && f.names.source !== 'host') parts.push(`HTTP host: ${f.names.httpHost}`);
  if (f.names.dnsQuery && f.names.source !== 'dns') parts.push(`DNS question: ${f.names.dnsQuery}`);
  if (f.names.b && f.names.source !== 'dns-answer') parts.push(`B from a DNS answer: ${f.names.b}`);
  if (f.names.a) parts.push(`A from a DNS answer: ${f.names.a}`);
  return parts.length ? parts.join('\n') : 'No name seen on the wire';
}

/** Who owns the flow's socket, in full: the process and its user, or why only the user is known. */
export function applicationTip(app: FlowApplication | undefined): string {
  if (app === undefined) return 'No process found for this flow (only live captures on Linux attribute flows)';
  const user = app.user === null ? `uid ${app.uid}` : `${app.user} (uid ${app.uid})`;
  if (app.system) return `${app.label}: a socket of user ${user} whose process this user may not inspect`;
  return [`${app.label}${app.pid === null ? '' : `, pid ${app.pid}`}, user ${user}`, ...(app.exe === null ? [] : [app.exe])].join('\n');
}

function protoCell(f: FlowSummary): string {
  return f.icmp !== null ? `${f.proto.toUpperCase()} ${f.icmp.type}/${f.icmp.code}` : f.proto.toUpperCase();
}

function protoTip(f: FlowSummary): string {
  return `${f.proto.toUpperCase()}${f.icmp !== null ? ` ${f.icmp.text}` : ''} (IP protocol ${f.ipProto})`;
}

/** Handshake RTT in ms, to the 0.1 ms below 10 ms. */
function rttText(ms: number | null): string {
  if (ms === null) return '';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function rttTip(f: FlowSummary): string {
  const q = f.quality;
  if (q === undefined) return f.proto === 'tcp' ? 'Not measured' : 'TCP only';
  if (q.rttServerMs === null && q.rttClientMs === null) return 'No handshake seen';
  const side = (ms: number | null) => (ms === null ? 'not seen' : `${ms.toFixed(3)} ms`);
  return `Handshake RTT at the capture point: server side (SYN → SYN/ACK) ${side(q.rttServerMs)}, client side (SYN/ACK → ACK) ${side(q.rttClientMs)}`;
}

function retransmissionTip(f: FlowSummary): string {
  const q = f.quality;
  if (q === undefined) return f.proto === 'tcp' ? 'Not measured' : 'TCP only';
  return `${formatCount(q.retransmissions)} retransmissions, ${formatCount(q.outOfOrder)} out-of-order segments, ${formatCount(q.zeroWindows)} zero windows`;
}

function rateTip(f: FlowSummary): string {
  if (!f.active) return 'Ended: no traffic';
  return `A→B ${formatByteRateAsBits(f.bpsAToB)}, B→A ${formatByteRateAsBits(f.bpsBToA)} in the last second`;
}

export const FLOW_COLUMNS: readonly ColumnDef[] = [
  {
    id: 'a', title: 'Endpoint', subtitle: 'A', description: 'A: the endpoint that sent the first packet seen', min: 140, grow: 1.3, numeric: false,
    cell: (f) => endpointText(f.a, f.aPort) + serviceSuffix(f.proto, f.aPort) + countrySuffix(f.geo?.a), tip: (f) => endpointTip(f.a, f.aPort, f.names.a, f.geo?.a, f.proto),
  },
  {
    id: 'b', title: 'Endpoint', subtitle: 'B', description: 'B: the endpoint A talks to', min: 140, grow: 1.3, numeric: false,
    cell: (f) => endpointText(f.b, f.bPort) + serviceSuffix(f.proto, f.bPort) + countrySuffix(f.geo?.b), tip: (f) => endpointTip(f.b, f.bPort, f.names.b, f.geo?.b, f.proto),
  },
  {
    id: 'names', title: 'Name', description: 'Names seen on the wire: TLS/QUIC server name, HTTP host, DNS question, DNS answers', min: 100, grow: 1, numeric: false,
    cell: (f) => flowNameList(f).join(', '), tip: namesTip,
  },
  {
    id: 'proto', title: 'Proto', description: 'Transport protocol; for ICMP the type/code of the first message', min: 64, grow: 0, numeric: false,
    cell: protoCell, tip: protoTip,
  },
  {
    id: 'state', title: 'State', description: 'TCP state while the flow is live; "ended" once it is not', min: 86, grow: 0, numeric: false,
    cell: (f) => shownState(f), tip: stateDescription,
  },
  {
    id: 'bytesAB', title: 'Bytes', subtitle: 'A→B', description: 'Bytes A sent to B (whole frames)', min: 80, grow: 0, numeric: true,
    cell: (f) => formatBytes(f.aToB.bytes), tip: (f) => `${formatCount(f.aToB.bytes)} bytes A→B`,
  },
  {
    id: 'bytesBA', title: 'Bytes', subtitle: 'B→A', description: 'Bytes B sent to A (whole frames)', min: 80, grow: 0, numeric: true,
    cell: (f) => formatBytes(f.bToA.bytes), tip: (f) => `${formatCount(f.bToA.bytes)} bytes B→A`,
  },
  {
    id: 'packetsAB', title: 'Packets', subtitle: 'A→B', description: 'Packets A sent to B', min: 70, grow: 0, numeric: true,
    cell: (f) => formatCount(f.aToB.packets), tip: (f) => `${formatCount(f.aToB.packets)} packets A→B`,
  },
  {
    id: 'packetsBA', title: 'Packets', subtitle: 'B→A', description: 'Packets B sent to A', min: 70, grow: 0, numeric: true,
    cell: (f) => formatCount(f.bToA.packets), tip: (f) => `${formatCount(f.bToA.packets)} packets B→A`,
  },
  {
    id: 'rate', title: 'Rate', description: 'Both directions in the last second', min: 88, grow: 0, numeric: true,
    cell: (f) => formatByteRateAsBits(f.bpsAToB + f.bpsBToA), tip: rateTip,
  },
  {
    id: 'rtt', title: 'RTT', description: 'TCP handshake round-trip time (SYN → ACK) at the capture point', min: 70, grow: 0, numeric: true, optional: true,
    cell: (f) => rttText(f.quality?.rttMs ?? null), tip: rttTip,
  },
  {
    id: 'retransmissions', title: 'Retr.', description: 'TCP retransmissions (as Wireshark counts them)', min: 56, grow: 0, numeric: true, optional: true,
    cell: (f) => (f.quality !== undefined ? formatCount(f.quality.retransmissions) : ''), tip: retransmissionTip,
  },
  {
    id: 'application', title: 'Application', description: 'The local process that owns the flow\'s socket (live captures on Linux)', min: 110, grow: 0.6,
    numeric: false, optional: true,
    cell: (f) => f.app?.label ?? '', tip: (f) => applicationTip(f.app), cellClass: (f) => (f.app?.system === true ? 'app-system' : undefined),
  },
  {
    id: 'firstSeen', title: 'First', subtitle: 'seen', description: 'First packet (local time)', min: CLOCK_WIDTH, grow: 0, numeric: true,
    cell: (f, now) => formatSeen(f.firstSeenMs, now), tip: (f) => formatLocalDateTime(f.firstSeenMs, true),
  },
  {
    id: 'lastSeen', title: 'Last', subtitle: 'seen', description: 'Latest packet (local time)', min: CLOCK_WIDTH, grow: 0, numeric: true,
    cell: (f, now) => formatSeen(f.lastSeenMs, now), tip: (f) => formatLocalDateTime(f.lastSeenMs, true),
  },
];

export interface GridLayout {
  /** The columns shown, in order. */
  columns: readonly ColumnDef[];
  /** CSS grid-template-columns. */
  template: string;
  /** Each column's narrowest width (px, its cell padding included), in the order of `columns`. */
  widths: readonly number[];
  /** Below this width the grid scrolls sideways. */
  minWidth: number;
}

/**
 * The columns' tracks: the seen columns widen to a date and a clock when some flow is from another day than now;
 * optional columns join when `availableWidth` (the table's width, px) holds them beside the others, so a narrow
 * window keeps every essential column without scrolling sideways.
 */
export function gridLayout(withDates: boolean, availableWidth = 0): GridLayout {
  const minOf = (c: ColumnDef) => (withDates && (c.id === 'firstSeen' || c.id === 'lastSeen') ? DATE_TIME_WIDTH : c.min);
  const essential = FLOW_COLUMNS.filter((c) => !c.optional).reduce((sum, c) => sum + minOf(c), 0);
  const optional = FLOW_COLUMNS.filter((c) => c.optional).reduce((sum, c) => sum + minOf(c), 0);
  const columns = essential + optional <= availableWidth ? FLOW_COLUMNS : FLOW_COLUMNS.filter((c) => !c.optional);
  const widths = columns.map(minOf);
  const tracks = columns.map((c, i) => (c.grow > 0 ? `minmax(${widths[i]}px, ${c.grow}fr)` : `${widths[i]}px`));
  return { columns, template: tracks.join(' '), widths, minWidth: widths.reduce((sum, w) => sum + w, 0) };
}

/** Whether some flow's first or last packet falls on another day than `nowMs` (local time): then the seen columns
 *  show dates. */
export function needsDates(flows: readonly FlowSummary[], nowMs: number): boolean {
  const d = new Date(nowMs);
  const dayStart = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const dayEnd = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  for (const f of flows) if (f.firstSeenMs < dayStart || f.lastSeenMs >= dayEnd) return true;
  return false;
}
