/**
 * The one definition of what a flow filter and a flow sort mean, compiled once to a predicate over flow objects
 * (main's live flows, the dashboard's rows) and to SQL over the history's finished-flow log, so the table, the API
 * and the history agree on which flows match and in which order. Pure TypeScript: main and the dashboard import it.
 *
 * Keyset pagination: a page ends with a cursor (the last row's sort value and id); the next page is the rows after
 * it in the same order, so a deep page costs what the first does.
 *
 * Why one file of this length: every field a filter or a sort reads is written twice, over flow objects and in SQL
 * over the same column map (`FLOW_LOG_COLUMNS`), and the sort reuses the filter's readings (shown state, names,
 * endpoints); kept side by side, the two spellings of a field cannot drift apart unseen.
 */
import type { FlowReader, FlowSide, FlowStateName, OptionalReading, QueryableGeo } from './flow-reader';
import type { Cidr } from './ip';
import { cidrContains, isCidr, parseCidr, parseIpCached } from './ip';
import type { FlowProtocol } from './protocols';

export type { FlowReader, FlowStateName, QueryableGeo } from './flow-reader';
/** The state a person reads in the table: the wire state while the flow lives, then "ended". */
export type ShownFlowState = FlowStateName | 'ended';

/** The fields a filter and a sort read (main's FlowSummary has them all). */
export interface QueryableFlow {
  id: string;
  iface: string;
  proto: FlowProtocol;
  a: string;
  aPort: number | null;
  b: string;
  bPort: number | null;
  names: { a: string | null; b: string | null; sni: string | null; httpHost: string | null; dnsQuery: string | null; name: string | null };
  aToB: { bytes: number; packets: number };
  bToA: { bytes: number; packets: number };
  firstSeenMs: number;
  lastSeenMs: number;
  state: FlowStateName;
  bpsAToB: number;
  bpsBToA: number;
  active: boolean;
  /** The probe that saw it (`serve --nats`). */
  probe?: string;
  /** Country and network of each endpoint, when main has looked them up. */
  geo?: { a: QueryableGeo; b: QueryableGeo };
  /** TCP connection quality (live and replayed TCP flows). */
  quality?: { rttMs: number | null; retransmissions: number };
  /** The local process of the flow (Linux live captures), by the label people read: `curl`, `system (user 0)`. */
  app?: { label: string };
}

export interface FlowFilter {
  /** Free text, case-insensitive, in what the table shows of a flow: its endpoints (`10.0.0.1:443`,
   *  `[2001:db8::1]:80`), names, protocol, shown state and interface. */
  text?: string;
  proto?: FlowProtocol[];
  /** An address or a CIDR block (IPv4 or IPv6); either endpoint may match. */
  ip?: string;
  /** Either endpoint's port. */
  port?: number;
  /** Either endpoint's port within one of these inclusive ranges. */
  ports?: Array<[number, number]>;
  /** Substring of any name of the flow (case-insensitive). */
  name?: string;
  /** The wire state (a flow keeps its last one after it ended). */
  state?: FlowStateName[];
  /** The state as the table shows it: `ended` for every flow no longer live, the others for live flows. */
  shown?: ShownFlowState[];
  iface?: string;
  /** Only flows one probe saw (`serve --nats`). */
  probe?: string;
  /** ISO country code of either endpoint (case-insensitive), or a special range name such as 'private'. */
  country?: string;
  /** AS number of either endpoint. */
  asn?: number;
  /** The flow's application label, exact and case-insensitive (`curl`, `system (user 0)`). */
  application?: string;
  /**
   * Only flows of this capture session (`CaptureSession.id`), or `'*'` for every session. `flows.query` reads an
   * absent session as the current one (the capture running or last run), so a table shows its own capture's flows.
   */
  session?: string;
  /** Only these flows. */
  ids?: string[];
  /** Only flows seen within this range (lastSeen >= fromMs, firstSeen <= toMs). */
  fromMs?: number;
  toMs?: number;
}

