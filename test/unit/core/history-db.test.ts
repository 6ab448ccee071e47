import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowSummary } from '../../../src-main/api/types/flows';
import type { RollupTick } from '../../../src-main/api/types/rollups';
import { FilterError, HistoryDb } from '../../../src-main/core/history-db';
import { RollupMemory } from '../../../src-main/core/rollup-memory';
import { defaultSettings } from '../../../src-main/core/settings';

const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

function tick(tsMs: number, iface: string, bytesIn: number, bytesOut: number): RollupTick {
  const zero = { bytes: 0, packets: 0 };
  return {
    captureId: 'c1',
    tsMs,
    interfaces: [{ iface, in: { bytes: bytesIn, packets: 1 }, out: { bytes: bytesOut, packets: 2 }, kernelDrops: 1, helperDrops: 0 }],
    protocols: { tcp: zero, udp: zero, icmp: zero, icmpv6: zero, other: zero },
    topHosts: [],
    topFlows: [],
    activeFlows: 0,
    newFlows: 0,
  };
}

function flow(id: string, a: string, b: string, bPort: number, extra: Partial<FlowSummary> = {}): FlowSummary {
  return {
    id, iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6, a, aPort: 40000, b, bPort,
    names: { a: null, b: null, sni: null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: 100, packets: 2 }, bToA: { bytes: 1000, packets: 3 },
    firstSeenMs: T0, lastSeenMs: T0 + 5000, state: 'closed', tcpFlags: 0x1b, icmp: null, bpsAToB: 0, bpsBToA: 0, active: false,
    ...extra,
  };
}

