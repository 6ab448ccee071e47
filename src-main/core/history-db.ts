import path from 'node:path';
import Database from 'better-sqlite3';
import type { CaptureSession, CaptureSessionKind } from '../api/types/capture';
import type { FlowCursor, FlowFilter, FlowPage, FlowSummary } from '../api/types/flows';
import type { GeoInfo } from '../api/types/geo';
import type { RollupTick } from '../api/types/rollups';
import type { Settings } from '../api/types/settings';
import type { CounterPoint, CounterQuery } from '../api/types/stats';
import type { FlowSort, FlowSortKey, SqlClause } from '../../src-shared/flow-query';
import { compileFlowFilter, cursorOf, FLOW_LOG_COLUMNS, flowOrderSql, loggedFlowText } from '../../src-shared/flow-query';
import { bucketise } from './counter-series';
import type { FlowRow } from './flow-log-rows';
import { flowRowParams, INSERT_FLOW_SQL, INSERT_FLOW_TEXT_SQL, rowToFlow } from './flow-log-rows';
import { migrateHistorySchema } from './history-schema';
import { keepPrivate, makePrivateDir, touchPrivate } from './private-files';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The sorts the session indexes hold (rate: the id order of flow_log_id). */
const INDEXED_SORTS: ReadonlySet<FlowSortKey> = new Set(['bytes', 'lastSeen', 'rate']);
const UNINDEXED_SESSION = { ...FLOW_LOG_COLUMNS, session: '+session_id' };
/** Sorts an index holds over the whole log (the last-seen and endpoint indexes); with a session, also its own. */
const LOG_INDEXED_SORTS: ReadonlySet<FlowSortKey> = new Set(['lastSeen', 'a', 'b']);
/** The text match read row by row as an index brings the rows in the sort's order (see `readsTextPerRow`). */
const TEXT_PER_ROW = 'instr((SELECT text FROM flow_text WHERE id = flow_log.rowid), ?) > 0';

/** The page cache of the history's connection, in KiB. */
const CACHE_KIB = 64 * 1024;

/** Counts of queries kept until the log changes: a scroll through a million rows asks the same count every page. */
const COUNTS_KEPT = 64;

interface CounterRow {
  ts: number;
  bytes_in: number;
  packets_in: number;
  bytes_out: number;
  packets_out: number;
  kernel_drops: number;
  helper_drops: number;
}

export type HistoryResolution = 60 | 3600;

export interface RetentionResult {
  minuteRows: number;
  hourRows: number;
  flowRows: number;
  sessions: number;
}

/** Thrown for a filter value that cannot be searched (reported to the caller as an 'invalid' error). */
export { FlowFilterError as FilterError } from '../../src-shared/flow-query';

/**
 * Long-term history in SQLite: traffic counters downsampled to 1 minute and
 * 1 hour (added into both as each second arrives, so both are exact sums), and
 * the log of finished flows. Writes are grouped in one transaction per second.
 * The tables and their migrations are in history-schema.ts, a flow_log row
 * and its mapping to a flow in flow-log-rows.ts.
 */
export class HistoryDb {
  private readonly db: Database.Database;
  private readonly addMinute: Database.Statement;
  private readonly addHour: Database.Statement;
  private readonly insertFlow: Database.Statement;
  private readonly insertFlowText: Database.Statement;
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
    migrateHistorySchema(this.db, file);
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
    this.insertFlow = this.db.prepare(INSERT_FLOW_SQL);
    this.insertFlowText = this.db.prepare(INSERT_FLOW_TEXT_SQL);
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
        const { lastInsertRowid } = this.insertFlow.run(flowRowParams(f));
        this.insertFlowText.run(lastInsertRowid, loggedFlowText(f));
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
    const bySessionIndex = (also: string) => INDEXED_SORTS.has(sort.key) && Object.keys(filter).every((k) => k === 'session' || k === also);
    const counted = compileFlowFilter(filter, bySessionIndex('session') ? FLOW_LOG_COLUMNS : UNINDEXED_SESSION).sql;
    const order = flowOrderSql(sort, after);
    const total = this.count(counted);
    const sql = this.readsTextPerRow(filter, sort, total, offset + limit)
      ? compileFlowFilter(filter, { ...(bySessionIndex('text') ? FLOW_LOG_COLUMNS : UNINDEXED_SESSION), textMatch: TEXT_PER_ROW }).sql
      : counted;
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

  /**
   * Whether a page of a text search reads the rows in the sort's order through an index and looks up each one's
   * text, rather than collecting every match first. Known from the count: an index walk reads about
   * `rows × logged / matches` rows (a few hundred when most rows match, the whole log when few do), collecting reads
   * every text and then each match. Walking wins once matches pass about √(rows × logged).
   */
  private readsTextPerRow(filter: FlowFilter, sort: FlowSort, matches: number, rows: number): boolean {
    if ((filter.text?.trim() ?? '') === '') return false;
    const inOrder = LOG_INDEXED_SORTS.has(sort.key) || (INDEXED_SORTS.has(sort.key) && filter.session !== undefined);
    return inOrder && matches * matches > rows * this.count({ where: '', params: [] });
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

  /**
   * Opens a transaction that the writes of the next turns of the event loop join (each of their own transactions
   * becomes a savepoint in it) until `commitBatch`: a large write spread over many turns commits once per batch.
   * Queries on this connection see its rows at once.
   */
  beginBatch(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  commitBatch(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  close(): void {
    if (!this.db.open) return;
    // Closing rolls back an open transaction: a batch still open is kept.
    this.commitBatch();
    this.db.close();
  }
}

/** better-sqlite3 binds a Buffer as a BLOB, not a plain Uint8Array. */
function bindable(params: readonly unknown[]): unknown[] {
  return params.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}
