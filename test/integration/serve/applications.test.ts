/**
 * `GET /api/applications` through a real `netmon serve`: usage per application summed from finished flows written to
 * the history (with their process, through HistoryDb as main writes them) before serve starts, per session or over
 * every session and within a time window; its parameters are checked and it needs the token like every route.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationsReport } from '../../../src-main/api/types/applications';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowApplication, FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import { HistoryDb } from '../../../src-main/core/history-db';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';

const RETENTION_ENV = { NETMON_HISTORY_MINUTE_DAYS: '3650', NETMON_HISTORY_HOUR_DAYS: '36500', NETMON_HISTORY_FLOW_LOG_DAYS: '36500' };
const NOW = Date.now();
const CURL: FlowApplication = { label: 'curl', pid: 4100, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false };
const PYTHON: FlowApplication = { label: 'python3', pid: 4200, name: 'python3', exe: '/usr/bin/python3.12', uid: 1001, user: 'bob', system: false };
const SYSTEM: FlowApplication = { label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true };

let n = 0;
function flow(session: string, app: FlowApplication | undefined, a: string, b: string, bytesAB: number, bytesBA: number, ageMs: number, sni: string | null = null): FlowSummary {
  return {
    id: `${session}:${n++}`, iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6, a, aPort: 40_000 + n, b, bPort: 443,
    names: { a: null, b: null, sni, httpHost: null, dnsQuery: null, name: sni, source: sni === null ? null : 'sni' },
    aToB: { bytes: bytesAB, packets: 1 }, bToA: { bytes: bytesBA, packets: 1 }, firstSeenMs: NOW - ageMs - 1000, lastSeenMs: NOW - ageMs,
    state: 'fin', tcpFlags: 0x1b, icmp: null, bpsAToB: 0, bpsBToA: 0, active: false, ...(app === undefined ? {} : { app }),
  };
}

// 10.77.0.2 is this side (no address of the test machine: the opener, A, is the local side); 127.0.0.1 is local.
const LV1 = [
  flow('lv1', CURL, '10.77.0.2', '93.184.216.34', 1000, 50_000, 60_000, 'example.com'),
  flow('lv1', { ...CURL, pid: 4101 }, '10.77.0.2', '93.184.216.34', 500, 9000, 50_000, 'example.com'),
  flow('lv1', { ...CURL, pid: 4102 }, '10.77.0.2', '198.51.100.7', 200, 3000, 40_000),
  // Five more small hosts: only the top 5 of curl's six hosts are listed.
  ...[1, 2, 3, 4, 5].map((i) => flow('lv1', CURL, '10.77.0.2', `198.51.100.${100 + i}`, i, i * 10, 30_000)),
  flow('lv1', PYTHON, '10.77.0.2', '93.184.216.34', 700, 100, 20_000),
  // A connection to a local server from outside: the process received A→B and sent B→A.
  flow('lv1', SYSTEM, '203.0.113.9', '127.0.0.1', 4000, 60, 10_000),
  flow('lv1', undefined, '10.77.0.2', '8.8.8.8', 80, 120, 5000),
];
const LV2 = [
  flow('lv2', { ...CURL, label: 'Curl', pid: 5000 }, '10.77.0.2', '203.0.113.50', 100, 400, 30_000),
  flow('lv2', PYTHON, '10.77.0.2', '203.0.113.60', 10, 20, 2 * 3_600_000),
];

let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-applications-'));
  const db = new HistoryDb(path.join(dir, 'h.sqlite'));
  db.startSession({ id: 'lv1', kind: 'live', source: 'eth0', startedAtMs: NOW - 120_000 });
  db.startSession({ id: 'lv2', kind: 'live', source: 'eth0', startedAtMs: NOW - 3 * 3_600_000 });
  db.recordFinishedFlows([...LV1, ...LV2]);
  db.endSession('lv1', NOW - 1000);
  db.endSession('lv2', NOW - 100_000);
  db.close();
  serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, 'Dns.pcap'), '--speed', '0', '--db', path.join(dir, 'h.sqlite')], RETENTION_ENV);
  await waitFor('the replay to finish', async () => {
    const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
    return body.state === 'finished' ? body : undefined;
  }, 60_000);
}, 90_000);
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function report(query: string): Promise<ApplicationsReport> {
  const { status, body } = await getJson<ApplicationsReport>(`${serve.url}/api/applications?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('GET /api/applications', () => {
  it('sums one session per application: bytes each way as the process saw them, flows, pids, top 5 hosts with names', async () => {
    const r = await report('session=lv1');
    expect(r.session).toBe('lv1');
    expect(r.attribution).toBe(process.platform === 'linux' ? 'available' : 'unsupported-platform');
    expect(r.applications.map((a) => [a.label, a.bytesOut, a.bytesIn, a.flows])).toEqual([
      ['curl', 1000 + 500 + 200 + 15, 50_000 + 9000 + 3000 + 150, 8],
      ['system (user 0)', 60, 4000, 1],
      ['python3', 700, 100, 1],
    ]);
    const curl = r.applications[0];
    expect(curl).toMatchObject({ system: false, uid: 1000, user: 'alice', exe: '/usr/bin/curl', activeFlows: 0 });
    expect(curl.pids.sort()).toEqual([4100, 4101, 4102]);
    expect(curl.topHosts).toEqual([
      { host: '93.184.216.34', name: 'example.com', bytes: 60_500, flows: 2 },
      { host: '198.51.100.7', name: null, bytes: 3200, flows: 1 },
      { host: '198.51.100.105', name: null, bytes: 55, flows: 1 },
      { host: '198.51.100.104', name: null, bytes: 44, flows: 1 },
      { host: '198.51.100.103', name: null, bytes: 33, flows: 1 },
    ]);
    const system = r.applications[1];
    expect(system).toMatchObject({ system: true, uid: 0, user: 'root', pids: [], topHosts: [{ host: '203.0.113.9', name: null, bytes: 4060, flows: 1 }] });
    expect(r.unattributed).toEqual({ bytes: 200, flows: 1 });
  });

  it('counts every session with session=*, labels alike in any case as one, and a window leaves older flows out', async () => {
    const all = await report('session=*');
    const curl = all.applications.find((a) => a.label.toLowerCase() === 'curl');
    expect(curl?.flows).toBe(9);
    expect(curl?.bytesOut).toBe(1715 + 100);
    expect(all.applications.find((a) => a.label === 'python3')?.flows).toBe(2);
    const recent = await report('session=*&window=1h');
    expect(recent.fromMs).toBeGreaterThan(NOW - 3_700_000);
    expect(recent.applications.find((a) => a.label === 'python3')?.flows).toBe(1);
    expect((await report('session=*&window=3600')).applications.find((a) => a.label === 'python3')?.flows).toBe(1);
    // The flows of a row are those the application filter finds.
    const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?session=*&application=CURL&limit=100`);
    expect(body.total).toBe(9);
    expect(body.flows.every((f) => f.app?.label.toLowerCase() === 'curl')).toBe(true);
  });

  it('says why a capture file has no applications', async () => {
    const current = await report('');
    expect(current.session).not.toBe('lv1');
    expect(current.applications).toEqual([]);
    expect(current.attribution).toBe(process.platform === 'linux' ? 'capture-file' : 'unsupported-platform');
    expect(current.unattributed.flows).toBeGreaterThan(0);
  });

  it('refuses bad parameters with the reason, and requests without the token', async () => {
    for (const [query, reason] of [
      ['window=soon', /window: expected seconds or a duration/],
      ['window=0', /windowSec/],
      [`session=${'x'.repeat(65)}`, /session/],
    ] as const) {
      const { status, body } = await getJson<{ error: { message: string } }>(`${serve.url}/api/applications?${query}`);
      expect(status, query).toBe(400);
      expect(JSON.stringify(body), query).toMatch(reason);
    }
    const anonymous = await fetch(`${serve.url}/api/applications`);
    expect(anonymous.status).toBe(401);
  });
});
