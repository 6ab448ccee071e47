import { describe, expect, it } from 'vitest';
import type { AlertSample } from '../../../src-main/core/alerts/alert-sample';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import { RuleEngine } from '../../../src-main/core/alerts/rule-engine';
import { T0, flow, rule } from './sample-builder';

const MBIT = 1_000_000 / 8;

/** A second of serve --nats: two probes, each with its interface `<probe>/eth0`, at the given download rates. */
function twoProbes(second: number, alphaMbit: number, betaMbit: number): AlertSample {
  const iface = (name: string, mbit: number) => ({ name, bytesIn: mbit * MBIT, bytesOut: 0, packetsIn: 1, packetsOut: 0, drops: 0 });
  return {
    ts: T0 + second * 1000, activeFlows: 2, newFlows: 0,
    interfaces: [iface('alpha/eth0', alphaMbit), iface('beta/eth0', betaMbit)],
    protocols: [], hosts: [],
    flows: [flow('tcp', '198.51.100.1', 443, alphaMbit * MBIT, { interface: 'alpha/eth0' }), flow('tcp', '198.51.100.2', 443, betaMbit * MBIT, { interface: 'beta/eth0' })],
  };
}

describe('alert rules scoped to a probe', () => {
  it("fire on that probe's traffic only, naming its flows", () => {
    const engine = new RuleEngine();
    engine.setRules([rule({ metric: 'bps', direction: 'in', threshold: '10M', windowSec: 1, scope: { kind: 'probe', probe: 'beta' } })]);
    const events = [twoProbes(0, 50, 1), twoProbes(1, 50, 1), twoProbes(2, 1, 50)].flatMap((s) => engine.evaluate(s));
    expect(events.map((e) => [(e.ts - T0) / 1000, e.kind])).toEqual([[2, 'firing']]);
    expect(events[0].summary).toMatch(/probe beta/);
    expect(events[0].topFlows.map((f) => f.remoteAddress)).toEqual(['198.51.100.2']);
  });

  it('have no value while the probe is not heard (a below rule stays quiet)', () => {
    const engine = new RuleEngine();
    engine.setRules([rule({ metric: 'bps', comparison: 'below', threshold: '1M', windowSec: 1, scope: { kind: 'probe', probe: 'gamma' } })]);
    expect([twoProbes(0, 0, 0), twoProbes(1, 0, 0)].flatMap((s) => engine.evaluate(s))).toEqual([]);
  });

  it('refuse a probe name that cannot be one', () => {
    const result = validateRuleSpec({ name: 'r', metric: 'bps', threshold: 1, scope: { kind: 'probe', probe: 'a.b' } });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toMatch(/scope\.probe/);
  });
});
