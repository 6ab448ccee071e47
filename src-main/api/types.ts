/**
 * Plain data exchanged between main and the dashboard. Everything here is
 * JSON-serialisable (no Map, Date, bigint or class instances) so that the same
 * values cross the Electron preload bridge and the WebSocket unchanged.
 * Times are milliseconds since the Unix epoch (fractions allowed); rates are
 * per second; byte counts are whole frames (link-layer header included).
 */

import type { FlowProtocol } from '../../src-shared/protocols';

/** Transport protocols the flow table and the rollups distinguish (src-shared/protocols.ts lists them). */
export type FlowProto = FlowProtocol;

/** Traffic direction relative to the monitored host (replays: A→B is "out"). */
export type Direction = 'in' | 'out';

/** TCP state as seen on the wire; non-TCP flows are 'active' until idle. */
export type FlowState = 'syn' | 'established' | 'fin' | 'rst' | 'closed' | 'active';

/** An expected failure, delivered as a value; `issues` explains rejected input field by field. */
export interface ApiError {
  code: ApiErrorCode;
  message: string;
  issues?: ValidationIssue[];
}

export type ApiErrorCode =
  | 'invalid' // the request's parameters were rejected (see issues)
  | 'not-found' // the flow, rule or interface does not exist
  | 'unavailable' // the helper is not running or the capture is not started
  | 'permission' // capture rights are missing
  | 'conflict' // e.g. a capture is already running
  | 'internal'; // a bug: logged by main with its stack

