/**
 * One filter and sort definition (src-shared/flow-query.ts), compiled to a predicate and to SQL: on any set of
 * flows and any filter, the history's SQL finds the same flows in the same order as the predicate and the sort do,
 * and paging with the keyset cursor yields the same rows as one big page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowApplication, FlowFilter, FlowSummary } from '../../../src-main/api/types/flows';
import { HistoryDb } from '../../../src-main/core/history-db';
import type { FlowSort } from '../../../src-shared/flow-query';
import { compileFlowFilter, FLOW_SORT_KEYS, flowText, sortFlowList } from '../../../src-shared/flow-query';
import { makeFlow } from '../renderer/make-flow';

const ADDRESSES = ['10.0.0.9', '10.0.0.10', '10.0.1.1', '192.0.2.53', '2001:db8::1', '2001:db8::5', 'fe80::1', '::ffff:10.0.0.9'];
const NAMES = [null, 'example.com', 'Example.COM', 'cdn.example', 'intranet.test', ''];
const PROTOS = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
const STATES = ['syn', 'established', 'fin', 'rst', 'closed', 'active'] as const;
const T0 = Date.UTC(2025, 0, 1);
const APPS: (FlowApplication | undefined)[] = [
  undefined,
  { label: 'curl', pid: 4242, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false },
  { label: 'Curl', pid: 17, name: 'Curl', exe: '/opt/Curl', uid: 1001, user: null, system: false },
  { label: 'python3', pid: 99, name: 'python3', exe: '/usr/bin/python3.12', uid: 1000, user: 'alice', system: false },
  { label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true },
];

const flowArb = (session: string, n: number): fc.Arbitrary<FlowSummary> =>
  fc.record({
    proto: fc.constantFrom(...PROTOS),
    a: fc.constantFrom(...ADDRESSES),
    b: fc.constantFrom(...ADDRESSES),
    aPort: fc.option(fc.constantFrom(53, 80, 443, 8080, 40000), { nil: null }),
    bPort: fc.option(fc.constantFrom(53, 80, 443, 65535), { nil: null }),
    names: fc.record({
      a: fc.constantFrom(...NAMES), b: fc.constantFrom(...NAMES), sni: fc.constantFrom(...NAMES), httpHost: fc.constantFrom(...NAMES),
      dnsQuery: fc.constantFrom(...NAMES), name: fc.constantFrom(...NAMES),
    }),
    bytesAB: fc.integer({ min: 0, max: 5 }),
    bytesBA: fc.integer({ min: 0, max: 5 }),
    first: fc.integer({ min: 0, max: 5 }),
    state: fc.constantFrom(...STATES),
    iface: fc.constantFrom('eth0', 'wlan0'),
    app: fc.constantFrom(...APPS),
  }).map((r): FlowSummary => ({
    id: `${session}:${n}`, iface: r.iface, vlan: null, proto: r.proto, ipProto: 6, a: r.a, aPort: r.aPort, b: r.b, bPort: r.bPort,
    names: { ...r.names, source: null }, aToB: { bytes: r.bytesAB, packets: r.bytesAB }, bToA: { bytes: r.bytesBA, packets: 1 },
    firstSeenMs: T0 + r.first * 1000, lastSeenMs: T0 + (r.first + r.bytesAB) * 1000, state: r.state, tcpFlags: 0,
    bpsAToB: 0, bpsBToA: 0, active: false, icmp: null, ...(r.app === undefined ? {} : { app: r.app }),
  }));

const filterArb: fc.Arbitrary<FlowFilter> = fc.record(
  {
    text: fc.constantFrom('10.0.0.9', '10.0.0.9:', ':443', '[2001:db8::1]', 'EXAMPLE', 'com cdn', 'udp', 'ended', 'eth0', '::', '0 ', 'zzz', 'curl', 'eth0 curl', 'SYSTEM (user'),
    proto: fc.subarray([...PROTOS], { minLength: 1 }),
    ip: fc.constantFrom('10.0.0.0/24', '10.0.0.9', '2001:db8::/32', '::/0', '0.0.0.0/0', '10.0.0.8/31'),
    port: fc.constantFrom(53, 443, 65535),
    ports: fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 70000 })).map(([lo, span]) => [lo, Math.min(65535, lo + span)] as [number, number]), { minLength: 1, maxLength: 3 }),
    name: fc.constantFrom('example', 'TEST', 'cdn.'),
    state: fc.subarray([...STATES], { minLength: 1 }),
    shown: fc.subarray(['ended', 'syn', 'closed'] as const, { minLength: 1 }).map((s) => [...s]),
    iface: fc.constantFrom('eth0', 'wlan0'),
    application: fc.constantFrom('curl', 'CURL', 'python3', 'system (user 0)', 'System (User 0)', 'pyth', 'firefox'),
    session: fc.constantFrom('s1', 's2', '*'),
    ids: fc.subarray(['s1:0', 's1:3', 's2:1', 'x:1']),
    fromMs: fc.integer({ min: 0, max: 8 }).map((s) => T0 + s * 1000),
    toMs: fc.integer({ min: 0, max: 8 }).map((s) => T0 + s * 1000),
  },
  { requiredKeys: [] },
);

const sortArb: fc.Arbitrary<FlowSort> = fc.record({ key: fc.constantFrom(...FLOW_SORT_KEYS), dir: fc.constantFrom('asc' as const, 'desc' as const) });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-flow-query-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('one flow filter and sort, as a predicate and as SQL', () => {
  it('finds the same flows in the same order in memory and in the history, and pages them by cursor', () => {
    let run = 0;
    const setArb = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 })).chain(([n1, n2]) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n1 }, (_, i) => flowArb('s1', i))),
        fc.tuple(...Array.from({ length: n2 }, (_, i) => flowArb('s2', i))),
      ).map(([x, y]) => [...x, ...y]),
    );
    fc.assert(
      fc.property(setArb, fc.array(fc.tuple(filterArb, sortArb), { minLength: 1, maxLength: 8 }), (flows, queries) => {
        const db = new HistoryDb(path.join(dir, `h${run++}.sqlite`));
        try {
          db.recordFinishedFlows(flows);
          for (const [filter, sort] of queries) {
            const compiled = compileFlowFilter(filter);
            const expected = sortFlowList(flows.filter((f) => compiled.matches(f)), sort).map((f) => f.id);
            const page = db.searchFlows(filter, sort, 0, 1000);
            expect(page.flows.map((f) => f.id), JSON.stringify({ filter, sort })).toEqual(expected);
            expect(page.total).toBe(expected.length);
            expect(page.next).toBeNull();
            // Three rows a page, each continuing from the cursor of the one before.
            const paged: string[] = [];
            let next = db.searchFlows(filter, sort, 0, 3);
            paged.push(...next.flows.map((f) => f.id));
            while (next.next !== null) {
              next = db.searchFlows(filter, sort, 0, 3, next.next);
              paged.push(...next.flows.map((f) => f.id));
            }
            expect(paged, JSON.stringify({ filter, sort })).toEqual(expected);
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('continues a rate page of the history after the cursor of a live flow, which has a rate', () => {
    const db = new HistoryDb(path.join(dir, 'rate-cursor.sqlite'));
    try {
      const flows = ['s1:1', 's1:2', 's1:3'].map((id) => makeFlow({ id, active: false }));
      db.recordFinishedFlows(flows);
      const filter = { session: 's1' };
      const ids = (sort: FlowSort, value: number, id: string) => db.searchFlows(filter, sort, 0, 10, { value, id }).flows.map((f) => f.id);
      // Going down, every logged flow (rate 0) comes after a live flow still sending; after a 0 rate, the ids that follow.
      expect(ids({ key: 'rate', dir: 'desc' }, 1500, 's9:9')).toEqual(['s1:1', 's1:2', 's1:3']);
      expect(ids({ key: 'rate', dir: 'desc' }, 0, 's1:1')).toEqual(['s1:2', 's1:3']);
      // Going up, none comes after a live flow's rate.
      expect(ids({ key: 'rate', dir: 'asc' }, 1500, 's0:0')).toEqual([]);
      expect(ids({ key: 'rate', dir: 'asc' }, 0, 's1:2')).toEqual(['s1:3']);
    } finally {
      db.close();
    }
  });

  it('searches flows logged before their text was kept as it searches new ones', () => {
    const file = path.join(dir, 'search-text.sqlite');
    const searches = ['cdn.example', '[2001:db8::5]:41000', 'ended', ':443'];
    const found = (db: HistoryDb) =>
      searches.map((text) => db.searchFlows({ session: 's1', text }, { key: 'rate', dir: 'desc' }, 0, 10).flows.map((f) => f.id));
    const named = makeFlow({ id: 's1:1', active: false, a: '2001:db8::5', aPort: 41000, names: { a: null, b: null, sni: 'cdn.example', httpHost: null, dnsQuery: null, name: null, source: null } });
    const kept = [['s1:1'], ['s1:1'], ['s1:1', 's1:2'], ['s1:1', 's1:2']];
    let db = new HistoryDb(file);
    db.recordFinishedFlows([named, makeFlow({ id: 's1:2', active: false })]);
    expect(found(db)).toEqual(kept);
    // As a database made before the text was kept has them: no text row.
    db.database.exec('DELETE FROM flow_text');
    db.close();
    db = new HistoryDb(file);
    expect(found(db)).toEqual(kept);
    // As an older build kept it: in the log's own column, NULL for its oldest rows.
    db.database.exec(`ALTER TABLE flow_log ADD COLUMN search_text TEXT;
      UPDATE flow_log SET search_text = (SELECT text FROM flow_text WHERE id = flow_log.rowid) WHERE flow_id = 's1:2';
      DELETE FROM flow_text`);
    db.close();
    db = new HistoryDb(file);
    try {
      expect(found(db)).toEqual(kept);
      const columns = db.database.prepare<[], { name: string }>('PRAGMA table_info(flow_log)').all().map((c) => c.name);
      expect(columns).not.toContain('search_text');
    } finally {
      db.close();
    }
  });

  // Enough flows that a common text's pages walk an index in the sort's order, looking up each row's text.
  const manyFlows = () =>
    [
      ...fc.sample(fc.nat().chain((n) => flowArb('s1', n)), { numRuns: 300, seed: 11 }),
      ...fc.sample(fc.nat().chain((n) => flowArb('s2', n)), { numRuns: 100, seed: 12 }),
    ].map((f, i) => ({ ...f, id: `${f.id.split(':')[0]}:${i}` }));

  it('finds the flows of an address block in the history as the predicate does', () => {
    const flows = manyFlows();
    const db = new HistoryDb(path.join(dir, 'blocks.sqlite'));
    try {
      db.recordFinishedFlows(flows);
      for (const ip of ['10.0.0.9', '10.0.0.10', '10.0.0.0/24', '10.0.0.8/31', '10.0.1.1/32', '2001:db8::/32', '2001:db8::5', '::/0', '0.0.0.0/0', 'fe80::1', '::ffff:10.0.0.9'])
        for (const filter of [{ ip }, { ip, session: 's2' }]) {
          const compiled = compileFlowFilter(filter);
          const sort: FlowSort = { key: 'a', dir: 'asc' };
          const expected = sortFlowList(flows.filter((f) => compiled.matches(f)), sort).map((f) => f.id);
          expect(expected.length, ip).toBeGreaterThan(0);
          expect(db.searchFlows(filter, sort, 0, 1000).flows.map((f) => f.id), JSON.stringify(filter)).toEqual(expected);
        }
    } finally {
      db.close();
    }
  });

  it('pages a text search that most logged flows match as one that few match', () => {
    const flows = manyFlows();
    const db = new HistoryDb(path.join(dir, 'text-pages.sqlite'));
    try {
      db.recordFinishedFlows(flows);
      for (const text of ['ended', 'eth0', 'udp', ':443', 'example', 'zzz'])
        for (const key of ['lastSeen', 'a', 'b', 'bytes', 'rate'] as const)
          for (const filter of [{ text }, { text, session: 's1' }]) {
            const sort: FlowSort = { key, dir: key === 'a' ? 'asc' : 'desc' };
            const compiled = compileFlowFilter(filter);
            const expected = sortFlowList(flows.filter((f) => compiled.matches(f)), sort).map((f) => f.id);
            const paged: string[] = [];
            let page = db.searchFlows(filter, sort, 0, 5);
            expect(page.total).toBe(expected.length);
            paged.push(...page.flows.map((f) => f.id));
            for (let i = 0; i < 3 && page.next !== null; i++) {
              page = db.searchFlows(filter, sort, 0, 5, page.next);
              paged.push(...page.flows.map((f) => f.id));
            }
            expect(paged, JSON.stringify({ filter, sort })).toEqual(expected.slice(0, paged.length));
            expect(paged.length).toBe(Math.min(20, expected.length));
            expect(db.searchFlows(filter, sort, 7, 5).flows.map((f) => f.id)).toEqual(expected.slice(7, 12));
          }
    } finally {
      db.close();
    }
  });

  it('removes a flow\'s text with the flow', () => {
    const db = new HistoryDb(path.join(dir, 'text-retention.sqlite'));
    try {
      const old = makeFlow({ id: 's1:1', active: false, lastSeenMs: T0 });
      const recent = makeFlow({ id: 's1:2', active: false, lastSeenMs: T0 + 5 * 86_400_000 });
      db.recordFinishedFlows([old, recent]);
      const texts = () => db.database.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM flow_text').get()?.n;
      expect(texts()).toBe(2);
      db.applyRetention({ dbPath: '', minuteDays: 1, hourDays: 1, flowLogDays: 1 }, T0 + 5 * 86_400_000);
      expect(texts()).toBe(1);
      expect(db.searchFlows({ text: 'ended' }, { key: 'lastSeen', dir: 'desc' }, 0, 10).flows.map((f) => f.id)).toEqual(['s1:2']);
    } finally {
      db.close();
    }
  });

  it('searches what the table shows of a flow', () => {
    const f: FlowSummary = {
      id: 's:1', iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6, a: '2001:db8::5', aPort: 41000, b: '10.0.0.1', bPort: 443,
      names: { a: null, b: 'cdn.example', sni: 'cdn.example', httpHost: 'Intranet.test', dnsQuery: null, name: null, source: null }, aToB: { bytes: 1, packets: 1 },
      bToA: { bytes: 1, packets: 1 }, firstSeenMs: 0, lastSeenMs: 0, state: 'established', tcpFlags: 0, bpsAToB: 0, bpsBToA: 0, active: true, icmp: null,
    };
    expect(flowText(f)).toBe('[2001:db8::5]:41000 10.0.0.1:443 cdn.example intranet.test tcp established eth0');
    expect(() => compileFlowFilter({ ip: '10.0.0.0/33' })).toThrow(/0 to 32/);
    expect(() => compileFlowFilter({ ports: [[90, 80]] })).toThrow(/backwards/);
  });

  it('keeps a flow\'s application in the history and filters by its label, exact and case-insensitive', () => {
    const db = new HistoryDb(path.join(dir, 'apps.sqlite'));
    try {
      const base = fc.sample(flowArb('s9', 0), { numRuns: 1, seed: 7 })[0];
      const flows = APPS.map((app, i): FlowSummary => {
        const { app: _drop, ...rest } = base;
        return { ...rest, id: `s9:${i}`, ...(app === undefined ? {} : { app }) };
      });
      db.recordFinishedFlows(flows);
      expect(db.findFlow('s9:1')?.app).toEqual(APPS[1]);
      expect(db.findFlow('s9:4')?.app).toEqual(APPS[4]);
      expect(db.findFlow('s9:0')?.app).toBeUndefined();
      const ids = (filter: FlowFilter) => db.searchFlows(filter, { key: 'application', dir: 'asc' }, 0, 100).flows.map((f) => f.id);
      // curl and Curl are one label to a person; "pyth" is no application.
      expect(ids({ application: 'CURL' })).toEqual(['s9:1', 's9:2']);
      expect(ids({ application: 'pyth' })).toEqual([]);
      expect(ids({ application: 'system (user 0)' })).toEqual(['s9:4']);
      expect(ids({ text: 'python' })).toEqual(['s9:3']);
      // Sorted by label, flows without one last.
      expect(ids({})).toEqual(['s9:1', 's9:2', 's9:3', 's9:4', 's9:0']);
    } finally {
      db.close();
    }
  });
});
