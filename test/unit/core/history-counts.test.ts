/**
 * Counts the history keeps between pages follow every change of the log; a database made before the endpoint
 * indexes gets them when opened, and its sorts read them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowFilter, FlowSummary } from '../../../src-main/api/types/flows';
import { HistoryDb } from '../../../src-main/core/history-db';
import type { FlowSort } from '../../../src-shared/flow-query';
import { compileFlowFilter, flowOrderSql, sortFlowList } from '../../../src-shared/flow-query';

const T0 = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;
// Names with what a phrase query, a LIKE pattern or a case fold could take for syntax or change.
const NAMES = [null, 'example.com', 'Ünïcode.Example', 'a"quote".test', 'x%_y*z', 'İstanbul.tr', 'ŞEHİR', 'Straße', '日本語.jp', '🙂.emoji', ''];
const ADDRESSES = ['10.0.0.9', '10.0.0.10', '192.0.2.53', '2001:db8::1', 'fe80::1'];

const flowArb = (i: number): fc.Arbitrary<FlowSummary> =>
  fc
    .record({
      a: fc.constantFrom(...ADDRESSES),
      b: fc.constantFrom(...ADDRESSES),
      aPort: fc.option(fc.constantFrom(53, 443, 12345, 40000), { nil: null }),
      bPort: fc.option(fc.constantFrom(80, 443), { nil: null }),
      sni: fc.constantFrom(...NAMES),
      name: fc.constantFrom(...NAMES),
      proto: fc.constantFrom('tcp' as const, 'udp' as const),
      iface: fc.constantFrom('eth0', 'wlan0'),
      day: fc.integer({ min: 0, max: 3 }),
    })
    .map((r): FlowSummary => ({
      id: `s${i % 2}:${i}`, iface: r.iface, vlan: null, proto: r.proto, ipProto: r.proto === 'tcp' ? 6 : 17, a: r.a, aPort: r.aPort, b: r.b, bPort: r.bPort,
      names: { a: null, b: null, sni: r.sni, httpHost: null, dnsQuery: null, name: r.name, source: null },
      aToB: { bytes: i, packets: 1 }, bToA: { bytes: 0, packets: 0 }, firstSeenMs: T0 + r.day * DAY_MS, lastSeenMs: T0 + r.day * DAY_MS + 1000,
      state: 'closed', tcpFlags: 0, bpsAToB: 0, bpsBToA: 0, active: false, icmp: null,
    }));

const flowsArb = fc.integer({ min: 1, max: 25 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => flowArb(i))));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-text-index-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a search finds, in order, by the predicate (the plain reading of each row's text). */
function expected(flows: readonly FlowSummary[], filter: FlowFilter, sort: FlowSort): string[] {
  const { matches } = compileFlowFilter(filter);
  return sortFlowList(flows.filter(matches), sort).map((f) => f.id);
}

/** Removes what this build adds to the log's schema: a database as the build before it left one. */
function asMadeBefore(file: string): void {
  const db = new HistoryDb(file);
  db.database.exec(`
    DROP INDEX flow_log_sort_a; DROP INDEX flow_log_sort_b;`);
  db.close();
}

describe('row counts and endpoint orders of the history', () => {
  it('gives a database made before the endpoint indexes its indexes when opened, and sorts by endpoint through them', () => {
    const file = path.join(dir, 'before.sqlite');
    const flows = fc.sample(flowsArb, { numRuns: 1, seed: 7 })[0];
    const db = new HistoryDb(file);
    db.recordFinishedFlows(flows);
    db.close();
    asMadeBefore(file);
    const reopened = new HistoryDb(file);
    try {
      for (const key of ['a', 'b'] as const) {
        for (const dir of ['asc', 'desc'] as const) {
          const sort: FlowSort = { key, dir };
          expect(reopened.searchFlows({}, sort, 0, 1000).flows.map((f) => f.id)).toEqual(expected(flows, {}, sort));
          const plan = reopened.database
            .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN SELECT rowid FROM flow_log ${flowOrderSql(sort, undefined).orderBy} LIMIT 10`)
            .all()
            .map((r) => r.detail)
            .join('; ');
          expect(plan).toContain(`USING INDEX flow_log_sort_${key}`);
        }
      }
    } finally {
      reopened.close();
    }
  });

  it('counts a query again once the log changes, whichever way it changed', () => {
    const db = new HistoryDb(path.join(dir, 'counts.sqlite'));
    try {
      const flows = fc.sample(flowsArb, { numRuns: 1, seed: 3 })[0];
      const sort: FlowSort = { key: 'rate', dir: 'desc' };
      db.recordFinishedFlows(flows);
      expect(db.searchFlows({}, sort, 0, 1).total).toBe(flows.length);
      expect(db.searchFlows({ text: 'tcp' }, sort, 0, 1).total).toBe(expected(flows, { text: 'tcp' }, sort).length);
      db.recordFinishedFlows([{ ...flows[0], id: 's0:500', proto: 'tcp' }]);
      expect(db.searchFlows({}, sort, 0, 1).total).toBe(flows.length + 1);
      expect(db.searchFlows({ text: 'tcp' }, sort, 0, 1).total).toBe(expected(flows, { text: 'tcp' }, sort).length + 1);
      // Through the connection other features share (alerts keep their tables there).
      db.database.prepare('DELETE FROM flow_log WHERE flow_id = ?').run('s0:500');
      expect(db.searchFlows({}, sort, 0, 1).total).toBe(flows.length);
      // Through another connection to the file.
      const other = new HistoryDb(db.file);
      other.recordFinishedFlows([{ ...flows[0], id: 's1:501' }]);
      other.close();
      expect(db.searchFlows({}, sort, 0, 1).total).toBe(flows.length + 1);
    } finally {
      db.close();
    }
  });
});