export type FlowSortKey =
  | 'bytes'
  | 'packets'
  | 'bytesAB'
  | 'bytesBA'
  | 'packetsAB'
  | 'packetsBA'
  | 'rate'
  | 'firstSeen'
  | 'lastSeen'
  | 'a'
  | 'b'
  | 'aPort'
  | 'bPort'
  | 'proto'
  | 'state'
  | 'name'
  | 'rtt'
  | 'retransmissions'
  | 'application';

export const FLOW_SORT_KEYS: readonly FlowSortKey[] = [
  'bytes', 'packets', 'bytesAB', 'bytesBA', 'packetsAB', 'packetsBA', 'rate', 'firstSeen', 'lastSeen', 'a', 'b', 'aPort',
  'bPort', 'proto', 'state', 'name', 'rtt', 'retransmissions', 'application',
];

export interface FlowSort {
  key: FlowSortKey;
  dir: 'asc' | 'desc';
}

/** Where a page ended: the last row's sort value and id. The next page starts after it. */
export interface FlowCursor {
  value: number | string;
  id: string;
}

/** `FlowFilter.session` value for flows of every session. */
export const ALL_SESSIONS = '*';

/** A filter value that cannot be searched (`path` names the field). */
export class FlowFilterError extends Error {
  override readonly name = 'FilterError';
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** How the finished-flow log stores what the filter and sort read; `active` is an expression (the log's flows have
 *  all ended). */
export const FLOW_LOG_COLUMNS = {
  id: 'flow_id',
  iface: 'iface',
  proto: 'proto',
  a: 'a',
  aBin: 'a_bin',
  aPort: 'a_port',
  b: 'b',
  bBin: 'b_bin',
  bPort: 'b_port',
  nameA: 'a_name',
  nameB: 'b_name',
  sni: 'sni',
  httpHost: 'http_host',
  dnsQuery: 'dns_query',
  name: 'name',
  firstMs: 'first_ms',
  lastMs: 'last_ms',
  state: 'state',
  bytesAB: 'bytes_ab',
  bytesBA: 'bytes_ba',
  packetsAB: 'packets_ab',
  packetsBA: 'packets_ba',
  session: 'session_id',
  rtt: 'rtt_ms',
  retransmissions: 'retransmissions',
  appLabel: 'app_label',
  /** A free-text match (one `?`, the lower-case text): the rows whose logged text (the narrow flow_text table, which
   *  a scan reads far faster than the log's wide rows) holds it, looked up as one set. */
  textMatch: 'flow_log.rowid IN (SELECT id FROM flow_text WHERE instr(text, ?) > 0)',
  active: '0',
  /** A function of the history's connection: 1 when either address (a, b) is in the country (lower case, or a
   *  special range name) and the AS given (NULL: any). */
  geoMatch: 'netmon_geo_match',
} as const;

type Columns = { readonly [K in keyof typeof FLOW_LOG_COLUMNS]: string };

export interface SqlClause {
  /** `WHERE ...`, or '' when nothing is filtered. */
  where: string;
  params: unknown[];
}

export interface CompiledFlowFilter<R = QueryableFlow> {
  matches(flow: R): boolean;
  /** The same filter over the finished-flow log. */
  sql: SqlClause;
  /** False when the filter lets every flow through. */
  active: boolean;
}

/** What a flow's free text search looks in. */
export function endpointText(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function shownState(f: QueryableFlow): ShownFlowState {
  return f.active ? f.state : 'ended';
}

/** The flow's name by evidence (what it said itself, else a DNS answer seen before it started). */
export function primaryName(f: QueryableFlow): string | null {
  return f.names.name ?? f.names.sni ?? f.names.httpHost ?? f.names.dnsQuery ?? f.names.b ?? f.names.a;
}

/** Every distinct name of the flow, best first. */
export function flowNameList(f: QueryableFlow): string[] {
  const out: string[] = [];
  for (const n of nameFields(f)) if (n && !out.includes(n)) out.push(n);
  return out;
}

function nameFields(f: QueryableFlow): (string | null)[] {
  return [f.names.name, f.names.sni, f.names.httpHost, f.names.dnsQuery, f.names.b, f.names.a];
}

/** Search words of an endpoint's place: `country:de as:3320 <AS name>`, or `country:<range>` for a special range. */
function geoWords(g: QueryableGeo): string {
  if (g.special !== null) return `country:${g.special}`;
  return `${g.country ? `country:${g.country}` : ''} ${g.asn === null ? '' : `as:${g.asn} ${g.asName ?? ''}`}`;
}

const textCache = new WeakMap<QueryableFlow, string>();

/** The text a free-text search looks in, lower case: what the table shows, the application's label included. Cached per flow object (a changed flow arrives as a new
 *  object), so typing in the search box does not rebuild 100k strings a keystroke. */
export function flowText(f: QueryableFlow): string {
  let t = textCache.get(f);
  if (t === undefined) {
    // Places are looked up per query, not stored: the history's text search (SQL) does not see them.
    const places = f.geo === undefined ? '' : ` ${geoWords(f.geo.a)} ${geoWords(f.geo.b)}`;
    t = `${shownText(f)}${places}`.toLowerCase();
    textCache.set(f, t);
  }
  return t;
}

/**
 * The text of an ended flow that the history's search looks in (flow_text, written with the row): flowText
 * without the places, so a search of the log reads one stored column instead of building the text of every row.
 */
export function loggedFlowText(f: QueryableFlow): string {
  return shownText({ ...f, active: false }).toLowerCase();
}

function shownText(f: QueryableFlow): string {
  const app = f.app === undefined ? '' : ` ${f.app.label}`;
  return `${endpointText(f.a, f.aPort)} ${endpointText(f.b, f.bPort)} ${flowNameList(f).join(' ')} ${f.proto} ${shownState(f)} ${f.iface}${app}`;
}

function sqlEndpoint(ip: string, port: string): string {
  return `(CASE WHEN ${port} IS NULL THEN ${ip} WHEN instr(${ip}, ':') > 0 THEN '[' || ${ip} || ']:' || ${port} ELSE ${ip} || ':' || ${port} END)`;
}

function sqlShownState(c: Columns): string {
  return `(CASE WHEN ${c.active} THEN ${c.state} ELSE 'ended' END)`;
}

/** loggedFlowText in SQL over flow_log's columns (names deduplicated as `flowNameList` does): the text of rows logged
 *  before their text was kept. */
export function loggedFlowTextSql(): string {
  const c = FLOW_LOG_COLUMNS;
  const order = [c.name, c.sni, c.httpHost, c.dnsQuery, c.nameB, c.nameA];
  const distinct = order.map((col, i) => {
    const earlier = order.slice(0, i).map((e) => `${col} = ${e}`);
    return earlier.length === 0 ? `NULLIF(${col}, '')` : `CASE WHEN ${earlier.join(' OR ')} THEN NULL ELSE NULLIF(${col}, '') END`;
  });
  const names = `concat_ws(' ', ${distinct.join(', ')})`;
  return `lower(${sqlEndpoint(c.a, c.aPort)} || ' ' || ${sqlEndpoint(c.b, c.bPort)} || ' ' || ${names} || ' ' || ${c.proto} || ' ' || ${sqlShownState(c)} || ' ' || ${c.iface} || COALESCE(' ' || ${c.appLabel}, ''))`;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The lowest and highest 16-byte address of a CIDR block, for a range search over stored address bytes. */
function cidrBounds(cidr: Cidr): { lo: Uint8Array; hi: Uint8Array } {
  const lo = Uint8Array.from(cidr.bytes);
  const hi = Uint8Array.from(cidr.bytes);
  for (let bit = cidr.bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte] &= ~mask;
    hi[byte] |= mask;
  }
  return { lo, hi };
}

/**
 * Compiles a filter to a predicate over flow objects and to SQL over `columns`. Throws FlowFilterError for a value
 * that cannot be searched (a bad CIDR, a range that runs backwards).
 */
export function compileFlowFilter(filter: FlowFilter, c: Columns = FLOW_LOG_COLUMNS): CompiledFlowFilter {
  return compileFlowFilterOver(filter, FLOW_OBJECT_READER, c);
}

/** A reading the store must offer for a field; the field is refused when it does not. */
function need<R, K extends OptionalReading>(reader: FlowReader<R>, reading: K, field: string): NonNullable<FlowReader<R>[K]> {
  const read = reader[reading];
  if (read === undefined) throw new FlowFilterError(field, `${reader.store} does not answer ${field}`);
  return read.bind(reader) as NonNullable<FlowReader<R>[K]>;
}

function shownStateOver<R>(reader: FlowReader<R>, r: R): ShownFlowState {
  return reader.active(r) ? reader.state(r) : 'ended';
}

/**
 * `compileFlowFilter` over any store: the predicate reads the flow behind a handle through `reader` (the capture
 * helper tests its table's slots this way), the SQL is the same.
 */
export function compileFlowFilterOver<R>(filter: FlowFilter, reader: FlowReader<R>, c: Columns = FLOW_LOG_COLUMNS): CompiledFlowFilter<R> {
  const tests: Array<(f: R) => boolean> = [];
  const clauses: string[] = [];
  const params: unknown[] = [];
  const inList = (expr: string, values: readonly unknown[]) => {
    clauses.push(`${expr} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  const eitherSide = (test: (side: FlowSide) => boolean) => test('a') || test('b');

  if (filter.ids !== undefined) {
    const ids = new Set(filter.ids);
    const idOf = need(reader, 'id', 'ids');
    tests.push((f) => ids.has(idOf(f)));
    if (filter.ids.length === 0) clauses.push('0');
    else inList(c.id, filter.ids);
  }
  if (filter.proto !== undefined && filter.proto.length > 0) {
    const protos = new Set<string>(filter.proto);
    tests.push((f) => protos.has(reader.proto(f)));
    inList(c.proto, filter.proto);
  }
  if (filter.state !== undefined && filter.state.length > 0) {
    const states = new Set<string>(filter.state);
    tests.push((f) => states.has(reader.state(f)));
    inList(c.state, filter.state);
  }
  if (filter.shown !== undefined && filter.shown.length > 0) {
    const shown = new Set<string>(filter.shown);
    tests.push((f) => shown.has(shownStateOver(reader, f)));
    inList(sqlShownState(c), filter.shown);
  }
  if (filter.ip !== undefined) {
    const cidr = parseCidr(filter.ip);
    if (!isCidr(cidr)) throw new FlowFilterError('ip', cidr.error);
    tests.push((f) => reader.inCidr(f, 'a', cidr) || reader.inCidr(f, 'b', cidr));
    // A range of the endpoint sort keys (an address's 16 bytes in lower-case hex, ':', the port), so the endpoint
    // sort indexes serve the block too: a key of the block's first address with any port is past `lo:`, of its last
    // before `hi:~`; a text that is no address sorts after every hex key.
    const { lo, hi } = cidrBounds(cidr);
    const [from, to] = [`${hex(lo)}:`, `${hex(hi)}:~`];
    clauses.push(`(${flowSortSql('a', c)} BETWEEN ? AND ? OR ${flowSortSql('b', c)} BETWEEN ? AND ?)`);
    params.push(from, to, from, to);
  }
  if (filter.port !== undefined) {
    const port = filter.port;
    tests.push((f) => eitherSide((side) => reader.port(f, side) === port));
    clauses.push(`(${c.aPort} = ? OR ${c.bPort} = ?)`);
    params.push(port, port);
  }
  if (filter.ports !== undefined && filter.ports.length > 0) {
    const ranges = filter.ports;
    for (const [lo, hi] of ranges) if (lo > hi) throw new FlowFilterError('ports', `port range ${lo}-${hi} runs backwards`);
    const inRanges = (p: number | null) => p !== null && ranges.some(([lo, hi]) => p >= lo && p <= hi);
    tests.push((f) => eitherSide((side) => inRanges(reader.port(f, side))));
    clauses.push(`(${ranges.map(() => `${c.aPort} BETWEEN ? AND ? OR ${c.bPort} BETWEEN ? AND ?`).join(' OR ')})`);
    for (const [lo, hi] of ranges) params.push(lo, hi, lo, hi);
  }
  const name = filter.name?.toLowerCase() ?? '';
  if (name !== '') {
    const namesOf = need(reader, 'names', 'name');
    tests.push((f) => namesOf(f).some((n) => n.toLowerCase().includes(name)));
    const cols = [c.name, c.nameA, c.nameB, c.sni, c.httpHost, c.dnsQuery];
    clauses.push(`(${cols.map((col) => `instr(lower(${col}), ?) > 0`).join(' OR ')})`);
    params.push(...cols.map(() => name));
  }
  const text = filter.text?.trim().toLowerCase() ?? '';
  if (text !== '') {
    const textOf = need(reader, 'text', 'text');
    tests.push((f) => textOf(f).includes(text));
    clauses.push(c.textMatch);
    params.push(text);
  }
  if (filter.iface !== undefined) {
    const iface = filter.iface;
    const ifaceOf = need(reader, 'iface', 'iface');
    tests.push((f) => ifaceOf(f) === iface);
    clauses.push(`${c.iface} = ?`);
    params.push(iface);
  }
  if (filter.probe !== undefined) {
    const probe = filter.probe;
    const probeOf = need(reader, 'probe', 'probe');
    tests.push((f) => probeOf(f) === probe);
    // A probe's flows are logged under its interfaces, `<probe>/<interface>`.
    clauses.push(`substr(${c.iface}, 1, ?) = ?`);
    params.push(probe.length + 1, `${probe}/`);
  }
  if (filter.country !== undefined || filter.asn !== undefined) {
    const country = filter.country?.toLowerCase();
    const asn = filter.asn;
    const geoOf = need(reader, 'geo', filter.country !== undefined ? 'country' : 'asn');
    // One endpoint must meet every condition given.
    const inPlace = (g: QueryableGeo): boolean =>
      (country === undefined || g.country?.toLowerCase() === country || g.special === country) && (asn === undefined || g.asn === asn);
    tests.push((f) => {
      const geo = geoOf(f);
      return geo !== undefined && (inPlace(geo.a) || inPlace(geo.b));
    });
    clauses.push(`${c.geoMatch}(${c.a}, ${c.b}, ?, ?) = 1`);
    params.push(country ?? null, asn ?? null);
  }
  if (filter.application !== undefined) {
    const label = filter.application.toLowerCase();
    const appOf = need(reader, 'appLabel', 'application');
    tests.push((f) => appOf(f)?.toLowerCase() === label);
    clauses.push(`lower(${c.appLabel}) = ?`);
    params.push(label);
  }
  if (filter.session !== undefined && filter.session !== ALL_SESSIONS) {
    // Flow ids are `session:n`.
    const prefix = `${filter.session}:`;
    const idOf = need(reader, 'id', 'session');
    tests.push((f) => idOf(f).startsWith(prefix));
    clauses.push(`${c.session} = ?`);
    params.push(filter.session);
  }
  if (filter.fromMs !== undefined) {
    const from = filter.fromMs;
    tests.push((f) => reader.lastSeenMs(f) >= from);
    clauses.push(`${c.lastMs} >= ?`);
    params.push(from);
  }
  if (filter.toMs !== undefined) {
    const to = filter.toMs;
    tests.push((f) => reader.firstSeenMs(f) <= to);
    clauses.push(`${c.firstMs} <= ?`);
    params.push(to);
  }
  return {
    matches: (f) => {
      for (const t of tests) if (!t(f)) return false;
      return true;
    },
    sql: { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params },
    active: tests.length > 0,
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Sort key of an endpoint: addresses in numeric order (10.0.0.9 before 10.0.0.10, IPv4 before most IPv6), then
 *  port (none first). Fixed-width hex, so comparing the strings compares the numbers. */
function endpointKey(ip: string, port: number | null): string {
  const bytes = parseIpCached(ip);
  let k: string;
  if (bytes !== null) {
    k = '';
    for (let i = 0; i < 16; i++) k += HEX[bytes[i]];
  } else k = `~${ip}`;
  return `${k}:${String(endpointPortKey(port)).padStart(5, '0')}`;
}

function endpointPortKey(port: number | null): number {
  return port === null ? 0 : port + 1;
}

/** Numbers per endpoint in `endpointSortWords`. */
export const ENDPOINT_SORT_WORDS = 5;

/**
 * `endpointKey` as five numbers at `out[at..at+5]`, in the same order when compared one after the other: the
 * address's four big-endian words (IPv4 as mapped IPv6), then the port + 1 (0: none). For a store that holds
 * addresses as words (the capture helper's table), so an endpoint sort compares numbers instead of building text.
 */
export function endpointSortWords(addressWords: ArrayLike<number>, wordsAt: number, port: number | null, out: Uint32Array, at: number): void {
  for (let i = 0; i < 4; i++) out[at + i] = addressWords[wordsAt + i];
  out[at + 4] = endpointPortKey(port);
}

/** `endpointKey` of an endpoint given by `endpointSortWords`. */
export function endpointKeyOfWords(words: Uint32Array, at: number): string {
  let k = '';
  for (let i = 0; i < 4; i++) k += words[at + i].toString(16).padStart(8, '0');
  return `${k}:${String(words[at + 4]).padStart(5, '0')}`;
}

/** The side whose endpoint a sort key orders by, or null for the other keys. */
export function endpointSortSide(key: FlowSortKey): FlowSide | null {
  return key === 'a' || key === 'b' ? key : null;
}

function sqlEndpointKey(bin: string, ip: string, port: string): string {
  return `(COALESCE(lower(hex(${bin})), '~' || ${ip}) || ':' || substr('00000' || COALESCE(${port} + 1, 0), -5))`;
}

/** A flow without a name sorts after every name. */
const NO_NAME = '\uffff';

/** The value a flow sorts by: numbers for counts and times, strings for the rest. */
export function flowSortValue(f: QueryableFlow, key: FlowSortKey): number | string {
  let read = objectSortValues.get(key);
  if (read === undefined) {
    read = flowSortValueOver(FLOW_OBJECT_READER, key);
    objectSortValues.set(key, read);
  }
  return read(f);
}

const objectSortValues = new Map<FlowSortKey, (f: QueryableFlow) => number | string>();

/**
 * `flowSortValue` over any store: the reading of a key's value through `reader`. Throws FlowFilterError for a key
 * the store cannot answer.
 */
export function flowSortValueOver<R>(reader: FlowReader<R>, key: FlowSortKey): (r: R) => number | string {
  const field = `sort ${key}`;
  switch (key) {
    case 'bytes':
      return (r) => reader.bytes(r, 'aToB') + reader.bytes(r, 'bToA');
    case 'packets':
      return (r) => reader.packets(r, 'aToB') + reader.packets(r, 'bToA');
    case 'bytesAB':
      return (r) => reader.bytes(r, 'aToB');
    case 'bytesBA':
      return (r) => reader.bytes(r, 'bToA');
    case 'packetsAB':
      return (r) => reader.packets(r, 'aToB');
    case 'packetsBA':
      return (r) => reader.packets(r, 'bToA');
    case 'rate':
      return need(reader, 'rate', field);
    case 'firstSeen':
      return (r) => reader.firstSeenMs(r);
    case 'lastSeen':
      return (r) => reader.lastSeenMs(r);
    case 'a':
      return (r) => reader.endpointKey(r, 'a');
    case 'b':
      return (r) => reader.endpointKey(r, 'b');
    case 'aPort':
      return (r) => reader.port(r, 'a') ?? -1;
    case 'bPort':
      return (r) => reader.port(r, 'b') ?? -1;
    case 'proto':
      return (r) => reader.proto(r);
    case 'state':
      return (r) => shownStateOver(reader, r);
    case 'name': {
      const nameOf = need(reader, 'primaryName', field);
      return (r) => nameOf(r)?.toLowerCase() ?? NO_NAME;
    }
    // Flows without a measure (not TCP, no handshake seen, the history's) sort below every measured one.
    case 'rtt': {
      const qualityOf = need(reader, 'quality', field);
      return (r) => qualityOf(r)?.rttMs ?? -1;
    }
    case 'retransmissions': {
      const qualityOf = need(reader, 'quality', field);
      return (r) => qualityOf(r)?.retransmissions ?? -1;
    }
    case 'application': {
      const appOf = need(reader, 'appLabel', field);
      return (r) => appOf(r)?.toLowerCase() ?? NO_NAME;
    }
    default:
      return assertNever(key);
  }
}

/** How flow objects (main's live flows, the dashboard's rows) answer the filter and the sort. */
export const FLOW_OBJECT_READER: FlowReader<QueryableFlow> = {
  store: 'a flow list',
  proto: (f) => f.proto,
  state: (f) => f.state,
  active: (f) => f.active,
  inCidr: (f, side, cidr) => {
    const bytes = parseIpCached(side === 'a' ? f.a : f.b);
    return bytes !== null && cidrContains(cidr, bytes);
  },
  port: (f, side) => (side === 'a' ? f.aPort : f.bPort),
  bytes: (f, dir) => f[dir].bytes,
  packets: (f, dir) => f[dir].packets,
  firstSeenMs: (f) => f.firstSeenMs,
  lastSeenMs: (f) => f.lastSeenMs,
  endpointKey: (f, side) => (side === 'a' ? endpointKey(f.a, f.aPort) : endpointKey(f.b, f.bPort)),
  id: (f) => f.id,
  iface: (f) => f.iface,
  probe: (f) => f.probe,
  names: flowNameList,
  primaryName,
  text: flowText,
  geo: (f) => f.geo,
  appLabel: (f) => f.app?.label,
  rate: (f) => f.bpsAToB + f.bpsBToA,
  quality: (f) => f.quality,
};

/** `flowSortValue` in SQL. A finished flow has no rate: 0. */
export function flowSortSql(key: FlowSortKey, c: Columns = FLOW_LOG_COLUMNS): string {
  switch (key) {
    case 'bytes':
      return `(${c.bytesAB} + ${c.bytesBA})`;
    case 'packets':
      return `(${c.packetsAB} + ${c.packetsBA})`;
    case 'bytesAB':
      return c.bytesAB;
    case 'bytesBA':
      return c.bytesBA;
    case 'packetsAB':
      return c.packetsAB;
    case 'packetsBA':
      return c.packetsBA;
    case 'rate':
      // An expression, not the literal 0 (which ORDER BY would read as a column number).
      return `(${c.bytesAB} * 0)`;
    case 'firstSeen':
      return c.firstMs;
    case 'lastSeen':
      return c.lastMs;
    case 'a':
      return sqlEndpointKey(c.aBin, c.a, c.aPort);
    case 'b':
      return sqlEndpointKey(c.bBin, c.b, c.bPort);
    case 'aPort':
      return `COALESCE(${c.aPort}, -1)`;
    case 'bPort':
      return `COALESCE(${c.bPort}, -1)`;
    case 'proto':
      return c.proto;
    case 'state':
      return sqlShownState(c);
    case 'name':
      return `COALESCE(lower(COALESCE(${c.name}, ${c.sni}, ${c.httpHost}, ${c.dnsQuery}, ${c.nameB}, ${c.nameA})), char(65535))`;
    case 'rtt':
      // As flowSortValue: a flow with no measured handshake sorts as -1.
      return `COALESCE(${c.rtt}, -1)`;
    case 'retransmissions':
      return `COALESCE(${c.retransmissions}, -1)`;
    case 'application':
      return `COALESCE(lower(${c.appLabel}), char(65535))`;
    default:
      return assertNever(key);
  }
}

/** Orders two (value, id) pairs: by value in the sort's direction, ties by id ascending so rows never swap. */
export function compareSortKeys(dir: 'asc' | 'desc', va: number | string, ida: string, vb: number | string, idb: string): number {
  if (va < vb) return dir === 'asc' ? -1 : 1;
  if (va > vb) return dir === 'asc' ? 1 : -1;
  return ida < idb ? -1 : ida > idb ? 1 : 0;
}

/** Sorts flows (a new array), each flow's value computed once. */
export function sortFlowList<T extends QueryableFlow>(flows: readonly T[], sort: FlowSort): T[] {
  const valueOf = flowSortValueOver<QueryableFlow>(FLOW_OBJECT_READER, sort.key);
  const values = flows.map(valueOf);
  const idx = flows.map((_, i) => i);
  idx.sort((i, j) => compareSortKeys(sort.dir, values[i], flows[i].id, values[j], flows[j].id));
  return idx.map((i) => flows[i]);
}

/** Whether a flow comes after the cursor in the sort's order. */
export function isAfterCursor(f: QueryableFlow, sort: FlowSort, cursor: FlowCursor): boolean {
  return compareSortKeys(sort.dir, flowSortValue(f, sort.key), f.id, cursor.value, cursor.id) > 0;
}

/**
 * ORDER BY for the sort, and the condition that keeps the rows after a cursor. The condition bounds the sort value
 * first (`value <= ?` going down), so SQLite reads the rows after the cursor from an index on the value instead of
 * testing every row. The rate of a logged flow is 0 for every row: that order is the id's alone, and how a cursor
 * (possibly of a live flow, with a rate) compares with 0 is decided here.
 */
export function flowOrderSql(sort: FlowSort, cursor: FlowCursor | undefined, c: Columns = FLOW_LOG_COLUMNS): { orderBy: string; after: SqlClause } {
  const desc = sort.dir === 'desc';
  if (sort.key === 'rate') {
    const orderBy = `ORDER BY ${c.id} ASC`;
    if (cursor === undefined) return { orderBy, after: { where: '', params: [] } };
    // Rows are (0, id): after the cursor when 0 comes after its value, or equals it and the id is greater.
    const zeroAfter = desc ? Number(cursor.value) > 0 : Number(cursor.value) < 0;
    if (zeroAfter) return { orderBy, after: { where: '', params: [] } };
    if (Number(cursor.value) !== 0) return { orderBy, after: { where: '0 = 1', params: [] } };
    return { orderBy, after: { where: `${c.id} > ?`, params: [cursor.id] } };
  }
  const value = flowSortSql(sort.key, c);
  const orderBy = `ORDER BY ${value} ${desc ? 'DESC' : 'ASC'}, ${c.id} ASC`;
  if (cursor === undefined) return { orderBy, after: { where: '', params: [] } };
  const [within, beyond] = desc ? ['<=', '<'] : ['>=', '>'];
  return {
    orderBy,
    after: { where: `(${value} ${within} ? AND (${value} ${beyond} ? OR ${c.id} > ?))`, params: [cursor.value, cursor.value, cursor.id] },
  };
}

/** The cursor that continues after this flow. */
export function cursorOf(f: QueryableFlow, key: FlowSortKey): FlowCursor {
  return { value: flowSortValue(f, key), id: f.id };
}

function assertNever(value: never): never {
  throw new Error(`unexpected sort key ${String(value)}`);
}
