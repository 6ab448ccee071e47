import type { CaptureStatus, FlowSummary } from '../../../src-renderer/transport/api-types';

/** A flow summary with plausible defaults; tests override what they are about. */
export function makeFlow(over: Partial<FlowSummary> & { id: string }): FlowSummary {
  return {
    iface: 'eth0',
    vlan: null,
    proto: 'tcp',
    ipProto: 6,
    a: '192.0.2.10',
    aPort: 50000,
    b: '198.51.100.1',
    bPort: 443,
    names: { a: null, b: null, sni: null, httpHost: null, dnsQuery: null, name: null, source: null },
    aToB: { bytes: 1000, packets: 10 },
    bToA: { bytes: 5000, packets: 8 },
    firstSeenMs: 1_700_000_000_000,
    lastSeenMs: 1_700_000_010_000,
    state: 'established',
    tcpFlags: 0x18,
    icmp: null,
    bpsAToB: 0,
    bpsBToA: 0,
    active: true,
    ...over,
  };
}

/** A live capture on eth0 in the given state. */
export function makeCaptureStatus(captureId: string, state: CaptureStatus['state'] = 'running'): CaptureStatus {
  return {
    state,
    captureId,
    source: { kind: 'live', interfaces: ['eth0'] },
    path: 'netmon-capture',
    startedAtMs: 0,
    progress: null,
    error: null,
    helper: 'connected',
    helperRestarts: 0,
    revision: 1,
    demo: false,
  };
}
