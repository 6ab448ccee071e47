/**
 * The flow store's query costs with many flows in the history, run as `node dist/bench/flow-store.js [FLOWS]`
 * (bench/run.ts starts it as a child; prints one JSON line; figures, not asserts). With FLOWS finished flows of
 * one capture session in a SQLite history on disk: a first page sorted by bytes, a deep page (half way) reached
 * by offset and by the keyset cursor (taking turns), a text filter, and a sort by address; the Flows view's own
 * order (rate, 0 for every logged flow: by id) first and half way by cursor. Medians of 5.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlowSummary } from '../src-main/api/types/flows';
import { HistoryDb } from '../src-main/core/history-db';
import type { FlowCursor, FlowFilter, FlowSort } from '../src-shared/flow-query';
import { median, ms, round } from './stats';

export interface FlowStoreResult {
  flows: number;
  insertFlowsPerSecond: number;
  /** Milliseconds, median of 5. */
  firstPageMs: number;
  deepPageByOffsetMs: number;
  deepPageByCursorMs: number;
  textFilterMs: number;
  sortByAddressMs: number;
  rateFirstPageMs: number;
  rateDeepPageByCursorMs: number;
}

const SESSION = 'bench';
const PAGE = 100;
const RUNS = 5;

/** The i-th generated finished flow of the bench session (bench/flows-view.ts fills a history with them too). */
export function flowAt(i: number): FlowSummary {
  const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return {
    id: `${SESSION}:${i}`, iface: 'eth0', vlan: null, proto: i % 5 === 0 ? 'udp' : 'tcp', ipProto: i % 5 === 0 ? 17 : 6,
    a, aPort: 1024 + (i % 60000), b: `192.0.2.${i % 250}`, bPort: i % 3 === 0 ? 443 : 80,
    names: { a: null, b: null, sni: i % 7 === 0 ? `host${i % 1000}.example` : null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: (i * 7919) % 1_000_000, packets: 1 + (i % 50) }, bToA: { bytes: (i * 104729) % 5_000_000, packets: 1 + (i % 70) },
    firstSeenMs: 1_700_000_000_000 + i, lastSeenMs: 1_700_000_000_000 + i + 5000, state: 'closed', tcpFlags: 0x1b,
    bpsAToB: 0, bpsBToA: 0, active: false, icmp: null,
  };
}



export function runFlowStoreBench(flows: number): FlowStoreResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bench-flow-store-'));
  const db = new HistoryDb(path.join(dir, 'history.sqlite'));
  try {
    db.startSession({ id: SESSION, kind: 'replay', source: 'bench', startedAtMs: Date.now() });
    const insertMs = ms(() => {
      for (let i = 0; i < flows; i += 10_000) {
        const batch: FlowSummary[] = [];
        for (let j = i; j < Math.min(flows, i + 10_000); j++) batch.push(flowAt(j));
        db.recordFinishedFlows(batch);
      }
    });
    const filter: FlowFilter = { session: SESSION };
    const sort: FlowSort = { key: 'bytes', dir: 'desc' };
    const depth = Math.floor(flows / 2);
    // The cursor of the row just before the deep page, as the page before it would have given it.
    const before = db.searchFlows(filter, sort, depth - 1, 1).flows[0];
    const cursor: FlowCursor = { value: before.aToB.bytes + before.bToA.bytes, id: before.id };
    const offsetPage = db.searchFlows(filter, sort, depth, PAGE).flows.map((f) => f.id);
    const cursorPage = db.searchFlows(filter, sort, 0, PAGE, cursor).flows.map((f) => f.id);
    if (offsetPage.join() !== cursorPage.join()) throw new Error('the cursor page differs from the offset page');
    const first: number[] = [];
    const byOffset: number[] = [];
    const byCursor: number[] = [];
    const text: number[] = [];
    const address: number[] = [];
    const rateSort: FlowSort = { key: 'rate', dir: 'desc' };
    const rateBefore = db.searchFlows(filter, rateSort, depth - 1, 1).flows[0];
    const rateCursor: FlowCursor = { value: 0, id: rateBefore.id };
    const rateFirst: number[] = [];
    const rateDeep: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      first.push(ms(() => db.searchFlows(filter, sort, 0, PAGE)));
      byOffset.push(ms(() => db.searchFlows(filter, sort, depth, PAGE)));
      byCursor.push(ms(() => db.searchFlows(filter, sort, 0, PAGE, cursor)));
      text.push(ms(() => db.searchFlows({ ...filter, text: 'host12.example' }, sort, 0, PAGE)));
      address.push(ms(() => db.searchFlows(filter, { key: 'a', dir: 'asc' }, 0, PAGE)));
      rateFirst.push(ms(() => db.searchFlows(filter, rateSort, 0, PAGE)));
      rateDeep.push(ms(() => db.searchFlows(filter, rateSort, 0, PAGE, rateCursor)));
    }
    return {
      flows,
      insertFlowsPerSecond: Math.round(flows / (insertMs / 1000)),
      firstPageMs: round(median(first), 1),
      deepPageByOffsetMs: round(median(byOffset), 1),
      deepPageByCursorMs: round(median(byCursor), 1),
      textFilterMs: round(median(text), 1),
      sortByAddressMs: round(median(address), 1),
      rateFirstPageMs: round(median(rateFirst), 1),
      rateDeepPageByCursorMs: round(median(rateDeep), 1),
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const flows = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(runFlowStoreBench(flows))}\n`);
}
