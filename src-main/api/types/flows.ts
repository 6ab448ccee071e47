/** Flows: one row each, their pages, details and the deltas pushed each second (plain JSON data: see traffic.ts). */

import type { FlowCursor, FlowFilter, FlowSortKey } from '../../../src-shared/flow-query';
import type { FlowStateName } from '../../../src-shared/flow-reader';
import type { GeoInfo } from './geo';
import type { ByteCount, FlowProto } from './traffic';

/** TCP state as seen on the wire; non-TCP flows are 'active' until idle. */
export type FlowState = FlowStateName;

/** Where a flow's name comes from: its TLS/QUIC SNI, its HTTP Host, its own DNS question, or a DNS answer seen before it started. */
export type NameSource = 'sni' | 'host' | 'dns' | 'dns-answer';

export interface FlowNames {
  /** Names a DNS answer gave each endpoint's address before the flow started. */
  a: string | null;
  b: string | null;
  /** What the flow said itself. */
  sni: string | null;
  httpHost: string | null;
  /** The question of a DNS flow. */
  dnsQuery: string | null;
  /** The flow's name by evidence (its own word first, then a DNS answer) and where it came from. */
  name: string | null;
  source: NameSource | null;
}

/** ICMP/ICMPv6 type and code of a flow's first message. */
export interface IcmpKind {
  type: number;
  code: number;
  /** As people read it: "echo request (8/0)". */
  text: string;
}

/**
 * Connection quality of a TCP flow, as Wireshark's TCP analysis counts it.
 * Handshake RTT is split at the capture point: server side SYN → SYN/ACK,
 * client side SYN/ACK → ACK; null until seen.
 */
export interface TcpQuality {
  rttServerMs: number | null;
  rttClientMs: number | null;
  rttMs: number | null;
  retransmissions: number;
  outOfOrder: number;
  zeroWindows: number;
}

/** The process that owns a flow's socket on this machine (Linux live captures). */
export interface FlowApplication { label: string; pid: number | null; name: string | null; exe: string | null; uid: number; user: string | null; system: boolean }

/** A bidirectional flow; A is the endpoint that sent the first packet seen. */
export interface FlowSummary {
  id: string;
  /** With `serve --nats`, `<probe>/<interface>`. */
  iface: string;
  /** The probe that saw the flow (`serve --nats`); absent for a local capture. */
  probe?: string;
  vlan: number | null;
  proto: FlowProto;
  /** IP protocol number (6, 17, 1, 58, ...). */
  ipProto: number;
  a: string;
  aPort: number | null;
  b: string;
  bPort: number | null;
  names: FlowNames;
  aToB: ByteCount;
  bToA: ByteCount;
  firstSeenMs: number;
  lastSeenMs: number;
  state: FlowState;
  /** OR of every TCP flag byte seen (0 for other protocols). */
  tcpFlags: number;
  /** ICMP and ICMPv6 flows: the type and code of the first message (null for other protocols). */
  icmp: IcmpKind | null;
  /** Rate over the last second, bytes per second. */
  bpsAToB: number;
  bpsBToA: number;
  /** False once the flow has ended or was evicted; it then lives in the finished-flow log. */
  active: boolean;
  /** TCP flows from a live or replayed capture; kept in the finished-flow log as the flow ended (absent for other flows). */
  quality?: TcpQuality;
  /** Country and network of each endpoint (absent when main has no geo database). */
  geo?: { a: GeoInfo; b: GeoInfo };
  /** The local process of the flow (absent: not attributed). */
  app?: FlowApplication;
}

/** The filter and sort every part shares (src-shared/flow-query.ts: one definition, compiled to a predicate and to SQL). */
export type { FlowCursor, FlowFilter, FlowSortKey };

export interface FlowQuery {
  /** 'active': the live table; 'finished': the finished-flow log in SQLite; 'all': both. */
  scope: 'active' | 'finished' | 'all';
  filter: FlowFilter;
  sort: { key: FlowSortKey; dir: 'asc' | 'desc' };
  /** Rows skipped before the page; for shallow pages. */
  offset: number;
  /** At most 1000 rows per page. */
  limit: number;
  /** The page after this cursor (the `next` of the page before; keyset pagination): a deep page costs what the first
   *  does. `offset` counts from the cursor. */
  after?: FlowCursor;
}

export interface FlowPage {
  /** Flows matching the filter. */
  total: number;
  offset: number;
  flows: FlowSummary[];
  /** Where the next page starts (pass it as `after`); null on the last page. */
  next: FlowCursor | null;
}

export interface RatePoint {
  tsMs: number;
  bpsAToB: number;
  bpsBToA: number;
  ppsAToB: number;
  ppsBToA: number;
}

export interface FlowDetails {
  flow: FlowSummary;
  /** The flow's own per-second rates while it was active (the last 10 minutes of them); main keeps them for the
   *  most recently active flows, also a while after they ended, so an ended flow may come with an empty series. */
  series: RatePoint[];
}

/** Pushed with each tick: flows that changed and flows that ended during the second. */
/** The live flows changed (a second's delta from the capture, or a catch-up): views showing them ask again. Counts
 *  only: sending every changed flow to every client each second would cost more than the views' own pages. */
export interface FlowDelta {
  captureId: string;
  tsMs: number;
  /** Flows that changed. */
  updated: number;
  /** Flows that ended. */
  finished: number;
  /** Changed flows left out of this delta because of its size bound. */
  omitted: number;
}
