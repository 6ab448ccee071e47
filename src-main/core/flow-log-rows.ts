import type { FlowApplication, FlowState, FlowSummary, NameSource } from '../api/types/flows';
import type { FlowProto } from '../api/types/traffic';
import { parseIp } from '../../src-shared/ip';
import { icmpKind } from './icmp-kind';

/**
 * How a finished flow is written as a row of the history's flow_log and read back: the insert, its parameters and
 * the row's mapping to a FlowSummary, kept side by side so a field added to one is added to the other.
 */

/**
 * Each flow_log column a finished flow fills, with its value: the insert's column list and its parameters come from
 * this one list, bound by position (SQLite binds an array several times faster than named parameters).
 */
const LOGGED_COLUMNS: readonly (readonly [column: string, value: (f: FlowSummary) => unknown])[] = [
  ['flow_id', (f) => f.id],
  ['iface', (f) => f.iface],
  ['vlan', (f) => f.vlan],
  ['proto', (f) => f.proto],
  ['ip_proto', (f) => f.ipProto],
  ['a', (f) => f.a],
  ['a_bin', (f) => addressBlob(f.a)],
  ['a_port', (f) => f.aPort],
  ['b', (f) => f.b],
  ['b_bin', (f) => addressBlob(f.b)],
  ['b_port', (f) => f.bPort],
  ['a_name', (f) => f.names.a],
  ['b_name', (f) => f.names.b],
  ['sni', (f) => f.names.sni],
  ['http_host', (f) => f.names.httpHost],
  ['dns_query', (f) => f.names.dnsQuery],
  ['name', (f) => f.names.name],
  ['name_source', (f) => f.names.source],
  ['icmp_type', (f) => f.icmp?.type ?? null],
  ['icmp_code', (f) => f.icmp?.code ?? null],
  ['rtt_server_ms', (f) => f.quality?.rttServerMs ?? null],
  ['rtt_client_ms', (f) => f.quality?.rttClientMs ?? null],
  ['rtt_ms', (f) => f.quality?.rttMs ?? null],
  ['retransmissions', (f) => f.quality?.retransmissions ?? null],
  ['out_of_order', (f) => f.quality?.outOfOrder ?? null],
  ['zero_windows', (f) => f.quality?.zeroWindows ?? null],
  ['first_ms', (f) => f.firstSeenMs],
  ['last_ms', (f) => f.lastSeenMs],
  ['state', (f) => f.state],
  ['tcp_flags', (f) => f.tcpFlags],
  ['bytes_ab', (f) => f.aToB.bytes],
  ['packets_ab', (f) => f.aToB.packets],
  ['bytes_ba', (f) => f.bToA.bytes],
  ['packets_ba', (f) => f.bToA.packets],
  ['session_id', (f) => sessionOfFlowId(f.id)],
  ['app_label', (f) => f.app?.label ?? null],
  ['app_pid', (f) => f.app?.pid ?? null],
  ['app_exe', (f) => f.app?.exe ?? null],
  ['app_uid', (f) => f.app?.uid ?? null],
  ['app_user', (f) => f.app?.user ?? null],
];

/** The insert of one finished flow; its parameters are `flowRowParams`. */
export const INSERT_FLOW_SQL = `INSERT INTO flow_log (${LOGGED_COLUMNS.map(([column]) => column).join(', ')})
  VALUES (${LOGGED_COLUMNS.map(() => '?').join(', ')})`;

/** The insert of a logged flow's search text (loggedFlowText), under the rowid its flow_log row got. */
export const INSERT_FLOW_TEXT_SQL = 'INSERT OR REPLACE INTO flow_text (id, text) VALUES (?, ?)';

/** The parameters of `INSERT_FLOW_SQL` for a flow, in its columns' order. */
export function flowRowParams(f: FlowSummary): unknown[] {
  const params = new Array<unknown>(LOGGED_COLUMNS.length);
  for (let i = 0; i < LOGGED_COLUMNS.length; i++) params[i] = LOGGED_COLUMNS[i][1](f);
  return params;
}

/** The session of a flow id (`session:n`, as main names flows); null for an id without one. */
export function sessionOfFlowId(id: string): string | null {
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : null;
}

/** An address as the 16-byte blob the flow log sorts and matches ranges by (IPv4 mapped); null when it is not one. */
function addressBlob(text: string): Buffer | null {
  const bytes = parseIp(text);
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A row of flow_log as SQLite returns it. */
export interface FlowRow {
  flow_id: string;
  iface: string;
  vlan: number | null;
  proto: FlowProto;
  ip_proto: number;
  a: string;
  a_port: number | null;
  b: string;
  b_port: number | null;
  a_name: string | null;
  b_name: string | null;
  sni: string | null;
  http_host: string | null;
  dns_query: string | null;
  name: string | null;
  name_source: NameSource | null;
  icmp_type: number | null;
  icmp_code: number | null;
  rtt_server_ms: number | null;
  rtt_client_ms: number | null;
  rtt_ms: number | null;
  retransmissions: number | null;
  out_of_order: number | null;
  zero_windows: number | null;
  first_ms: number;
  last_ms: number;
  state: FlowState;
  tcp_flags: number;
  bytes_ab: number;
  packets_ab: number;
  bytes_ba: number;
  packets_ba: number;
  app_label: string | null;
  app_pid: number | null;
  app_exe: string | null;
  app_uid: number | null;
  app_user: string | null;
}

/** A flow_log row as the flow it logged (a finished flow: no rate, not active). */
export function rowToFlow(r: FlowRow): FlowSummary {
  // Interface names hold no '/': one in a logged flow's interface is a probe's (`<probe>/<interface>`).
  const slash = r.iface.indexOf('/');
  return {
    id: r.flow_id,
    iface: r.iface,
    ...(slash > 0 ? { probe: r.iface.slice(0, slash) } : {}),
    vlan: r.vlan,
    proto: r.proto,
    ipProto: r.ip_proto,
    a: r.a,
    aPort: r.a_port,
    b: r.b,
    bPort: r.b_port,
    names: { a: r.a_name, b: r.b_name, sni: r.sni, httpHost: r.http_host, dnsQuery: r.dns_query, name: r.name, source: r.name_source },
    aToB: { bytes: r.bytes_ab, packets: r.packets_ab },
    bToA: { bytes: r.bytes_ba, packets: r.packets_ba },
    firstSeenMs: r.first_ms,
    lastSeenMs: r.last_ms,
    state: r.state,
    tcpFlags: r.tcp_flags,
    icmp: icmpKind(r.proto, r.icmp_type, r.icmp_code),
    bpsAToB: 0,
    bpsBToA: 0,
    active: false,
    ...(r.retransmissions === null
      ? {}
      : {
        quality: {
          rttServerMs: r.rtt_server_ms, rttClientMs: r.rtt_client_ms, rttMs: r.rtt_ms,
          retransmissions: r.retransmissions, outOfOrder: r.out_of_order ?? 0, zeroWindows: r.zero_windows ?? 0,
        },
      }),
    ...appOfRow(r),
  };
}

/** A logged flow's process; a process has a pid, a socket of a user this one may not inspect ("system") has none. */
function appOfRow(r: FlowRow): { app?: FlowApplication } {
  if (r.app_label === null || r.app_uid === null) return {};
  const system = r.app_pid === null;
  return { app: { label: r.app_label, pid: r.app_pid, name: system ? null : r.app_label, exe: r.app_exe, uid: r.app_uid, user: r.app_user, system } };
}
