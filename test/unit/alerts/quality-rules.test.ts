import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../src-main/core/alerts/alert-rule';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import type { AlertEventDraft } from '../../../src-main/core/alerts/alert-event';
import type { AlertQualityFlow, AlertSample } from '../../../src-main/core/alerts/alert-sample';
import { RuleEngine } from '../../../src-main/core/alerts/rule-engine';
import { T0, rule, sample } from './sample-builder';

function run(rules: AlertRule[], samples: AlertSample[]): AlertEventDraft[] {
  const engine = new RuleEngine();
  engine.setRules(rules);
  return samples.flatMap((s) => engine.evaluate(s));
}

const timeline = (events: AlertEventDraft[]) => events.map((e) => `${(e.ts - T0) / 1000}:${e.kind}`);

function qflow(remoteAddress: string, remotePort: number, retransmissions: number, rttMs: number | null, name?: string): AlertQualityFlow {
  const f: AlertQualityFlow = { localAddress: '192.168.1.10', localPort: 50_000, remoteAddress, remotePort, interface: 'eth0', retransmissions, rttMs };
  if (name !== undefined) f.name = name;
  return f;
}

/** A second with the given quality flows; the totals are theirs plus `otherRetransmissions` not listed. */
function qsample(second: number, flows: AlertQualityFlow[], otherRetransmissions = 0): AlertSample {
  const s = sample(second);
  const rtts = flows.flatMap((f) => (f.rttMs === null ? [] : [f.rttMs]));
  s.quality = {
    retransmissions: flows.reduce((n, f) => n + f.retransmissions, otherRetransmissions),
    handshakes: rtts.length,
    rttSumMs: rtts.reduce((a, b) => a + b, 0),
    flows,
  };
  return s;
}

describe('alert rules on TCP quality', () => {
  it('fires on retransmissions per second over the window, counting flows the sample does not list', () => {
    const r = rule({ metric: 'retransmissions', threshold: 5, windowSec: 2 });
    const samples = [qsample(0, [], 0), qsample(1, [qflow('203.0.113.5', 443, 4, null)], 4), qsample(2, [], 8), qsample(3, [], 0), qsample(4, [], 0)];
    // Averages: s1 = 4, s2 = 8 fires, s3 = 4 recovers.
    const events = run([r], samples);
    expect(timeline(events)).toEqual(['2:firing', '3:recovered']);
    expect(events[0].summary).toBe('TCP retransmissions of all traffic above 5 retransmissions/s: 8 retransmissions/s (2 s average)');
  });

  it('measures the mean handshake RTT of the scope and skips seconds without handshakes', () => {
    const r = rule({ metric: 'rtt', threshold: 150, windowSec: 1, scope: { kind: 'host', address: '203.0.113.5' } });
    const samples = [
      qsample(0, [qflow('203.0.113.5', 443, 0, 100), qflow('198.51.100.1', 443, 0, 900)]),
      qsample(1, []),
      qsample(2, [qflow('203.0.113.5', 443, 0, 180), qflow('203.0.113.5', 8443, 0, 240)]),
      qsample(3, [qflow('203.0.113.5', 443, 0, 50)]),
    ];
    const events = run([r], samples);
    expect(timeline(events)).toEqual(['2:firing', '3:recovered']);
    expect(events[0].value).toBe(210);
    expect(events[0].summary).toBe('TCP handshake RTT of host 203.0.113.5 above 150 ms: 210 ms (1 s average)');
  });

  it('scopes retransmissions by port and by name', () => {
    const flows = [qflow('203.0.113.5', 443, 3, null, 'api.example.com'), qflow('203.0.113.6', 22, 7, null)];
    const byPort = run([rule({ metric: 'retransmissions', threshold: 5, windowSec: 1, scope: { kind: 'port', port: 22 } })], [qsample(0, flows)]);
    expect(byPort.map((e) => e.value)).toEqual([7]);
    const byName = run([rule({ metric: 'retransmissions', threshold: 2, windowSec: 1, scope: { kind: 'name', pattern: '*.example.com' } })], [qsample(0, flows)]);
    expect(byName.map((e) => e.value)).toEqual([3]);
  });

  it('scopes retransmissions by application', () => {
    const flows = [{ ...qflow('203.0.113.5', 443, 3, null), application: 'curl' }, { ...qflow('203.0.113.6', 22, 7, null), application: 'ssh' }, qflow('203.0.113.7', 22, 9, null)];
    const byApp = run([rule({ metric: 'retransmissions', threshold: 2, windowSec: 1, scope: { kind: 'application', application: 'Curl' } })], [qsample(0, flows)]);
    expect(byApp.map((e) => e.value)).toEqual([3]);
  });

  it('never fires on a source without TCP analysis', () => {
    const r = rule({ metric: 'rtt', comparison: 'below', threshold: 10, windowSec: 1 });
    expect(run([r], [sample(0), sample(1)])).toEqual([]);
  });

  it('refuses quality rules on UDP and with a direction', () => {
    const errors = (input: Record<string, unknown>) => {
      const r = validateRuleSpec({ name: 'q', threshold: 1, ...input });
      return r.ok ? [] : r.errors.map((e) => `${e.field}: ${e.message}`);
    };
    expect(errors({ metric: 'rtt', scope: { kind: 'protocol', protocol: 'udp' } })).toEqual([
      "scope.protocol: rtt is measured on TCP connections; scope protocol must be 'tcp', not 'udp'",
    ]);
    expect(errors({ metric: 'retransmissions', scope: { kind: 'port', port: 53, protocol: 'udp' } })).toHaveLength(1);
    expect(errors({ metric: 'retransmissions', direction: 'in' })).toEqual(["direction: only bps and pps have a direction; use 'both' for retransmissions"]);
  });
});
