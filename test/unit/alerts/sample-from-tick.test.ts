import { describe, expect, it } from 'vitest';
import type { FlowSummary } from '../../../src-main/api/types/flows';
import type { RollupTick } from '../../../src-main/api/types/rollups';
import { RuleEngine } from '../../../src-main/core/alerts/rule-engine';
import { alertSampleFromTick } from '../../../src-main/core/alerts/sample-from-tick';
import { rule } from './sample-builder';

const TS = Date.UTC(2025, 0, 1, 12, 0, 0);

function summary(id: string, a: string, aPort: number | null, b: string, bPort: number | null, extra: Partial<FlowSummary> = {}): FlowSummary {
  return {
    id, iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6, a, aPort, b, bPort,
    names: { a: null, b: null, sni: null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: 0, packets: 0 }, bToA: { bytes: 0, packets: 0 },
    firstSeenMs: TS - 60_000, lastSeenMs: TS, state: 'established', tcpFlags: 0x18, icmp: null, bpsAToB: 0, bpsBToA: 0, active: true,
    ...extra,
  };
}

const flows = new Map<string, FlowSummary>([
  ['s:1', summary('s:1', '192.168.1.10', 51000, '203.0.113.5', 443, { names: { a: null, b: 'cdn.example.net', sni: 'video.example.com', httpHost: null, dnsQuery: null, name: null, source: null } })],
  // Opened by the remote side towards this machine: the local address decides which end is "ours".
  ['s:2', summary('s:2', '198.51.100.9', 40000, '192.168.1.10', 22, { firstSeenMs: TS + 200, names: { a: 'scanner.example.org', b: null, sni: null, httpHost: null, dnsQuery: null, name: null, source: null } })],
  ['s:3', summary('s:3', '192.168.1.10', null, '192.0.2.1', null, { proto: 'icmp', ipProto: 1 })],
]);

const tick: RollupTick = {
  captureId: 's',
  tsMs: TS,
  interfaces: [{ iface: 'eth0', in: { bytes: 5_000_000, packets: 4000 }, out: { bytes: 250_000, packets: 1500 }, kernelDrops: 3, helperDrops: 2 }],
  protocols: {
    tcp: { bytes: 5_100_000, packets: 5300 }, udp: { bytes: 100_000, packets: 150 }, icmp: { bytes: 50_000, packets: 50 },
    icmpv6: { bytes: 0, packets: 0 }, other: { bytes: 0, packets: 0 },
  },
  topHosts: [{ ip: '203.0.113.5', name: 'cdn.example.net', bytes: 4_800_000, packets: 3600 }, { ip: '198.51.100.9', name: null, bytes: 300_000, packets: 1700 }],
  topFlows: [
    { flowId: 's:1', label: '', bytes: 4_800_000, packets: 3600 },
    { flowId: 's:2', label: '', bytes: 300_000, packets: 1700 },
    { flowId: 's:3', label: '', bytes: 50_000, packets: 50 },
    { flowId: 's:gone', label: '', bytes: 1, packets: 1 },
  ],
  activeFlows: 42,
  newFlows: 1,
};

describe('alert sample from a rollup tick', () => {
  const sample = alertSampleFromTick(tick, { flow: (id) => flows.get(id), localAddresses: new Set(['192.168.1.10']) });

  it('keeps interface direction and adds the drops together', () => {
    expect(sample.interfaces).toEqual([{ name: 'eth0', bytesIn: 5_000_000, packetsIn: 4000, bytesOut: 250_000, packetsOut: 1500, drops: 5 }]);
    expect([sample.ts, sample.activeFlows, sample.newFlows]).toEqual([TS, 42, 1]);
  });

  it('turns top flows into local/remote endpoints with names, and leaves out flows the book no longer knows', () => {
    expect(sample.flows.map((f) => [f.localAddress, f.localPort, f.remoteAddress, f.remotePort, f.name, f.isNew])).toEqual([
      ['192.168.1.10', 51000, '203.0.113.5', 443, 'video.example.com', false],
      ['192.168.1.10', 22, '198.51.100.9', 40000, 'scanner.example.org', true],
      ['192.168.1.10', 0, '192.0.2.1', 0, undefined, false],
    ]);
  });

  it('takes the initiator as this side when no local address is known (capture files)', () => {
    const fromFile = alertSampleFromTick(tick, { flow: (id) => flows.get(id) });
    expect(fromFile.flows[1]).toMatchObject({ localAddress: '198.51.100.9', remoteAddress: '192.168.1.10', remotePort: 22 });
  });

  it('feeds the engine: port, host and drop rules see the tick', () => {
    const engine = new RuleEngine();
    engine.setRules([
      rule({ metric: 'bps', scope: { kind: 'port', port: 443 }, threshold: '30M', windowSec: 1 }, 'https'),
      rule({ metric: 'newFlows', scope: { kind: 'port', port: 22 }, threshold: 0, windowSec: 1 }, 'ssh-new'),
      rule({ metric: 'bps', scope: { kind: 'name', pattern: '*.example.net' }, threshold: '30M', windowSec: 1 }, 'cdn'),
      rule({ metric: 'drops', threshold: 4, windowSec: 1 }, 'drops'),
      rule({ metric: 'bps', direction: 'in', scope: { kind: 'port', port: 443 }, threshold: '1M', windowSec: 1 }, 'https-in'),
    ]);
    const events = engine.evaluate(sample);
    expect(events.map((e) => [e.ruleId, e.value])).toEqual([['https', 38.4e6], ['ssh-new', 1], ['cdn', 38.4e6], ['drops', 5]]);
    expect(events[0].topFlows[0]).toMatchObject({ remoteAddress: '203.0.113.5', name: 'video.example.com', bps: 38.4e6, pps: 3600 });
  });
});
