import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../src-main/core/alerts/alert-store';
import type { AlertEventDraft } from '../../../src-main/core/alerts/alert-event';
import { rule } from './sample-builder';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-alert-store-'));
  file = path.join(dir, 'netmon.db');
});
afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function draft(ts: number, ruleId = 'r1', kind: 'firing' | 'recovered' = 'firing'): AlertEventDraft {
  const r = rule({ metric: 'bps', threshold: '1M' }, ruleId);
  return {
    kind, ts, ruleId, ruleName: r.name, metric: r.metric, direction: r.direction, scope: r.scope,
    comparison: r.comparison, severity: r.severity, threshold: r.threshold, recoveryThreshold: r.recoveryThreshold,
    windowSec: r.windowSec, value: 2e6, summary: 's', topHosts: [{ address: '10.0.0.1', bps: 3, pps: 7, bpsIn: 1, bpsOut: 2, ppsIn: 3, ppsOut: 4 }], topFlows: [],
  };
}

describe('AlertStore', () => {
  it('keeps rules, channels and events across a reopen of the database file', () => {
    let db = new Database(file);
    let store = new AlertStore(db);
    const r = rule({ metric: 'pps', threshold: 5000, scope: { kind: 'cidr', cidr: '10.0.0.0/8' }, channels: ['ops'] }, 'pps-rule');
    store.putChannel({ id: 'ops', kind: 'webhook', name: 'Ops', url: 'http://127.0.0.1:9/hook', headers: {}, enabled: true, ratePerMinute: 30, burst: 5 });
    store.putRule(r);
    const stored = store.addEvent(draft(1000, 'pps-rule'));
    db.close();

    db = new Database(file);
    store = new AlertStore(db);
    expect(store.listRules()).toEqual({ rules: [r], unreadable: [] });
    expect(store.listChannels().channels.map((c) => c.id)).toEqual(['ops']);
    expect(store.listEvents()).toEqual([stored]);
    db.close();
  });

  it('migrates idempotently and lives beside other tables in the same database', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES (\'schema_version\', \'7\')');
    new AlertStore(db);
    new AlertStore(db);
    expect(db.prepare("SELECT value FROM alert_meta WHERE key = 'schema_version'").get()).toEqual({ value: '2' });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: '7' });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'alert_%' ORDER BY name").all() as { name: string }[])
      .map((t) => t.name);
    expect(tables).toEqual(['alert_channels', 'alert_events', 'alert_meta', 'alert_rules']);
    db.close();
  });

  it('brings tables of an older version up to date', () => {
    const db = new Database(':memory:');
    new AlertStore(db);
    db.exec("DROP INDEX alert_events_ts; UPDATE alert_meta SET value = '1' WHERE key = 'schema_version'");
    new AlertStore(db);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'alert_events_ts'").get()).toEqual({ name: 'alert_events_ts' });
    expect(db.prepare("SELECT value FROM alert_meta WHERE key = 'schema_version'").get()).toEqual({ value: '2' });
  });

  it('refuses to open tables written by a newer version', () => {
    const db = new Database(':memory:');
    new AlertStore(db);
    db.prepare("UPDATE alert_meta SET value = '99' WHERE key = 'schema_version'").run();
    expect(() => new AlertStore(db)).toThrow('alert tables are at schema version 99, newer than this Netmon (2)');
  });

  it('updates a rule in place, keeping its position, and deletes it', () => {
    const store = new AlertStore(new Database(':memory:'));
    const a = rule({ metric: 'bps', threshold: 1 }, 'a');
    const b = rule({ metric: 'bps', threshold: 2 }, 'b');
    store.putRule(a);
    store.putRule(b);
    store.putRule({ ...a, name: 'renamed' });
    expect(store.listRules().rules.map((r) => [r.id, r.name])).toEqual([['a', 'renamed'], ['b', 'test rule']]);
    expect(store.deleteRule('a')).toBe(true);
    expect(store.deleteRule('a')).toBe(false);
    expect(store.listRules().rules.map((r) => r.id)).toEqual(['b']);
  });

  it('lists events newest first with filters and paging, and prunes beyond the bound', () => {
    const store = new AlertStore(new Database(':memory:'), { maxEvents: 5 });
    for (let i = 1; i <= 8; i += 1) store.addEvent(draft(i * 1000, i % 2 === 0 ? 'even' : 'odd', i % 2 === 0 ? 'recovered' : 'firing'));
    expect(store.listEvents().map((e) => e.id)).toEqual([8, 7, 6, 5, 4]);
    expect(store.prunedEvents()).toBe(3);
    expect(store.listEvents({ ruleId: 'even' }).map((e) => e.id)).toEqual([8, 6, 4]);
    expect(store.listEvents({ limit: 2, beforeId: 7 }).map((e) => e.id)).toEqual([6, 5]);
    expect(store.listEvents({ sinceTs: 6000 }).map((e) => e.ts)).toEqual([8000, 7000, 6000]);
    expect(store.listEvents({ beforeTs: 6000 }).map((e) => e.ts)).toEqual([5000, 4000]);
  });
});
