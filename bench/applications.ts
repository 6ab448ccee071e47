/**
 * The cost of the Applications report and of the `application` flow filter, run as
 * `node dist/bench/applications.js [FINISHED] [ACTIVE]` (bench/run.ts starts it as a child; prints one JSON line;
 * figures, not asserts). FINISHED flows of one live session in a SQLite history on disk, spread over 300
 * applications (a few heavy, many light, as on a desktop) and 2000 remote hosts, plus ACTIVE flows in memory: the
 * report over the session, over every session with a one-hour window, and a page of one application's flows.
 * Medians of 5, the two reports taking turns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlowApplication, FlowSummary } from '../src-main/api/types/flows';
import { applicationsReport } from '../src-main/core/applications';
import { HistoryDb } from '../src-main/core/history-db';
import { median, ms, round } from './stats';

export interface ApplicationsBenchResult {
  finishedFlows: number;
  activeFlows: number;
  /** Milliseconds, median of 5. */
  sessionReportMs: number;
  allSessionsLastHourMs: number;
  applicationFilterPageMs: number;
}

const SESSION = 'bench';
const RUNS = 5;
const APPS = 300;
const T0 = Date.now() - 1_800_000;

function appOf(i: number): FlowApplication {
  // Squared: low indexes (heavy users) own most flows.
  const k = Math.floor(((i * 2654435761) % 1000) ** 2 / 1_000_000 * APPS) % APPS;
  return k % 10 === 9
    ? { label: `system (user ${k})`, pid: null, name: null, exe: null, uid: k, user: null, system: true }
    : { label: `app${k}`, pid: 1000 + (i % 50), name: `app${k}`, exe: `/usr/bin/app${k}`, uid: 1000, user: 'alice', system: false };
}

function flowAt(i: number, active: boolean): FlowSummary {
  return {
    id: `${SESSION}:${active ? 'a' : 'f'}${i}`, iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6,
    a: '192.168.1.20', aPort: 1024 + (i % 60000), b: `198.51.${(i >> 8) % 8}.${i % 250}`, bPort: 443,
    names: { a: null, b: null, sni: i % 3 === 0 ? `h${i % 2000}.example` : null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: (i * 7919) % 100_000, packets: 1 }, bToA: { bytes: (i * 104729) % 5_000_000, packets: 1 },
    firstSeenMs: T0 + (i % 1_800_000), lastSeenMs: T0 + (i % 1_800_000) + 5000, state: active ? 'established' : 'closed', tcpFlags: 0x1b,
    bpsAToB: 0, bpsBToA: 0, active, icmp: null, ...(i % 20 === 0 ? {} : { app: appOf(i) }),
  };
}



export function runApplicationsBench(finished: number, activeCount: number): ApplicationsBenchResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bench-apps-'));
  const db = new HistoryDb(path.join(dir, 'history.sqlite'));
  try {
    db.startSession({ id: SESSION, kind: 'live', source: 'eth0', startedAtMs: T0 });
    for (let i = 0; i < finished; i += 10_000) {
      const batch: FlowSummary[] = [];
      for (let j = i; j < Math.min(finished, i + 10_000); j++) batch.push(flowAt(j, false));
      db.recordFinishedFlows(batch);
    }
    const active = Array.from({ length: activeCount }, (_, i) => flowAt(i, true));
    const request = { sessionKind: 'live', platform: 'linux' as const, localAddresses: ['192.168.1.20'], nameOf: () => undefined };
    const session: number[] = [];
    const hour: number[] = [];
    const filter: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      session.push(ms(() => applicationsReport(db.database, active, { ...request, session: SESSION, fromMs: null })));
      hour.push(ms(() => applicationsReport(db.database, active, { ...request, session: '*', fromMs: Date.now() - 3_600_000 })));
      filter.push(ms(() => db.searchFlows({ session: SESSION, application: 'app3' }, { key: 'bytes', dir: 'desc' }, 0, 100)));
    }
    return {
      finishedFlows: finished,
      activeFlows: activeCount,
      sessionReportMs: round(median(session), 1),
      allSessionsLastHourMs: round(median(hour), 1),
      applicationFilterPageMs: round(median(filter), 1),
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const finished = Number(process.argv[2] ?? 200_000);
  const active = Number(process.argv[3] ?? 20_000);
  process.stdout.write(`${JSON.stringify(runApplicationsBench(finished, active))}\n`);
}