let dir: string;
let db: HistoryDb;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-history-'));
  db = new HistoryDb(path.join(dir, 'history.sqlite'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A history database as schema version 1 wrote it (no sessions, names, ICMP or quality columns), empty. */
function schemaV1Database(file: string): Database.Database {
  const old = new Database(file);
  old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '1');
    CREATE TABLE flow_log (rowid INTEGER PRIMARY KEY, flow_id TEXT NOT NULL, iface TEXT NOT NULL, vlan INTEGER, proto TEXT NOT NULL,
      ip_proto INTEGER NOT NULL, a TEXT NOT NULL, a_bin BLOB, a_port INTEGER, b TEXT NOT NULL, b_bin BLOB, b_port INTEGER,
      a_name TEXT, b_name TEXT, sni TEXT, http_host TEXT, first_ms REAL NOT NULL, last_ms REAL NOT NULL, state TEXT NOT NULL,
      tcp_flags INTEGER NOT NULL, bytes_ab INTEGER NOT NULL, packets_ab INTEGER NOT NULL, bytes_ba INTEGER NOT NULL, packets_ba INTEGER NOT NULL);`);
  return old;
}

describe('history database', () => {
  it('downsamples seconds into exact minute and hour sums that survive a reopen', () => {
    let inTotal = 0;
    // 150 seconds across two interfaces: 3 minutes touched, one hour.
    for (let s = 0; s < 150; s++) {
      db.recordTick(tick(T0 + s * 1000, 'eth0', s, 2 * s));
      db.recordTick(tick(T0 + s * 1000, 'wlan0', 1, 1));
      inTotal += s + 1;
    }
    db.close();
    db = new HistoryDb(path.join(dir, 'history.sqlite'));
    const q = { fromMs: T0, toMs: T0 + 3 * 60_000, stepSec: 60 };
    const minutes = db.counters(q, 60);
    expect(minutes.map((p) => p.tsMs)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
    expect(minutes[0].in.bytes).toBe(((59 * 60) / 2) + 60);
    expect(minutes.reduce((sum, p) => sum + p.in.bytes, 0)).toBe(inTotal);
    const hours = db.counters({ fromMs: T0, toMs: T0 + 3_600_000, stepSec: 3600, iface: 'eth0' }, 3600);
    expect(hours).toHaveLength(1);
    expect(hours[0].out.bytes).toBe(149 * 150);
    expect(hours[0].out.packets).toBe(300);
    expect(hours[0].kernelDrops).toBe(150);
    expect(db.interfaces()).toEqual(['eth0', 'wlan0']);
  });

  it('searches finished flows by CIDR, port, name, protocol and time', () => {
    db.recordFinishedFlows([
      flow('1', '10.0.0.5', '93.184.216.34', 443, { names: { a: null, b: 'example.com', sni: 'example.com', httpHost: null, dnsQuery: null, name: null, source: null } }),
      flow('2', '10.0.0.6', '1.1.1.1', 53, { proto: 'udp', ipProto: 17, state: 'active', firstSeenMs: T0 + 60_000, lastSeenMs: T0 + 61_000 }),
      flow('3', '2001:db8::5', '2001:db8:1::1', 80, { names: { a: null, b: null, sni: null, httpHost: 'intranet.test', dnsQuery: null, name: null, source: null } }),
    ]);
    const sort = { key: 'bytes' as const, dir: 'desc' as const };
    const ids = (filter: Parameters<HistoryDb['searchFlows']>[0]) => db.searchFlows(filter, sort, 0, 100).flows.map((f) => f.id);
    expect(ids({ ip: '10.0.0.0/24' })).toEqual(['1', '2']);
    expect(ids({ ip: '93.184.216.34' })).toEqual(['1']);
    expect(ids({ ip: '2001:db8::/32' })).toEqual(['3']);
    expect(ids({ port: 53 })).toEqual(['2']);
    expect(ids({ name: 'EXAMPLE' })).toEqual(['1']);
    expect(ids({ name: 'intranet' })).toEqual(['3']);
    expect(ids({ proto: ['udp'] })).toEqual(['2']);
    expect(ids({ fromMs: T0 + 30_000 })).toEqual(['2']);
    expect(ids({ text: '1.1.1' })).toEqual(['2']);
    const page = db.searchFlows({}, { key: 'firstSeen', dir: 'asc' }, 1, 1);
    expect(page.total).toBe(3);
    expect(page.flows).toHaveLength(1);
    expect(page.flows[0]).toMatchObject({ aToB: { bytes: 100, packets: 2 }, bToA: { bytes: 1000, packets: 3 }, active: false });
    expect(() => ids({ ip: '10.0.0.0/99' })).toThrow(FilterError);
  });

  it('finds a finished flow by id, also in a file opened again', () => {
    db.recordFinishedFlows([
      flow('s:1', '10.0.0.6', '10.0.0.53', 53, { proto: 'udp', ipProto: 17, state: 'active' }),
      flow('s:2', '10.0.0.6', '93.184.216.34', 443, { names: { a: null, b: null, sni: 'example.com', httpHost: null, dnsQuery: null, name: null, source: null } }),
    ]);
    db.close();
    db = new HistoryDb(path.join(dir, 'history.sqlite'));
    expect(db.findFlow('s:1')).toMatchObject({ id: 's:1', proto: 'udp', bPort: 53, active: false, state: 'active' });
    expect(db.findFlow('s:2')?.names).toEqual({ a: null, b: null, sni: 'example.com', httpHost: null, dnsQuery: null, name: null, source: null });
    expect(db.findFlow('s:3')).toBeUndefined();
  });

  it('deletes rows older than the retention, and an ended session once its flows are gone', () => {
    db.recordTick(tick(T0, 'eth0', 10, 10));
    db.startSession({ id: 's', kind: 'live', source: 'eth0', startedAtMs: T0 });
    db.endSession('s', T0 + 5000);
    db.recordFinishedFlows([flow('s:1', '10.0.0.1', '10.0.0.2', 22)]);
    const history = { ...defaultSettings().history, minuteDays: 1, hourDays: 2, flowLogDays: 1 };
    expect(db.applyRetention(history, T0 + 0.5 * 86_400_000)).toEqual({ minuteRows: 0, hourRows: 0, flowRows: 0, sessions: 0 });
    expect(db.sessions(10).map((x) => x.id)).toEqual(['s']);
    expect(db.applyRetention(history, T0 + 1.5 * 86_400_000)).toEqual({ minuteRows: 1, hourRows: 0, flowRows: 1, sessions: 1 });
    expect(db.applyRetention(history, T0 + 2.5 * 86_400_000)).toEqual({ minuteRows: 0, hourRows: 1, flowRows: 0, sessions: 0 });
    expect(db.countFinishedFlows()).toBe(0);
    expect(db.sessions(10)).toEqual([]);
  });
});

describe('capture sessions in the history', () => {
  it('keeps each session with its flows, and searches one session or all of them', () => {
    db.startSession({ id: 'first', kind: 'replay', source: '/captures/a.pcap', startedAtMs: T0 });
    db.recordFinishedFlows([flow('first:1', '10.0.0.1', '10.0.0.2', 80), flow('first:2', '10.0.0.1', '10.0.0.3', 80)]);
    db.endSession('first', T0 + 1000);
    db.endSession('first', T0 + 9000);
    db.startSession({ id: 'second', kind: 'demo', source: '/assets/demo.pcapng', startedAtMs: T0 + 2000 });
    // A restarted helper re-issues the same session: nothing changes.
    db.startSession({ id: 'second', kind: 'demo', source: '/assets/demo.pcapng', startedAtMs: T0 + 3000 });
    db.recordFinishedFlows([flow('second:1', '10.0.0.1', '10.0.0.2', 80)]);
    expect(db.sessions(10)).toEqual([
      { id: 'second', kind: 'demo', source: '/assets/demo.pcapng', startedAtMs: T0 + 2000, endedAtMs: null, error: null, finishedFlows: 1 },
      { id: 'first', kind: 'replay', source: '/captures/a.pcap', startedAtMs: T0, endedAtMs: T0 + 1000, error: null, finishedFlows: 2 },
    ]);
    expect(db.sessions(10, T0 + 2000).map((x) => x.id)).toEqual(['first']);
    const sort = { key: 'firstSeen' as const, dir: 'asc' as const };
    const ids = (session?: string) => db.searchFlows(session === undefined ? {} : { session }, sort, 0, 100).flows.map((f) => f.id);
    expect(ids('first')).toEqual(['first:1', 'first:2']);
    expect(ids('second')).toEqual(['second:1']);
    expect(ids('*')).toEqual(['first:1', 'first:2', 'second:1']);
    expect(ids()).toEqual(['first:1', 'first:2', 'second:1']);
    expect(ids('none')).toEqual([]);
  });

  it('keeps why a session ended early, also in a database made before sessions had a reason', () => {
    const file = path.join(dir, 'v2.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema', '2');
      CREATE TABLE sessions (id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, started_ms REAL NOT NULL, ended_ms REAL);
      INSERT INTO sessions VALUES ('old', 'live', 'eth0', ${T0}, ${T0 + 10});`);
    old.close();
    const reopened = new HistoryDb(file);
    try {
      reopened.startSession({ id: 'cut', kind: 'replay', source: '/captures/a.pcap', startedAtMs: T0 + 100 });
      reopened.endSession('cut', T0 + 200, 'the replay was interrupted');
      expect(reopened.sessions(10).map((s) => [s.id, s.endedAtMs, s.error])).toEqual([
        ['cut', T0 + 200, 'the replay was interrupted'],
        ['old', T0 + 10, null],
      ]);
    } finally {
      reopened.close();
    }
  });

  it('opens a database of the version before sessions, giving its flows the session their ids name', () => {
    const file = path.join(dir, 'v1.sqlite');
    const old = schemaV1Database(file);
    old.exec(`INSERT INTO flow_log (flow_id, iface, proto, ip_proto, a, b, first_ms, last_ms, state, tcp_flags, bytes_ab, packets_ab, bytes_ba, packets_ba)
        VALUES ('abc:1', 'eth0', 'udp', 17, '10.0.0.1', '10.0.0.2', ${T0}, ${T0 + 500}, 'active', 0, 10, 1, 0, 0),
               ('abc:2', 'eth0', 'udp', 17, '10.0.0.1', '10.0.0.3', ${T0 + 100}, ${T0 + 900}, 'active', 0, 10, 1, 0, 0);`);
    old.close();
    const migrated = new HistoryDb(file);
    try {
      expect(migrated.sessions(10)).toEqual([
        { id: 'abc', kind: 'unknown', source: '', startedAtMs: T0, endedAtMs: T0 + 900, error: null, finishedFlows: 2 },
      ]);
      expect(migrated.searchFlows({ session: 'abc' }, { key: 'firstSeen', dir: 'asc' }, 0, 10).flows.map((f) => f.id)).toEqual(['abc:1', 'abc:2']);
    } finally {
      migrated.close();
    }
    // Opened again: already the current version.
    new HistoryDb(file).close();
  });

  it('keeps the name of an ended flow, its source and its ICMP type/code, also in a database made before those columns', () => {
    db.close();
    const file = path.join(dir, 'old.sqlite');
    schemaV1Database(file).close();
    db = new HistoryDb(file);
    const dnsNames = { a: null, b: null, sni: null, httpHost: null, dnsQuery: 'nas.lab.example.test', name: 'nas.lab.example.test', source: 'dns' as const };
    const pingNames = { a: null, b: 'nas.lab.example.test', sni: null, httpHost: null, dnsQuery: null, name: 'nas.lab.example.test', source: 'dns-answer' as const };
    db.recordFinishedFlows([
      flow('s:1', '198.18.0.1', '198.18.0.53', 53, { proto: 'udp', ipProto: 17, names: dnsNames }),
      flow('s:2', '198.18.0.1', '198.18.0.11', 0, { proto: 'icmp', ipProto: 1, aPort: null, bPort: null, names: pingNames, icmp: { type: 8, code: 0, text: 'echo request (8/0)' } }),
    ]);
    expect(db.findFlow('s:1')?.names).toEqual(dnsNames);
    expect(db.findFlow('s:1')?.icmp).toBeNull();
    expect(db.findFlow('s:2')?.names).toEqual(pingNames);
    expect(db.findFlow('s:2')?.icmp).toEqual({ type: 8, code: 0, text: 'echo request (8/0)' });
    expect(db.searchFlows({ name: 'lab.example' }, { key: 'name', dir: 'asc' }, 0, 10).total).toBe(2);
  });

  it('keeps the TCP quality of an ended flow, and sorts the log by it as the live table does', () => {
    const slow = { rttServerMs: 100, rttClientMs: 2.5, rttMs: 102.5, retransmissions: 4, outOfOrder: 1, zeroWindows: 2 };
    const fast = { rttServerMs: 0.5, rttClientMs: 0.25, rttMs: 0.75, retransmissions: 0, outOfOrder: 0, zeroWindows: 0 };
    const unmeasured = { rttServerMs: null, rttClientMs: null, rttMs: null, retransmissions: 1, outOfOrder: 0, zeroWindows: 0 };
    db.recordFinishedFlows([
      flow('q:1', '198.18.0.1', '198.18.0.80', 80, { quality: slow }),
      flow('q:2', '198.18.0.1', '198.18.0.81', 443, { quality: fast }),
      flow('q:3', '198.18.0.1', '198.18.0.82', 22, { quality: unmeasured }),
      flow('q:4', '198.18.0.1', '198.18.0.53', 53, { proto: 'udp', ipProto: 17 }),
    ]);
    expect(db.findFlow('q:1')?.quality).toEqual(slow);
    expect(db.findFlow('q:3')?.quality).toEqual(unmeasured);
    expect(db.findFlow('q:4')?.quality).toBeUndefined();
    const order = (key: 'rtt' | 'retransmissions', dir: 'asc' | 'desc') => db.searchFlows({}, { key, dir }, 0, 10).flows.map((f) => f.id);
    expect(order('rtt', 'desc')).toEqual(['q:1', 'q:2', 'q:3', 'q:4']);
    expect(order('retransmissions', 'desc')).toEqual(['q:1', 'q:3', 'q:2', 'q:4']);
  });

  it("keeps an ended flow's process, a system socket's owner, and no process for a flow without one, also in a database made before those columns", () => {
    db.close();
    const file = path.join(dir, 'before-apps.sqlite');
    schemaV1Database(file).close();
    db = new HistoryDb(file);
    const curl = { label: 'curl', pid: 4242, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false };
    const daemon = { label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true };
    db.recordFinishedFlows([
      flow('s:1', '198.18.0.1', '198.18.0.2', 443, { app: curl }),
      flow('s:2', '198.18.0.2', '198.18.0.1', 22, { app: daemon }),
      flow('s:3', '198.18.0.1', '198.18.0.3', 80),
    ]);
    db.close();
    db = new HistoryDb(file);
    expect(db.findFlow('s:1')?.app).toEqual(curl);
    expect(db.findFlow('s:2')?.app).toEqual(daemon);
    expect(db.findFlow('s:3')).not.toHaveProperty('app');
  });
});

describe('in-memory rollups', () => {
  it('keeps one hour per interface and sums into steps', () => {
    const memory = new RollupMemory();
    for (let s = 0; s < 3700; s++) memory.add(tick(T0 + s * 1000, 'eth0', 1, 0));
    expect(memory.recent(10000)).toHaveLength(3600);
    expect(memory.oldestMs()).toBe(T0 + 100_000);
    const series = memory.series({ fromMs: T0 + 3_640_000, toMs: T0 + 3_700_000, stepSec: 10, iface: 'eth0' });
    expect(series).toHaveLength(6);
    expect(series.every((p) => p.in.bytes === 10)).toBe(true);
  });
});
