import type { AlertEvent } from '../alerts/alert-event';

/** What a channel delivers: an alert event, or a test from the "send test" button. */
export interface Notification {
  kind: 'firing' | 'recovered' | 'test';
  event: AlertEvent;
}

/** A sample event for the "send test" button, so the test shows what a real alert looks like. */
export function testNotification(now: number): Notification {
  return {
    kind: 'test',
    event: {
      id: 0,
      kind: 'firing',
      ts: now,
      ruleId: 'test',
      ruleName: 'Test notification',
      metric: 'bps',
      direction: 'in',
      scope: { kind: 'all' },
      comparison: 'above',
      severity: 'info',
      threshold: 10e6,
      recoveryThreshold: 10e6,
      windowSec: 10,
      value: 12.5e6,
      summary: 'This is a test from Netmon: the channel works.',
      topHosts: [{
        address: '192.0.2.10', name: 'example.test', bps: 12.4e6, pps: 1400, bpsIn: 12e6, bpsOut: 0.4e6, ppsIn: 1100, ppsOut: 300,
      }],
      topFlows: [{
        protocol: 'tcp', localAddress: '192.0.2.1', localPort: 51_000, remoteAddress: '192.0.2.10', remotePort: 443,
        name: 'example.test', bps: 12.4e6, pps: 1400, bpsIn: 12e6, bpsOut: 0.4e6, ppsIn: 1100, ppsOut: 300,
      }],
    },
  };
}
