import path from 'node:path';
import Database from 'better-sqlite3';
import type { CaptureSession, CaptureSessionKind } from '../api/types/capture';
import type {
  FlowApplication,
  FlowCursor,
  FlowFilter,
  FlowPage,
  FlowState,
  FlowSummary,
  NameSource,
} from '../api/types/flows';
import type { GeoInfo } from '../api/types/geo';
import type { RollupTick } from '../api/types/rollups';
import type { Settings } from '../api/types/settings';
import type { CounterPoint, CounterQuery } from '../api/types/stats';
import type { FlowProto } from '../api/types/traffic';
import type { FlowSort, FlowSortKey, SqlClause } from '../../src-shared/flow-query';
import { compileFlowFilter, cursorOf, FLOW_LOG_COLUMNS, flowOrderSql, flowSortSql, loggedFlowText } from '../../src-shared/flow-query';
import { parseIp } from '../../src-shared/ip';
import { bucketise } from './counter-series';
import { icmpKind } from './icmp-kind';
import { keepPrivate, makePrivateDir, touchPrivate } from './private-files';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** 2: capture sessions, and the session of each logged flow. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters_1m (
  iface TEXT NOT NULL, ts INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL, packets_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL, packets_out INTEGER NOT NULL,
  kernel_drops INTEGER NOT NULL, helper_drops INTEGER NOT NULL,
  PRIMARY KEY (iface, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters_1h (
  iface TEXT NOT NULL, ts INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL, packets_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL, packets_out INTEGER NOT NULL,
  kernel_drops INTEGER NOT NULL, helper_drops INTEGER NOT NULL,
  PRIMARY KEY (iface, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_1m_ts ON counters_1m (ts);
CREATE INDEX IF NOT EXISTS counters_1h_ts ON counters_1h (ts);
CREATE TABLE IF NOT EXISTS flow_log (
  rowid INTEGER PRIMARY KEY,
  flow_id TEXT NOT NULL, iface TEXT NOT NULL, vlan INTEGER, proto TEXT NOT NULL, ip_proto INTEGER NOT NULL,
  a TEXT NOT NULL, a_bin BLOB, a_port INTEGER, b TEXT NOT NULL, b_bin BLOB, b_port INTEGER,
  a_name TEXT, b_name TEXT, sni TEXT, http_host TEXT, dns_query TEXT, name TEXT, name_source TEXT, icmp_type INTEGER, icmp_code INTEGER,
  rtt_server_ms REAL, rtt_client_ms REAL, rtt_ms REAL, retransmissions INTEGER, out_of_order INTEGER, zero_windows INTEGER,
  first_ms REAL NOT NULL, last_ms REAL NOT NULL, state TEXT NOT NULL, tcp_flags INTEGER NOT NULL,
  bytes_ab INTEGER NOT NULL, packets_ab INTEGER NOT NULL, bytes_ba INTEGER NOT NULL, packets_ba INTEGER NOT NULL,
  session_id TEXT, app_label TEXT, app_pid INTEGER, app_exe TEXT, app_uid INTEGER, app_user TEXT, search_text TEXT);
CREATE INDEX IF NOT EXISTS flow_log_last ON flow_log (last_ms);
CREATE INDEX IF NOT EXISTS flow_log_a ON flow_log (a_bin);
CREATE INDEX IF NOT EXISTS flow_log_b ON flow_log (b_bin);
CREATE INDEX IF NOT EXISTS flow_log_id ON flow_log (flow_id);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, started_ms REAL NOT NULL, ended_ms REAL, error TEXT);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_ms);
`;

/** Version 1 logged flows without their session: the id's prefix names it (`session:n`); sessions are made from them. */
const MIGRATE_1_TO_2 = `
ALTER TABLE flow_log ADD COLUMN session_id TEXT;
UPDATE flow_log SET session_id = substr(flow_id, 1, instr(flow_id, ':') - 1) WHERE instr(flow_id, ':') > 1;
INSERT OR IGNORE INTO sessions (id, kind, source, started_ms, ended_ms)
  SELECT session_id, 'unknown', '', MIN(first_ms), MAX(last_ms) FROM flow_log WHERE session_id IS NOT NULL GROUP BY session_id;
`;

/**
 * Indexes on columns a migration adds: made after it. A session's flows are listed by the indexes that hold the
 * Flows view's orders (newest, largest, and the id order of the rate, which is 0 for every logged flow), each ending
 * with the id that breaks ties: a first page or a page after a cursor reads a hundred index entries, not the log.
 */
const SESSION_INDEXES = `
DROP INDEX IF EXISTS flow_log_session;
CREATE INDEX IF NOT EXISTS flow_log_session_last ON flow_log (session_id, last_ms DESC, flow_id);
CREATE INDEX IF NOT EXISTS flow_log_session_bytes ON flow_log (session_id, (bytes_ab + bytes_ba) DESC, flow_id);
`;

/** The sorts the session indexes hold (rate: the id order of flow_log_id). */
const INDEXED_SORTS: ReadonlySet<FlowSortKey> = new Set(['bytes', 'lastSeen', 'rate']);
const UNINDEXED_SESSION = { ...FLOW_LOG_COLUMNS, session: '+session_id' };

/**
 * Indexes in the endpoint orders, the Flows view's columns people sort by most after the indexed ones: each on the
 * sort's own SQL (flowSortSql), which SQLite must find written the same in ORDER BY to read the order from the
 * index, then the session, so a session's page is found in the index without reading the log's rows. Both
 * directions read one index (the few ties are ordered by id as they come).
 */
const ENDPOINT_SORT_INDEXES = (['a', 'b'] as const)
  .map((key) => `CREATE INDEX IF NOT EXISTS flow_log_sort_${key} ON flow_log (${flowSortSql(key)}, session_id);`)
  .join('\n');

/** The page cache of the history's connection, in KiB. */
const CACHE_KIB = 64 * 1024;

/** Counts of queries kept until the log changes: a scroll through a million rows asks the same count every page. */
const COUNTS_KEPT = 64;

/** Columns added to flow_log after schema version 1 was released; a database made before them gets them on open. */
const ADDED_FLOW_COLUMNS: readonly (readonly [string, string])[] = [
  ['dns_query', 'TEXT'],
  ['name', 'TEXT'],
  ['name_source', 'TEXT'],
  ['icmp_type', 'INTEGER'],
  ['icmp_code', 'INTEGER'],
  // TCP quality as the flow ended (NULL for other protocols and for flows logged before it was kept).
  ['rtt_server_ms', 'REAL'],
  ['rtt_client_ms', 'REAL'],
  ['rtt_ms', 'REAL'],
  ['retransmissions', 'INTEGER'],
  ['out_of_order', 'INTEGER'],
  ['zero_windows', 'INTEGER'],
  // The flow's local process (FlowSummary.app); NULL when not attributed.
  ['app_label', 'TEXT'],
  ['app_pid', 'INTEGER'],
  ['app_exe', 'TEXT'],
  ['app_uid', 'INTEGER'],
  ['app_user', 'TEXT'],
  // What the text search looks in (loggedFlowText), kept as the row is written.
  ['search_text', 'TEXT'],
];

interface CounterRow {
  ts: number;
  bytes_in: number;
  packets_in: number;
  bytes_out: number;
  packets_out: number;
  kernel_drops: number;
  helper_drops: number;
}

interface FlowRow {
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

export type HistoryResolution = 60 | 3600;

export interface RetentionResult {
  minuteRows: number;
  hourRows: number;
  flowRows: number;
  sessions: number;
}

/** The session of a flow id (`session:n`, as main names flows); null for an id without one. */
export function sessionOfFlowId(id: string): string | null {
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : null;
}

/** Thrown for a filter value that cannot be searched (reported to the caller as an 'invalid' error). */
export { FlowFilterError as FilterError } from '../../src-shared/flow-query';

/** An address as the 16-byte blob the flow log sorts and matches ranges by (IPv4 mapped); null when it is not one. */
function addressBlob(text: string): Buffer | null {
  const bytes = parseIp(text);
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Long-term history in SQLite: traffic counters downsampled to 1 minute and
 * 1 hour (added into both as each second arrives, so both are exact sums), and
 * the log of finished flows. Writes are grouped in one transaction per second.
 */
export class HistoryDb {
  private readonly db: Database.Database;
  private readonly addMinute: Database.Statement;
  private readonly addHour: Database.Statement;
  private readonly insertFlow: Database.Statement;
  private readonly recordTickTx: (tick: RollupTick) => void;
  private readonly recordFlowsTx: (flows: readonly FlowSummary[]) => void;
  /** Row counts by query (its WHERE and parameters), valid while `countsAt` is the log's change stamp. */
  private readonly counts = new Map<string, number>();
  private countsAt = '';
  private readonly changeStamp: () => string;
  /** Country and AS of an address, for `country`/`asn` filters on the log (main's geo databases). */
  private geoOf: ((ip: string) => GeoInfo) | null = null;

  constructor(readonly file: string) {
    const onDisk = file !== ':memory:';
    if (onDisk) {
      // Flows and webhook headers are private: the file is made 0600 before SQLite opens it, and
      // SQLite gives its WAL and shared-memory files the database's mode.
      makePrivateDir(path.dirname(path.resolve(file)));
      touchPrivate(file);
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    if (onDisk) for (const suffix of ['-wal', '-shm']) keepPrivate(`${file}${suffix}`);
    this.db.pragma('synchronous = NORMAL');
    // The log's indexes take rows in many places at once (sizes, endpoints): their pages stay in memory between
    // writes rather than being read again from the file (SQLite keeps 2 MB by default).
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    // The log keeps addresses only: country and AS filters look each distinct address up (cached by the geo service).
    this.db.function('netmon_geo_match', { deterministic: false }, (a: unknown, b: unknown, country: unknown, asn: unknown) => {
      const geoOf = this.geoOf;
      if (geoOf === null) return 0;
      const match = (ip: unknown): boolean => {
        if (typeof ip !== 'string') return false;
        const g = geoOf(ip);
        if (country !== null && g.country?.toLowerCase() !== country && g.special !== country) return false;
        return asn === null || g.asn === Number(asn);
      };
      return match(a) || match(b) ? 1 : 0;
    });
    this.db.exec(SCHEMA);
    const version = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (version === undefined) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    } else if (Number(version.value) === 1) {
      this.db.transaction(() => {
        this.db.exec(MIGRATE_1_TO_2);
        this.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
      })();
    } else if (Number(version.value) !== SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`history database ${file} has schema version ${version.value}; this build reads version ${SCHEMA_VERSION}`);
    }
    const present = new Set(this.db.prepare<[], { name: string }>('PRAGMA table_info(flow_log)').all().map((c) => c.name));
    for (const [column, type] of ADDED_FLOW_COLUMNS) if (!present.has(column)) this.db.exec(`ALTER TABLE flow_log ADD COLUMN ${column} ${type}`);
    // Why a session ended early (a replay cut short by a helper restart): added after schema version 2 was released.
    const sessionColumns = new Set(this.db.prepare<[], { name: string }>('PRAGMA table_info(sessions)').all().map((c) => c.name));
    if (!sessionColumns.has('error')) this.db.exec('ALTER TABLE sessions ADD COLUMN error TEXT');
    this.db.exec(SESSION_INDEXES);
    this.db.exec(ENDPOINT_SORT_INDEXES);
    // Writes of this connection (total_changes), and of any other (data_version).
    const changes = this.db.prepare('SELECT total_changes()').pluck();
    const dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.changeStamp = () => `${String(changes.get())}:${String(dataVersion.get())}`;
    const upsert = (table: string) =>
      this.db.prepare(`INSERT INTO ${table} (iface, ts, bytes_in, packets_in, bytes_out, packets_out, kernel_drops, helper_drops)
        VALUES (@iface, @ts, @bytesIn, @packetsIn, @bytesOut, @packetsOut, @kernelDrops, @helperDrops)
        ON CONFLICT (iface, ts) DO UPDATE SET
          bytes_in = bytes_in + excluded.bytes_in, packets_in = packets_in + excluded.packets_in,
          bytes_out = bytes_out + excluded.bytes_out, packets_out = packets_out + excluded.packets_out,
          kernel_drops = kernel_drops + excluded.kernel_drops, helper_drops = helper_drops + excluded.helper_drops`);
    this.addMinute = upsert('counters_1m');
    this.addHour = upsert('counters_1h');
    this.insertFlow = this.db.prepare(`INSERT INTO flow_log (flow_id, iface, vlan, proto, ip_proto, a, a_bin, a_port, b, b_bin,
        b_port, a_name, b_name, sni, http_host, dns_query, name, name_source, icmp_type, icmp_code,
        rtt_server_ms, rtt_client_ms, rtt_ms, retransmissions, out_of_order, zero_windows,
        first_ms, last_ms, state, tcp_flags, bytes_ab, packets_ab, bytes_ba, packets_ba, session_id,
        app_label, app_pid, app_exe, app_uid, app_user, search_text)
      VALUES (@id, @iface, @vlan, @proto, @ipProto, @a, @aBin, @aPort, @b, @bBin, @bPort, @aName, @bName, @sni, @httpHost,
        @dnsQuery, @name, @nameSource, @icmpType, @icmpCode,
        @rttServerMs, @rttClientMs, @rttMs, @retransmissions, @outOfOrder, @zeroWindows, @firstSeenMs, @lastSeenMs, @state, @tcpFlags, @bytesAB, @packetsAB, @bytesBA, @packetsBA, @session,
        @appLabel, @appPid, @appExe, @appUid, @appUser, @searchText)`);
    this.recordTickTx = this.db.transaction((tick: RollupTick) => {
      for (const s of tick.interfaces) {
        const row = {
          iface: s.iface,
          bytesIn: s.in.bytes,
          packetsIn: s.in.packets,
          bytesOut: s.out.bytes,
          packetsOut: s.out.packets,
          kernelDrops: s.kernelDrops,
          helperDrops: s.helperDrops,
        };
        this.addMinute.run({ ...row, ts: Math.floor(tick.tsMs / MINUTE_MS) * MINUTE_MS });
        this.addHour.run({ ...row, ts: Math.floor(tick.tsMs / HOUR_MS) * HOUR_MS });
      }
    });
    this.recordFlowsTx = this.db.transaction((flows: readonly FlowSummary[]) => {
      for (const f of flows) {
        this.insertFlow.run({
          id: f.id,
          iface: f.iface,
          vlan: f.vlan,
          proto: f.proto,
          ipProto: f.ipProto,
          a: f.a,
          aBin: addressBlob(f.a),
          aPort: f.aPort,
          b: f.b,
          bBin: addressBlob(f.b),
          bPort: f.bPort,
          aName: f.names.a,
          bName: f.names.b,
          sni: f.names.sni,
          httpHost: f.names.httpHost,
          dnsQuery: f.names.dnsQuery,
          name: f.names.name,
          nameSource: f.names.source,
          icmpType: f.icmp?.type ?? null,
          icmpCode: f.icmp?.code ?? null,
          rttServerMs: f.quality?.rttServerMs ?? null,
          rttClientMs: f.quality?.rttClientMs ?? null,
          rttMs: f.quality?.rttMs ?? null,
          retransmissions: f.quality?.retransmissions ?? null,
          outOfOrder: f.quality?.outOfOrder ?? null,
          zeroWindows: f.quality?.zeroWindows ?? null,
          firstSeenMs: f.firstSeenMs,
          lastSeenMs: f.lastSeenMs,
          state: f.state,
          tcpFlags: f.tcpFlags,
          bytesAB: f.aToB.bytes,
          packetsAB: f.aToB.packets,
          bytesBA: f.bToA.bytes,
          packetsBA: f.bToA.packets,
          session: sessionOfFlowId(f.id),
          appLabel: f.app?.label ?? null,
          appPid: f.app?.pid ?? null,
          appExe: f.app?.exe ?? null,
          appUid: f.app?.uid ?? null,
          appUser: f.app?.user ?? null,
          searchText: loggedFlowText(f),
        });
      }
    });
  }

  /** The number of rows a WHERE clause matches, counted once while the log stays the same. */
  private count(clause: SqlClause): number {
    const stamp = this.changeStamp();
    if (stamp !== this.countsAt || this.counts.size >= COUNTS_KEPT) {
      this.counts.clear();
      this.countsAt = stamp;
    }
    const key = JSON.stringify([clause.where, clause.params]);
    let n = this.counts.get(key);
    if (n === undefined) {
      n = this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM flow_log ${clause.where}`).get(...bindable(clause.params))?.n ?? 0;
      this.counts.set(key, n);
    }
    return n;
  }

  /** The open database, for features that keep their own tables in the same file (alerts). */
  get database(): Database.Database {
    return this.db;
  }

  /** Adds one second of every interface into its minute and hour rows. */
  recordTick(tick: RollupTick): void {
    this.recordTickTx(tick);
  }

  recordFinishedFlows(flows: readonly FlowSummary[]): void {
    if (flows.length > 0) this.recordFlowsTx(flows);
  }

  /** Records the start of a capture session (a restarted helper re-issuing the same session changes nothing). */
  startSession(session: { id: string; kind: CaptureSessionKind; source: string; startedAtMs: number }): void {
    this.db
      .prepare('INSERT OR IGNORE INTO sessions (id, kind, source, started_ms, ended_ms) VALUES (?, ?, ?, ?, NULL)')
      .run(session.id, session.kind, session.source, session.startedAtMs);
  }

  /** The kind of a recorded session (null: no such session). */
  sessionKind(id: string): CaptureSessionKind | null {
    return this.db.prepare<[string], { kind: CaptureSessionKind }>('SELECT kind FROM sessions WHERE id = ?').get(id)?.kind ?? null;
  }

  /** Records the end of a session, once. */
  endSession(id: string, endedAtMs: number, error: string | null = null): void {
    this.db.prepare('UPDATE sessions SET ended_ms = ?, error = ? WHERE id = ? AND ended_ms IS NULL').run(endedAtMs, error, id);
  }

  /** Sessions, newest first, each with the number of its flows in the finished-flow log. */
  sessions(limit: number, beforeMs?: number): CaptureSession[] {
    const rows = this.db
      .prepare<unknown[], { id: string; kind: CaptureSessionKind; source: string; started_ms: number; ended_ms: number | null; error: string | null; flows: number }>(
        `SELECT s.id, s.kind, s.source, s.started_ms, s.ended_ms, s.error,
           (SELECT COUNT(*) FROM flow_log f WHERE f.session_id = s.id) AS flows
         FROM sessions s ${beforeMs === undefined ? '' : 'WHERE s.started_ms < ?'} ORDER BY s.started_ms DESC, s.id LIMIT ?`,
      )
      .all(...(beforeMs === undefined ? [] : [beforeMs]), limit);
    return rows.map((r) => ({ id: r.id, kind: r.kind, source: r.source, startedAtMs: r.started_ms, endedAtMs: r.ended_ms, error: r.error, finishedFlows: r.flows }));
  }

  /** Counter points of one resolution, summed over interfaces unless one is named, bucketed to the query's step. */
  counters(q: CounterQuery, resolution: HistoryResolution): CounterPoint[] {
    const table = resolution === 60 ? 'counters_1m' : 'counters_1h';
    const resMs = resolution * 1000;
    const from = Math.floor(q.fromMs / resMs) * resMs;
    const params: unknown[] = [from, q.toMs];
    let where = 'ts >= ? AND ts < ?';
    if (q.iface !== undefined) {
      where += ' AND iface = ?';
      params.push(q.iface);
    }
    const rows = this.db
      .prepare<unknown[], CounterRow>(`SELECT ts, SUM(bytes_in) AS bytes_in, SUM(packets_in) AS packets_in,
          SUM(bytes_out) AS bytes_out, SUM(packets_out) AS packets_out, SUM(kernel_drops) AS kernel_drops,
          SUM(helper_drops) AS helper_drops FROM ${table} WHERE ${where} GROUP BY ts ORDER BY ts`)
      .all(...params);
    const points = rows.map((r): CounterPoint => ({
      tsMs: r.ts,
      in: { bytes: r.bytes_in, packets: r.packets_in },
      out: { bytes: r.bytes_out, packets: r.packets_out },
      kernelDrops: r.kernel_drops,
      helperDrops: r.helper_drops,
    }));
    // A stored row stands for its whole minute or hour: widen the query's start so the row's bucket is kept.
    return bucketise(points, { ...q, fromMs: Math.min(q.fromMs, from) }).filter((p) => p.tsMs + q.stepSec * 1000 > q.fromMs);
  }

  interfaces(): string[] {
    return this.db
      .prepare<[], { iface: string }>('SELECT DISTINCT iface FROM counters_1h ORDER BY iface')
      .all()
      .map((r) => r.iface);
  }

  /** Gives `country` and `asn` filters their lookup; without it they match no logged flow. */
  useGeo(geoOf: (ip: string) => GeoInfo): void {
    this.geoOf = geoOf;
  }

  /**
   * Searches the finished-flow log with the shared filter and sort (src-shared/flow-query.ts). `after` continues a
   * page from its cursor (keyset): the rows after it are read through the sort, however deep. Throws FlowFilterError
   * for a filter value that cannot be searched.
   */
  searchFlows(filter: FlowFilter, sort: FlowSort, offset: number, limit: number, after?: FlowCursor): FlowPage {
    // A session's flows are read through an index in the sort's order when one holds it and nothing else is
    // filtered; otherwise one pass over the log beats a lookup per row through the session's index (`+` keeps
    // SQLite off it).
    const byIndex = INDEXED_SORTS.has(sort.key) && Object.keys(filter).every((k) => k === 'session');
    const { sql } = compileFlowFilter(filter, byIndex ? FLOW_LOG_COLUMNS : UNINDEXED_SESSION);
    const order = flowOrderSql(sort, after);
    const total = this.count(sql);
    const where = order.after.where === '' ? sql.where : sql.where === '' ? `WHERE ${order.after.where}` : `${sql.where} AND ${order.after.where}`;
    // The page's rows are picked by rowid first, so the sort carries keys and rowids, not whole rows.
    const rows = this.db
      .prepare<unknown[], FlowRow>(
        `SELECT * FROM flow_log WHERE rowid IN (SELECT rowid FROM flow_log ${where} ${order.orderBy} LIMIT ? OFFSET ?) ${order.orderBy}`,
      )
      .all(...bindable([...sql.params, ...order.after.params]), limit + 1, offset);
    // One row more than the page tells whether a next page exists.
    const flows = rows.slice(0, limit).map(rowToFlow);
    const next = rows.length > limit ? cursorOf(flows[flows.length - 1], sort.key) : null;
    return { total, offset, flows, next };
  }

  /** A finished flow by id (the latest entry, should an id have been logged twice). */
  findFlow(id: string): FlowSummary | undefined {
    const row = this.db.prepare<[string], FlowRow>('SELECT * FROM flow_log WHERE flow_id = ? ORDER BY rowid DESC LIMIT 1').get(id);
    return row === undefined ? undefined : rowToFlow(row);
  }

  countFinishedFlows(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM flow_log').get()?.n ?? 0;
  }

  /** Deletes what is older than the retention settings. */
  applyRetention(history: Settings['history'], nowMs: number): RetentionResult {
    const tx = this.db.transaction(() => ({
      minuteRows: this.db.prepare('DELETE FROM counters_1m WHERE ts < ?').run(nowMs - history.minuteDays * DAY_MS).changes,
      hourRows: this.db.prepare('DELETE FROM counters_1h WHERE ts < ?').run(nowMs - history.hourDays * DAY_MS).changes,
      flowRows: this.db.prepare('DELETE FROM flow_log WHERE last_ms < ?').run(nowMs - history.flowLogDays * DAY_MS).changes,
      // A session goes with the last of its flows, once it has ended.
      sessions: this.db
        .prepare('DELETE FROM sessions WHERE ended_ms < ? AND NOT EXISTS (SELECT 1 FROM flow_log f WHERE f.session_id = sessions.id)')
        .run(nowMs - history.flowLogDays * DAY_MS).changes,
    }));
    return tx();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** better-sqlite3 binds a Buffer as a BLOB, not a plain Uint8Array. */
function bindable(params: readonly unknown[]): unknown[] {
  return params.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}

function rowToFlow(r: FlowRow): FlowSummary {
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
