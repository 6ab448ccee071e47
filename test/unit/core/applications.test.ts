/**
 * Usage per application (src-main/core/applications.ts) over finished flows in SQLite and active flows together:
 * each flow counted once, the process's side read from this machine's addresses, labels alike in any case as one,
 * and the lists bounded.
 */
import { describe, expect, it } from 'vitest';
import type { FlowApplication, FlowSummary } from '../../../src-main/api/types/flows';
import { applicationsReport, MAX_APPLICATIONS, TOP_HOSTS } from '../../../src-main/core/applications';
import type { ApplicationsRequest } from '../../../src-main/core/applications';
import { HistoryDb } from '../../../src-main/core/history-db';

const app = (label: string, pid: number | null = 1): FlowApplication => ({ label, pid, name: pid === null ? null : label, exe: null, uid: 1000, user: 'alice', system: pid === null });

let n = 0;
function flow(session: string, a: string, b: string, bytesAB: number, bytesBA: number, owner: FlowApplication | undefined, active: boolean, lastSeenMs = 1000): FlowSummary {
  return {
    id: `${session}:${n++}`, iface: 'eth0', vlan: null, proto: 'udp', ipProto: 17, a, aPort: 5000, b, bPort: 53,
    names: { a: null, b: null, sni: null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: bytesAB, packets: 1 }, bToA: { bytes: bytesBA, packets: 1 }, firstSeenMs: 0, lastSeenMs, state: 'active', tcpFlags: 0, icmp: null,
    bpsAToB: 0, bpsBToA: 0, active, ...(owner === undefined ? {} : { app: owner }),
  };
}

const request = (over: Partial<ApplicationsRequest> = {}): ApplicationsRequest => ({
  session: 's1', fromMs: null, sessionKind: 'live', platform: 'linux', localAddresses: ['192.168.1.10'], nameOf: () => undefined, ...over,
});

describe('applications report', () => {
  it('adds active flows to the finished ones, each once, from the process\'s side', () => {
    const db = new HistoryDb(':memory:');
    try {
      db.recordFinishedFlows([
        flow('s1', '192.168.1.10', '203.0.113.1', 10, 100, app('curl'), false),
        // Someone connected to a local server: the process sent B→A.
        flow('s1', '198.51.100.2', '192.168.1.10', 1000, 7, app('sshd', null), false),
        flow('s2', '192.168.1.10', '203.0.113.1', 99_999, 1, app('curl'), false),
      ]);
      const active = [
        flow('s1', '192.168.1.10', '203.0.113.1', 5, 50, app('CURL', 77), true),
        flow('s1', '192.168.1.10', '203.0.113.2', 1, 2, undefined, true),
        flow('s2', '192.168.1.10', '203.0.113.1', 1, 1, app('curl'), true),
      ];
      const r = applicationsReport(db.database, active, request({ nameOf: (ip) => (ip === '203.0.113.1' ? 'one.example' : undefined) }));
      expect(r.applications.map((a) => [a.label, a.bytesOut, a.bytesIn, a.flows, a.activeFlows])).toEqual([
        ['sshd', 7, 1000, 1, 0],
        ['CURL', 15, 150, 2, 1],
      ]);
      expect(r.applications[1].pids).toEqual([77, 1]);
      expect(r.applications[1].topHosts).toEqual([{ host: '203.0.113.1', name: 'one.example', bytes: 165, flows: 2 }]);
      expect(r.applications[0].topHosts).toEqual([{ host: '198.51.100.2', name: null, bytes: 1007, flows: 1 }]);
      expect(r.unattributed).toEqual({ bytes: 3, flows: 1 });
      expect(applicationsReport(db.database, active, request({ session: '*' })).applications.find((a) => a.label.toLowerCase() === 'curl')?.flows).toBe(4);
      expect(applicationsReport(db.database, [], request({ sessionKind: 'replay' })).attribution).toBe('capture-file');
      expect(applicationsReport(db.database, [], request({ platform: 'darwin' })).attribution).toBe('unsupported-platform');
    } finally {
      db.close();
    }
  });

  it('lists at most the top applications by bytes and the top hosts of each', () => {
    const db = new HistoryDb(':memory:');
    try {
      const many = Array.from({ length: MAX_APPLICATIONS + 30 }, (_, i) => flow('s1', '192.168.1.10', `203.0.113.${i % 250}`, i + 1, 0, app(`p${i}`), false));
      const hosts = Array.from({ length: TOP_HOSTS + 3 }, (_, i) => flow('s1', '192.168.1.10', `198.51.100.${i}`, 1000 * (i + 1), 0, app('busy'), false));
      db.recordFinishedFlows([...many, ...hosts]);
      const r = applicationsReport(db.database, [], request());
      expect(r.applications).toHaveLength(MAX_APPLICATIONS);
      expect(r.omitted).toBe(31);
      expect(r.applications[0].label).toBe('busy');
      expect(r.applications[0].topHosts.map((h) => h.host)).toEqual(['198.51.100.7', '198.51.100.6', '198.51.100.5', '198.51.100.4', '198.51.100.3']);
      // busy and the 99 biggest of p0 (1 byte) … p129 (130 bytes).
      expect(r.applications.at(-1)?.label).toBe(`p${MAX_APPLICATIONS + 30 - (MAX_APPLICATIONS - 1)}`);
      expect(applicationsReport(db.database, [], request({ fromMs: 2000 })).applications).toEqual([]);
    } finally {
      db.close();
    }
  });
});