/** One rejected field: `path` is dotted (e.g. "history.minuteDays"). */
export interface ValidationIssue {
  path: string;
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---------------------------------------------------------------- interfaces

export interface InterfaceAddress {
  address: string;
  /** Prefix length, e.g. 24 for 192.0.2.0/24. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface InterfaceInfo {
  name: string;
  description: string;
  addresses: InterfaceAddress[];
  up: boolean;
  loopback: boolean;
  /** LINKTYPE_* number when known. */
  linkType: number | null;
  /** Whether the helper may capture on it with the current rights. */
  canCapture: boolean;
}

// ---------------------------------------------------------------- capture

export type CaptureSource =
  | { kind: 'live'; interfaces: string[]; bpf?: string; snaplen?: number; promiscuous?: boolean }
  /** `speed` 1 = real time, 10 = ten times faster, 0 = as fast as the engine goes. */
  | { kind: 'replay'; file: string; speed: number };

/** What a capture session read: a live interface, a capture file, or the demo capture shipped with netmon. */
export type CaptureSessionKind = 'live' | 'replay' | 'demo' | 'unknown';

/**
 * One capture from its start to its end: each start (live, replay, demo) is a new session, and the flows it saw
 * carry its id (a flow's id is `session:n`). Kept in the history with its flows.
 */
export interface CaptureSession {
  id: string;
  kind: CaptureSessionKind;
  /** The interfaces (comma-separated) or the file's path; empty for a session recorded before sessions were. */
  source: string;
  startedAtMs: number;
  /** Null while it runs (or if the process ended before it did). */
  endedAtMs: number | null;
  /** Why it ended early (a replay interrupted by a helper restart); null if it ended as it should or still runs. */
  error: string | null;
  /** Its flows in the finished-flow log (the running session's active flows are not yet there). */
  finishedFlows: number;
}

export type CaptureState = 'idle' | 'starting' | 'running' | 'finished' | 'stopping' | 'error';

/** Which packet path runs: our batching addon, the `cap` fallback, or a file reader. */
export type CapturePath = 'netmon-capture' | 'cap' | 'file';

export type HelperState = 'connected' | 'starting' | 'restarting' | 'down';

export interface CaptureStatus {
  state: CaptureState;
  /** Changes with every start; events of a stale capture carry an old id. */
  captureId: string | null;
  source: CaptureSource | null;
  path: CapturePath | null;
  startedAtMs: number | null;
  /** For a replay: fraction of the file processed, 0..1. */
  progress: number | null;
  error: string | null;
  helper: HelperState;
  helperRestarts: number;
  /** The capture reads the demo file shipped with Netmon (`capture.demo`, `serve --demo`, or a replay of that file): its alerts are never sent. */
  demo: boolean;
  /**
   * Grows with every change of this status while the server runs. Statuses reach a client by more than one path
   * (pushed events, answers to requests, an HTTP upload's answer), which can overtake each other: a client keeps
   * the status with the highest revision.
   */
  revision: number;
}

export interface PrivilegeStatus {
  canCapture: boolean;
  /** What a user runs once in a terminal to grant capture rights. */
  grantCommand: string;
  /** Why capture is not possible, in words for the user. */
  reason: string | null;
  /** The installed netmon-capture is older than this build: "capture rights need updating", and granting them again fixes it. */
  outdated: boolean;
}

// ---------------------------------------------------------------- rollups

export interface ByteCount {
  bytes: number;
  packets: number;
}

export interface InterfaceSecond {
  iface: string;
  in: ByteCount;
  out: ByteCount;
  /** Drops during that second: by the kernel (pcap_stats) and by the helper's bounded queues. */
  kernelDrops: number;
  helperDrops: number;
}

export interface HostRate {
  ip: string;
  name: string | null;
  bytes: number;
  packets: number;
  /** Country and network of the address (absent when main has no geo database). */
  geo?: GeoInfo;
  /** The probe that saw it (`serve --nats`); absent for a local capture. */
  probe?: string;
}

export interface FlowRate {
  flowId: string;
  label: string;
  bytes: number;
  packets: number;
  probe?: string;
}

/** TCP quality during one second: totals, and the flows it happened in (bounded). */
export interface QualitySecond {
  retransmissions: number;
  /** Handshakes completed, and the sum of their RTTs (both sides at the capture point), milliseconds. */
  handshakes: number;
  rttSumMs: number;
  flows: { flowId: string; retransmissions: number; rttMs: number | null }[];
}

/** One second of traffic, pushed once a second while a capture runs. */
export interface RollupTick {
  captureId: string;
  /** Start of the second. */
  tsMs: number;
  interfaces: InterfaceSecond[];
  protocols: Record<FlowProto, ByteCount>;
  /** Bounded top-K by bytes during the second. */
  topHosts: HostRate[];
  topFlows: FlowRate[];
  activeFlows: number;
  newFlows: number;
  /** Absent from sources that do not analyse TCP (older history). */
  quality?: QualitySecond;
}

// ---------------------------------------------------------------- country and network

/** Address blocks that belong to no country or network (IANA special-purpose registries). */
export type SpecialRange =
  | 'private' // RFC 1918
  | 'shared' // RFC 6598 carrier-grade NAT
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'unique-local' // fc00::/7
  | 'unspecified'
  | 'this-network'
  | 'reserved';

/** Where a public address is registered, from the offline databases; `special` instead for the blocks above. */
export interface GeoInfo {
  /** ISO 3166-1 alpha-2 code. */
  country: string | null;
  asn: number | null;
  asName: string | null;
  special: SpecialRange | null;
}

/** Traffic of the capture per country and per AS of each flow's remote end (B, or A when only A is public). */
export interface GeoBreakdown {
  countries: { country: string; bytes: number; flows: number }[];
  networks: { asn: number; asName: string | null; bytes: number; flows: number }[];
  /** Flows whose remote end is in a special range, or public but in no database record. */
  special: { bytes: number; flows: number };
  unknown: { bytes: number; flows: number };
  /** The database files in use. */
  sources: { country: string; asn: string };
}

/** Windows of the web sections: the last 10 s, the last 60 s, the whole capture session. */
export type WebSectionWindow = '10s' | '60s' | 'session';

/**
 * Plaintext HTTP requests per host (the Host header, else the server address) and per section (the
 * first path segment, query cut off) over a window of the current capture: top 25 hosts, top 10
 * sections each.
 */
export interface WebSections {
  window: WebSectionWindow;
  /** End of the window, ms since the epoch (the newest packet of a replay); null when nothing was captured. */
  toMs: number | null;
  /** Requests in the window; `dropped` of them had a host/section pair a full bound could not keep. */
  requests: number;
  dropped: number;
  hosts: { host: string; requests: number; sections: { section: string; requests: number }[] }[];
  /** Hosts in the window beyond those listed. */
  moreHosts: number;
  /** TLS/QUIC/DTLS ClientHellos of the session: encrypted web traffic, which shows no sections. */
  encryptedHellos: number;
}

// ---------------------------------------------------------------- applications

/** A remote host an application talked to, with the name learnt for it (DNS, SNI, HTTP Host) if any. */
export interface ApplicationHost {
  host: string;
  name: string | null;
  bytes: number;
  flows: number;
}

/** One application's traffic (src-main/core/applications.ts): its label, the process it last stood for, bytes each
 *  way as the process sent and received them, and its top remote hosts by bytes. */
export interface ApplicationUsage {
  label: string;
  system: boolean;
  uid: number | null;
  user: string | null;
  exe: string | null;
  /** Process ids seen, most recent first (at most 20). */
  pids: number[];
  bytesIn: number;
  bytesOut: number;
  flows: number;
  /** Of `flows`, those still open. */
  activeFlows: number;
  lastSeenMs: number | null;
  /** At most 5, most bytes first. */
  topHosts: ApplicationHost[];
}

export interface ApplicationsQuery {
  /** A capture session's id or `*` for every one; absent: the current session (as flows.query). */
  session?: string;
  /** Only flows seen during the last `windowSec` seconds. */
  windowSec?: number;
}

export interface ApplicationsReport {
  /** The session reported (`*`: every session), or null when there is none yet. */
  session: string | null;
  fromMs: number | null;
  /** At most 100, most bytes first. */
  applications: ApplicationUsage[];
  /** Applications left out of the list. */
  omitted: number;
  /** Flows no process was found for (and their bytes). */
  unattributed: { bytes: number; flows: number };
  /** More active flows than a report reads (100 000): the rest were left out. */
  truncated: boolean;
  /** Whether flows can carry their process here: only live captures on Linux do. */
  attribution: 'available' | 'capture-file' | 'unsupported-platform';
}

// ---------------------------------------------------------------- flows

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
import type { FlowCursor, FlowFilter, FlowSortKey } from '../../src-shared/flow-query';
export type { FlowCursor, FlowFilter, FlowSortKey };
export { ALL_SESSIONS } from '../../src-shared/flow-query';

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
export interface FlowDelta {
  captureId: string;
  tsMs: number;
  updated: FlowSummary[];
  finished: FlowSummary[];
  /** Changed flows left out of this delta because of its size bound. */
  omitted: number;
}

// ---------------------------------------------------------------- counters and stats

export interface CounterQuery {
  fromMs: number;
  toMs: number;
  /** Seconds per point; the server picks the 1 s, 1 min or 1 h store that serves it and sums into the step. */
  stepSec: number;
  /** All interfaces when absent. */
  iface?: string;
}

export interface CounterPoint {
  tsMs: number;
  in: ByteCount;
  out: ByteCount;
  kernelDrops: number;
  helperDrops: number;
}

export interface CounterSeries {
  iface: string | null;
  stepSec: number;
  /** Resolution of the store the points were computed from. */
  sourceStepSec: 1 | 60 | 3600;
  points: CounterPoint[];
}

export interface InterfaceStats {
  iface: string;
  in: ByteCount;
  out: ByteCount;
  kernelDrops: number;
  helperDrops: number;
}

export interface Stats {
  uptimeSec: number;
  capture: CaptureStatus;
  /** Start of the last second the totals include (the `tsMs` of its tick), null before the first: lets a view
   *  show totals and per-second rates of the same second. */
  lastTickMs?: number | null;
  interfaces: InterfaceStats[];
  protocols: Record<FlowProto, ByteCount>;
  activeFlows: number;
  finishedFlows: number;
  /** Flows evicted from the helper's full table. */
  evictedFlows: number;
  /** What main's own bounded buffers dropped, by buffer name. */
  mainDrops: Record<string, number>;
}

// ---------------------------------------------------------------- probes (serve --nats)

/** joining: first heard within the last seconds; lagging: late or silent for seconds; gone: silent past the limit. */
export type ProbeState = 'joining' | 'live' | 'lagging' | 'gone';

export interface ProbeStatus {
  name: string;
  state: ProbeState;
  firstSeenMs: number;
  lastSeenMs: number;
  /** How far behind its latest rollup arrived (arrival minus the end of the second it covers). */
  lagMs: number;
  /** Its capture session, capture state and interfaces (as the dashboard names them: `<probe>/<interface>`). */
  session: string | null;
  captureState: 'starting' | 'running' | 'stopped' | 'failed';
  interfaces: string[];
  /** Totals of its rollups received during serve's current aggregation. */
  packets: number;
  bytes: number;
  messages: number;
  /** Holes in its message sequence, and the messages they held: never filled in. */
  gaps: number;
  missedMessages: number;
  /** Silences longer than the heartbeat allows (the bus or the probe was away). */
  silences: number;
  /** Times it started again (a new boot of the probe). */
  restarts: number;
  /** What the probe itself reports: messages dropped from its reconnect buffer, reconnections. */
  probeDropped: number;
  probeReconnects: number;
  lastError: string | null;
}

export interface NameEntry {
  ip: string;
  names: { name: string; source: 'dns' | 'sni' | 'http' }[];
}

// ---------------------------------------------------------------- settings

// The settings are inferred from their schema (src-shared/settings-schema.ts), which documents each one.
export type { LogLevel, Settings } from '../../src-shared/settings-schema';
import type { Settings } from '../../src-shared/settings-schema';

/** A partial update: every given leaf is validated, and nothing is applied unless all are valid. */
export type SettingsPatch = { [S in keyof Settings]?: Partial<Settings[S]> };

/** Where a settings change goes, and which settings the dashboard cannot change (with why). */
export interface SettingsInfo {
  /** The settings file changes are written to; null: changes last until the process stops (serve without --config). */
  file: string | null;
  /** Settings (`section.key`) set only in the settings file, the environment or a flag: they name files or how serve is reached. */
  fileOnly: string[];
  /** Settings (`section.key`) the environment or a command-line flag set for this run. */
  overridden: string[];
}

// ---------------------------------------------------------------- alerts
// The alert engine (src-main/core/alerts/) uses these shapes as they are and adds their validation.

// A rule's shapes are inferred from its schema (src-shared/alert-rule-schema.ts), which documents each field.
export type { AlertMetric, AlertRuleInput, AlertScope, AlertSeverity } from '../../src-shared/alert-rule-schema';
import type { AlertMetric, AlertRuleInput, AlertScope, AlertSeverity } from '../../src-shared/alert-rule-schema';

export interface AlertRule extends AlertRuleInput {
  id: string;
}

/** A rule as listed: with whether it is firing right now. */
export interface AlertRuleState extends AlertRule {
  firing: boolean;
}

export type AlertChannelKind = 'desktop' | 'discord' | 'webhook' | 'command';

interface AlertChannelCommon {
  name: string;
  enabled: boolean;
  /** Sustained sends per minute; bursts of up to `burst` go out at once. */
  ratePerMinute: number;
  burst: number;
}

/** A notification channel (docs/alerts.md): the desktop, a Discord webhook, a JSON webhook or a command. */
export type AlertChannelSpec = AlertChannelCommon & (
  | { kind: 'desktop' }
  | { kind: 'discord'; url: string }
  | { kind: 'webhook'; url: string; headers: Record<string, string> }
  | { kind: 'command'; argv: string[]; timeoutSec: number }
);

export type AlertChannel = AlertChannelSpec & { id: string };

/** What a create or update sends: defaults apply to omitted fields; `id` is optional on create (a slug). */
export type AlertChannelInput = Partial<AlertChannelCommon> & { id?: string } & (
  | { kind: 'desktop' }
  | { kind: 'discord'; url: string }
  | { kind: 'webhook'; url: string; headers?: Record<string, string> }
  | { kind: 'command'; argv: string[]; timeoutSec?: number }
);

/** A channel's delivery health, for the dashboard. */
export interface AlertChannelStatus {
  channelId: string;
  name: string;
  kind: AlertChannelKind;
  enabled: boolean;
  state: 'idle' | 'ok' | 'retrying' | 'failing';
  queued: number;
  delivered: number;
  /** Notifications given up after their attempts or a permanent error. */
  failed: number;
  /** Notifications dropped because the queue was full or the channel closed. */
  dropped: number;
  attempts: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
}

/** A top host at the moment of the event, rates per second; in/out only when the source told the direction. */
export interface TalkerHost {
  address: string;
  name?: string;
  bps: number;
  pps: number;
  bpsIn?: number;
  bpsOut?: number;
  ppsIn?: number;
  ppsOut?: number;
}

export interface TalkerFlow {
  protocol: FlowProto;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  name?: string;
  bps: number;
  pps: number;
  bpsIn?: number;
  bpsOut?: number;
  ppsIn?: number;
  ppsOut?: number;
}

/** A rule firing or recovering, as kept in the history and sent to the dashboard and the notification channels. */
export interface AlertEvent {
  id: number;
  kind: 'firing' | 'recovered';
  /** Timestamp of the sample that triggered the event, ms since the epoch. */
  ts: number;
  ruleId: string;
  /** The rule as it was when the event happened, so history survives edits. */
  ruleName: string;
  metric: AlertMetric;
  direction: Direction | 'both';
  scope: AlertScope;
  comparison: 'above' | 'below';
  severity: AlertSeverity;
  threshold: number;
  recoveryThreshold: number;
  windowSec: number;
  /** The windowed value compared with the threshold. */
  value: number;
  /** One line a person reads, e.g. "Upload bit rate 23.4 Mbit/s above 10 Mbit/s (10 s average)". */
  summary: string;
  topHosts: TalkerHost[];
  topFlows: TalkerFlow[];
  /** Why the event went to no channel: 'demo' while the demo capture plays (absent: sent to its rule's channels). */
  notSent?: 'demo';
}

// ---------------------------------------------------------------- export

export interface ExportRequest {
  format: 'pcapng' | 'pcap';
  /** The selected flows, or every flow matching `filter` when absent. */
  flowIds?: string[];
  filter?: FlowFilter;
  fromMs?: number;
  toMs?: number;
}

export interface ExportSummary {
  exportId: string;
  packets: number;
  bytes: number;
  /** Packets of the selected flows that had already left the spool. */
  missingPackets: number;
  /** Where main wrote the file (Electron), or the download URL (serve mode). */
  location: string;
}

export interface ExportProgress {
  exportId: string;
  packets: number;
  bytes: number;
  /** Packets the export will hold at most (an upper bound when a time range cuts through the spool). */
  packetsTotal: number;
  /** Packets of the selection that had left the spool (known when done). */
  missingPackets: number;
  cancelled: boolean;
  /** Why the export stopped, when it failed. */
  error: string | null;
  done: boolean;
}
