import type Database from 'better-sqlite3';
import type { AlertChannel } from '../notifiers/channel-config';
import type { AlertEvent, AlertEventDraft } from './alert-event';
import type { AlertRule } from './alert-rule';

/**
 * Migrations of the alert tables, applied in order inside one transaction.
 * The tables live in whatever database main opens (the history database in
 * practice), so everything is prefixed `alert_` and versioned on its own.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS alert_channels (
     id TEXT PRIMARY KEY, position INTEGER NOT NULL, config TEXT NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE IF NOT EXISTS alert_rules (
     id TEXT PRIMARY KEY, position INTEGER NOT NULL, rule TEXT NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE IF NOT EXISTS alert_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, rule_id TEXT NOT NULL, kind TEXT NOT NULL,
     event TEXT NOT NULL);
   CREATE INDEX IF NOT EXISTS alert_events_rule ON alert_events (rule_id, id);`,
  // Paging the event list by time.
  'CREATE INDEX IF NOT EXISTS alert_events_ts ON alert_events (ts);',
];

export interface EventQuery {
  /** Newest first; at most 1000. */
  limit?: number;
  /** Only events with a smaller id (paging backwards). */
  beforeId?: number;
  /** Only events strictly before this time, ms since the epoch (paging by time). */
  beforeTs?: number;
  ruleId?: string;
  /** Only events at or after this time, ms since the epoch. */
  sinceTs?: number;
}

export interface AlertStoreOptions {
  /** Events kept; older ones are deleted and counted. */
  maxEvents?: number;
  now?: () => number;
}

export class AlertStore {
  private readonly maxEvents: number;
  private readonly now: () => number;
  private pruned = 0;

  constructor(private readonly db: Database.Database, options: AlertStoreOptions = {}) {
    this.maxEvents = options.maxEvents ?? 10_000;
    this.now = options.now ?? Date.now;
    migrate(db);
  }

  /** Rows whose JSON no longer parses are skipped (and left in place for inspection). */
  listRules(): { rules: AlertRule[]; unreadable: string[] } {
    const rows = this.db.prepare('SELECT id, rule FROM alert_rules ORDER BY position, id').all() as { id: string; rule: string }[];
    return readRows(rows.map((r) => ({ id: r.id, json: r.rule })));
  }

  listChannels(): { channels: AlertChannel[]; unreadable: string[] } {
    const rows = this.db.prepare('SELECT id, config FROM alert_channels ORDER BY position, id').all() as { id: string; config: string }[];
    const { rules, unreadable } = readRows<AlertChannel>(rows.map((r) => ({ id: r.id, json: r.config })));
    return { channels: rules, unreadable };
  }

  putRule(rule: AlertRule): void {
    this.put('alert_rules', 'rule', rule.id, rule);
  }

  deleteRule(id: string): boolean {
    return this.db.prepare('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0;
  }

  putChannel(channel: AlertChannel): void {
    this.put('alert_channels', 'config', channel.id, channel);
  }

  deleteChannel(id: string): boolean {
    return this.db.prepare('DELETE FROM alert_channels WHERE id = ?').run(id).changes > 0;
  }

  /** Inserts at the end of the list, or replaces in place; `table` and `column` are fixed literals, never input. */
  private put(table: 'alert_rules' | 'alert_channels', column: 'rule' | 'config', id: string, value: AlertRule | AlertChannel): void {
    this.db.prepare(`INSERT INTO ${table} (id, position, ${column}, updated_at)
        VALUES (@id, (SELECT COALESCE(MAX(position), 0) + 1 FROM ${table}), @value, @now)
        ON CONFLICT (id) DO UPDATE SET ${column} = excluded.${column}, updated_at = excluded.updated_at`)
      .run({ id, value: JSON.stringify(value), now: this.now() });
  }

  /** Replaces every rule and channel at once (settings file): all or nothing. */
  replaceAll(rules: readonly AlertRule[], channels: readonly AlertChannel[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM alert_rules').run();
      this.db.prepare('DELETE FROM alert_channels').run();
      for (const channel of channels) this.putChannel(channel);
      for (const rule of rules) this.putRule(rule);
    })();
  }

  addEvent(draft: AlertEventDraft): AlertEvent {
    const insert = this.db.prepare('INSERT INTO alert_events (ts, rule_id, kind, event) VALUES (?, ?, ?, ?)');
    const prune = this.db.prepare('DELETE FROM alert_events WHERE id <= ?');
    return this.db.transaction(() => {
      const id = Number(insert.run(draft.ts, draft.ruleId, draft.kind, JSON.stringify(draft)).lastInsertRowid);
      if (id > this.maxEvents) this.pruned += prune.run(id - this.maxEvents).changes;
      return { ...draft, id };
    })();
  }

  listEvents(query: EventQuery = {}): AlertEvent[] {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 100)));
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.beforeId !== undefined) { where.push('id < ?'); params.push(query.beforeId); }
    if (query.beforeTs !== undefined) { where.push('ts < ?'); params.push(query.beforeTs); }
    if (query.ruleId !== undefined) { where.push('rule_id = ?'); params.push(query.ruleId); }
    if (query.sinceTs !== undefined) { where.push('ts >= ?'); params.push(query.sinceTs); }
    const sql = `SELECT id, event FROM alert_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${limit}`;
    const rows = this.db.prepare(sql).all(...params) as { id: number; event: string }[];
    const events: AlertEvent[] = [];
    for (const row of rows) {
      try {
        events.push({ ...(JSON.parse(row.event) as AlertEventDraft), id: row.id });
      } catch {
        // An unreadable row is skipped rather than failing the whole list.
      }
    }
    return events;
  }

  /** Events deleted to keep the table within `maxEvents` since this store opened. */
  prunedEvents(): number {
    return this.pruned;
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.prepare('CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)').run();
    const row = db.prepare("SELECT value FROM alert_meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    const current = row === undefined ? 0 : Number(row.value);
    if (current > MIGRATIONS.length) {
      throw new Error(`alert tables are at schema version ${current}, newer than this Netmon (${MIGRATIONS.length})`);
    }
    for (let v = current; v < MIGRATIONS.length; v += 1) db.exec(MIGRATIONS[v]);
    db.prepare("INSERT INTO alert_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(String(MIGRATIONS.length));
  })();
}

function readRows<T>(rows: { id: string; json: string }[]): { rules: T[]; unreadable: string[] } {
  const out: T[] = [];
  const unreadable: string[] = [];
  for (const row of rows) {
    try {
      out.push(JSON.parse(row.json) as T);
    } catch {
      unreadable.push(row.id);
    }
  }
  return { rules: out, unreadable };
}
