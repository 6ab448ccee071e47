import type Database from 'better-sqlite3';
import { flowSortSql, loggedFlowTextSql } from '../../src-shared/flow-query';

/**
 * The history database's tables and how an older file is brought up to them: the schema version, the migrations
 * and the columns and indexes added since a version was released. HistoryDb runs it on open, before it prepares
 * a statement.
 */

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
  session_id TEXT, app_label TEXT, app_pid INTEGER, app_exe TEXT, app_uid INTEGER, app_user TEXT);
CREATE INDEX IF NOT EXISTS flow_log_last ON flow_log (last_ms);
CREATE INDEX IF NOT EXISTS flow_log_id ON flow_log (flow_id);
-- What the text search looks in (loggedFlowText), one row per flow_log row under its rowid: a search scans this
-- narrow table, several times faster than the log's wide rows, and a deleted flow takes its text with it.
CREATE TABLE IF NOT EXISTS flow_text (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS flow_text_delete AFTER DELETE ON flow_log BEGIN DELETE FROM flow_text WHERE id = old.rowid; END;
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

/**
 * Indexes in the endpoint orders, the Flows view's columns people sort by most after the indexed ones: each on the
 * sort's own SQL (flowSortSql), which SQLite must find written the same in ORDER BY to read the order from the
 * index, then the session, so a session's page is found in the index without reading the log's rows. Both
 * directions read one index (the few ties are ordered by id as they come).
 */
const ENDPOINT_SORT_INDEXES = [
  ...(['a', 'b'] as const).map((key) => `CREATE INDEX IF NOT EXISTS flow_log_sort_${key} ON flow_log (${flowSortSql(key)}, session_id);`),
  // Address blocks are searched as ranges of these keys: the indexes on the bare address bytes only cost writes.
  'DROP INDEX IF EXISTS flow_log_a;',
  'DROP INDEX IF EXISTS flow_log_b;',
].join('\n');

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
];

/** Creates the tables of a new database, or brings an older one up to this build's; refuses a newer one (`file` names it). */
export function migrateHistorySchema(db: Database.Database, file: string): void {
  db.exec(SCHEMA);
  const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
  if (version === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
  } else if (Number(version.value) === 1) {
    db.transaction(() => {
      db.exec(MIGRATE_1_TO_2);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
    })();
  } else if (Number(version.value) !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`history database ${file} has schema version ${version.value}; this build reads version ${SCHEMA_VERSION}`);
  }
  const present = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(flow_log)').all().map((c) => c.name));
  for (const [column, type] of ADDED_FLOW_COLUMNS) if (!present.has(column)) db.exec(`ALTER TABLE flow_log ADD COLUMN ${column} ${type}`);
  // Why a session ended early (a replay cut short by a helper restart): added after schema version 2 was released.
  const sessionColumns = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(sessions)').all().map((c) => c.name));
  if (!sessionColumns.has('error')) db.exec('ALTER TABLE sessions ADD COLUMN error TEXT');
  db.exec(SESSION_INDEXES);
  db.exec(ENDPOINT_SORT_INDEXES);
  fillFlowText(db, present.has('search_text'));
}

/**
 * Gives every logged flow without a flow_text row its text: all of them in a database made before flow_text, the
 * rows an older build appended since (rowids only grow, so they are the ones past the last text). The text an
 * older build kept in the log's own search_text column is moved out, and the column dropped.
 */
function fillFlowText(db: Database.Database, hasSearchTextColumn: boolean): void {
  const text = hasSearchTextColumn ? `COALESCE(search_text, ${loggedFlowTextSql()})` : loggedFlowTextSql();
  db.transaction(() => {
    db.exec(`INSERT INTO flow_text (id, text) SELECT rowid, ${text} FROM flow_log WHERE rowid > (SELECT COALESCE(MAX(id), 0) FROM flow_text)`);
    if (hasSearchTextColumn) db.exec('ALTER TABLE flow_log DROP COLUMN search_text');
  })();
}
