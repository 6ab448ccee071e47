import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../src-main/core/alerts/alert-rule';
import type { AlertEventDraft } from '../../../src-main/core/alerts/alert-event';
import type { AlertSample } from '../../../src-main/core/alerts/alert-sample';
import { RuleEngine } from '../../../src-main/core/alerts/rule-engine';
import { T0, flow, host, rule, sample } from './sample-builder';

const MBIT = 1_000_000 / 8; // bytes per second for 1 Mbit/s

function run(rules: AlertRule[], samples: AlertSample[]): AlertEventDraft[] {
  const engine = new RuleEngine();
  engine.setRules(rules);
  return samples.flatMap((s) => engine.evaluate(s));
}

/** Seconds (relative to T0) and kinds of the events, the shape a user checks on a timeline. */
function timeline(events: AlertEventDraft[]): string[] {
  return events.map((e) => `${(e.ts - T0) / 1000}:${e.kind}`);
}

/** One sample per second with eth0 download rates in Mbit/s taken from `mbits`. */
function series(mbits: number[]): AlertSample[] {
  return mbits.map((m, i) => sample(i, { bytesIn: m * MBIT }));
}

describe('rule engine: firing and recovery', () => {
  it('fires once the window average crosses the threshold and recovers when it falls back', () => {
    const r = rule({ metric: 'bps', direction: 'in', threshold: '10M', windowSec: 3 });
    const events = run([r], series([0, 0, 0, 30, 30, 30, 30, 0, 0, 0, 0]));
    // avg over 3 s: s3 = 10 (not above), s4 = 20 fires; s7 = 20, s8 = 10 recovers (<= 10).
    expect(timeline(events)).toEqual(['4:firing', '8:recovered']);
    expect(events[0].value).toBeCloseTo(20e6);
    expect(events[0].summary).toBe('Download bit rate of all traffic above 10 Mbit/s: 20 Mbit/s (3 s average)');
    expect(events[1].value).toBeCloseTo(10e6);
  });

  it('gives no verdict before the samples span the whole window', () => {
    const r = rule({ metric: 'bps', threshold: '1M', windowSec: 5 });
    const events = run([r], series([50, 50, 50, 50, 50, 50]));
    expect(timeline(events)).toEqual(['4:firing']);
  });

  it('smooths a one-second spike over the window', () => {
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 10 });
    expect(run([r], series([0, 0, 0, 0, 0, 0, 0, 0, 0, 90, 0, 0]))).toEqual([]);
    expect(timeline(run([r], series([0, 0, 0, 0, 0, 0, 0, 0, 0, 101, 0, 0])))).toEqual(['9:firing']);
  });

  it('requires the condition to hold for forSec before firing and before recovering', () => {
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 1, forSec: 3 });
    const events = run([r], series([20, 20, 0, 20, 20, 20, 20, 0, 0, 20, 0, 0, 0, 0]));
    // Held 2 s then broke; held from s3, fires at s6 (3 s later). Recovery starts s7, broken at s9, holds from s10 -> s13.
    expect(timeline(events)).toEqual(['6:firing', '13:recovered']);
  });

  it('applies hysteresis: no recovery until the value reaches the recovery threshold', () => {
    const r = rule({ metric: 'bps', threshold: '10M', recoveryThreshold: '5M', windowSec: 1 });
    const events = run([r], series([20, 8, 12, 6, 20, 5, 11]));
    expect(timeline(events)).toEqual(['0:firing', '5:recovered', '6:firing']);
  });

  it('handles below rules (traffic stopped) with their own hysteresis', () => {
    const r = rule({ metric: 'bps', comparison: 'below', threshold: '1M', recoveryThreshold: '2M', windowSec: 2 });
    const events = run([r], series([5, 5, 0.5, 0.5, 1.5, 1.5, 3, 3]));
    // avg: s1 5, s2 2.75, s3 0.5 fires, s4 1, s5 1.5, s6 2.25 recovers.
    expect(timeline(events)).toEqual(['3:firing', '6:recovered']);
  });

  it('honours the cooldown between firings and fires when it ends if the condition still holds', () => {
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 1, cooldownSec: 5 });
    const events = run([r], series([20, 0, 20, 20, 20, 20, 20, 0, 0]));
    // Fires s0, recovers s1; over again from s2 but cooldown lasts until s5.
    expect(timeline(events)).toEqual(['0:firing', '1:recovered', '5:firing', '7:recovered']);
  });

  it('evaluates nothing for a disabled rule', () => {
    const r = rule({ metric: 'bps', threshold: '1M', windowSec: 1, enabled: false });
    expect(run([r], series([50, 50, 50]))).toEqual([]);
  });

  it('ignores a sample that is not newer than the previous one and counts it', () => {
    const engine = new RuleEngine();
    engine.setRules([rule({ metric: 'bps', threshold: '1M', windowSec: 1 })]);
    expect(engine.evaluate(sample(5, { bytesIn: 0 }))).toEqual([]);
    expect(engine.evaluate(sample(5, { bytesIn: 100 * MBIT }))).toEqual([]);
    expect(engine.evaluate(sample(3, { bytesIn: 100 * MBIT }))).toEqual([]);
    expect(engine.stats()).toEqual({ samplesEvaluated: 1, samplesIgnored: 2, timelineRewinds: 0 });
    expect(engine.evaluate(sample(6, { bytesIn: 100 * MBIT }))).toHaveLength(1);
  });

  it('starts afresh when the timeline jumps back (a capture file replayed again)', () => {
    const engine = new RuleEngine();
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 2 });
    engine.setRules([r]);
    const replay = series([0, 30, 30, 0, 0, 0, 0, 0, 0, 0]);
    const first = replay.flatMap((s) => engine.evaluate(s));
    const second = replay.flatMap((s) => engine.evaluate(s));
    expect(timeline(first)).toEqual(['1:firing', '4:recovered']);
    expect(timeline(second)).toEqual(timeline(first));
    expect(engine.stats()).toMatchObject({ samplesEvaluated: 20, timelineRewinds: 1 });
  });

  it('forgets a firing state on reset without sending a recovery', () => {
    const engine = new RuleEngine();
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 1 });
    engine.setRules([r]);
    expect(engine.evaluate(sample(0, { bytesIn: 20 * MBIT }))).toHaveLength(1);
    engine.reset();
    expect(engine.isFiring(r.id)).toBe(false);
    expect(engine.evaluate(sample(1, { bytesIn: 0 }))).toEqual([]);
    expect(engine.evaluate(sample(2, { bytesIn: 20 * MBIT })).map((e) => e.kind)).toEqual(['firing']);
  });

  it('keeps a firing rule firing when only its name or channels change, and restarts it when the threshold changes', () => {
    const engine = new RuleEngine();
    const r = rule({ metric: 'bps', threshold: '10M', windowSec: 1 });
    engine.setRules([r]);
    expect(engine.evaluate(sample(0, { bytesIn: 20 * MBIT }))).toHaveLength(1);
    engine.setRules([{ ...r, name: 'renamed' }]);
    expect(engine.evaluate(sample(1, { bytesIn: 20 * MBIT }))).toEqual([]);
    expect(engine.isFiring(r.id)).toBe(true);
    engine.setRules([{ ...r, threshold: 15e6 }]);
    expect(engine.isFiring(r.id)).toBe(false);
    expect(engine.evaluate(sample(2, { bytesIn: 20 * MBIT })).map((e) => e.kind)).toEqual(['firing']);
  });
});

describe('rule engine: metrics and directions', () => {
  it('separates download, upload and both', () => {
    const s = [sample(0, { bytesIn: 6 * MBIT, bytesOut: 6 * MBIT })];
    const rin = rule({ metric: 'bps', direction: 'in', threshold: '10M', windowSec: 1 }, 'in');
    const rout = rule({ metric: 'bps', direction: 'out', threshold: '10M', windowSec: 1 }, 'out');
    const rboth = rule({ metric: 'bps', direction: 'both', threshold: '10M', windowSec: 1 }, 'both');
    expect(run([rin, rout, rboth], s).map((e) => e.ruleId)).toEqual(['both']);
  });

  it('measures packets, active flows, new flows and drops', () => {
    const s = [sample(0, { packetsIn: 5000, activeFlows: 300, newFlows: 40, drops: 7 })];
    const rules = [
      rule({ metric: 'pps', threshold: 4000, windowSec: 1 }, 'pps'),
      rule({ metric: 'activeFlows', threshold: 299, windowSec: 1 }, 'flows'),
      rule({ metric: 'newFlows', threshold: 40, windowSec: 1 }, 'new-not'),
      rule({ metric: 'newFlows', threshold: 39, windowSec: 1 }, 'new'),
      rule({ metric: 'drops', threshold: 6, windowSec: 1 }, 'drops'),
    ];
    const events = run(rules, s);
    expect(events.map((e) => [e.ruleId, e.value])).toEqual([['pps', 5000], ['flows', 300], ['new', 40], ['drops', 7]]);
  });
});

describe('rule engine: flow counts per interface', () => {
  const twoInterfaces = (second: number, perInterface: boolean): AlertSample => {
    const s = sample(second, { activeFlows: 900 });
    const wlan = { ...s.interfaces[0], name: 'wlan0' };
    return perInterface
      ? { ...s, interfaces: [{ ...s.interfaces[0], activeFlows: 600 }, { ...wlan, activeFlows: 300 }] }
      : { ...s, interfaces: [s.interfaces[0], wlan] };
  };
  const ethFlows = rule({ metric: 'activeFlows', scope: { kind: 'interface', interface: 'eth0' }, threshold: 500, windowSec: 1 });

  it('uses per-interface counts when the sample has them', () => {
    expect(run([ethFlows], [twoInterfaces(0, true)]).map((e) => e.value)).toEqual([600]);
  });

  it('skips seconds where an interface has no count of its own rather than reading zero or the total', () => {
    expect(run([ethFlows], [twoInterfaces(0, false), twoInterfaces(1, false)])).toEqual([]);
    const below = rule({ metric: 'activeFlows', scope: { kind: 'interface', interface: 'eth0' }, comparison: 'below', threshold: 5, windowSec: 1 });
    expect(run([below], [twoInterfaces(0, false)])).toEqual([]);
  });

  it('uses the sample totals for the only interface and for all traffic', () => {
    expect(run([ethFlows], [sample(0, { activeFlows: 700 })]).map((e) => e.value)).toEqual([700]);
    const all = rule({ metric: 'activeFlows', threshold: 500, windowSec: 1 });
    expect(run([all], [twoInterfaces(0, false)]).map((e) => e.value)).toEqual([900]);
  });
});

describe('rule engine: scopes', () => {
  const hosts = [
    host('203.0.113.5', 40 * MBIT, 0, 'video.example.com'),
    host('198.51.100.7', 3 * MBIT, 0, 'api.example.org'),
    host('10.0.0.9', 12 * MBIT),
    host('2001:db8::1', 25 * MBIT),
  ];
  const flows = [
    flow('tcp', '203.0.113.5', 443, 40 * MBIT, { name: 'video.example.com' }),
    flow('udp', '198.51.100.7', 53, 3 * MBIT),
    flow('tcp', '10.0.0.9', 22, 12 * MBIT),
    flow('udp', '2001:db8::1', 443, 25 * MBIT),
  ];
  const s = {
    ...sample(0, { bytesIn: 80 * MBIT, hosts, flows }),
    protocols: [
      { protocol: 'tcp' as const, bytesIn: 52 * MBIT, bytesOut: 0, packetsIn: 0, packetsOut: 0, activeFlows: 2, newFlows: 0 },
      { protocol: 'udp' as const, bytesIn: 28 * MBIT, bytesOut: 0, packetsIn: 0, packetsOut: 0, activeFlows: 2, newFlows: 0 },
    ],
  };
  const valueOf = (scope: Record<string, unknown>, metric = 'bps'): number | undefined => {
    const events = run([rule({ metric, scope, threshold: 0, windowSec: 1, recoveryThreshold: 0 })], [s]);
    return events[0]?.value;
  };

  it('all: the sum over interfaces', () => {
    expect(valueOf({ kind: 'all' })).toBe(80e6);
  });

  it('interface: only that interface', () => {
    expect(valueOf({ kind: 'interface', interface: 'eth0' })).toBe(80e6);
    expect(valueOf({ kind: 'interface', interface: 'wlan0' })).toBeUndefined();
    const quiet = rule({ metric: 'bps', scope: { kind: 'interface', interface: 'wlan0' }, comparison: 'below', threshold: 1, windowSec: 1 });
    expect(run([quiet], [s])).toEqual([]); // wlan0 is not captured: no value, so no "below" alert
  });

  it('host: one address, IPv4 or IPv6 in any spelling', () => {
    expect(valueOf({ kind: 'host', address: '203.0.113.5' })).toBe(40e6);
    expect(valueOf({ kind: 'host', address: '2001:DB8:0:0::1' })).toBe(25e6);
  });

  it('cidr: the hosts inside the network', () => {
    expect(valueOf({ kind: 'cidr', cidr: '203.0.113.0/24' })).toBe(40e6);
    expect(valueOf({ kind: 'cidr', cidr: '0.0.0.0/0' })).toBe(55e6);
    expect(valueOf({ kind: 'cidr', cidr: '2001:db8::/32' })).toBe(25e6);
    expect(valueOf({ kind: 'cidr', cidr: '10.0.0.8/31' })).toBe(12e6);
  });

  it('port: flows on that port, optionally one transport', () => {
    expect(valueOf({ kind: 'port', port: 443 })).toBe(65e6);
    expect(valueOf({ kind: 'port', port: 443, protocol: 'udp' })).toBe(25e6);
    expect(valueOf({ kind: 'port', port: 443 }, 'activeFlows')).toBe(2);
  });

  it('protocol: the per-protocol counters', () => {
    expect(valueOf({ kind: 'protocol', protocol: 'udp' })).toBe(28e6);
    expect(valueOf({ kind: 'protocol', protocol: 'tcp' }, 'activeFlows')).toBe(2);
  });

  it('name: exact or wildcard, case-insensitive', () => {
    expect(valueOf({ kind: 'name', pattern: '*.EXAMPLE.com' })).toBe(40e6);
    expect(valueOf({ kind: 'name', pattern: 'api.example.org' })).toBe(3e6);
    expect(valueOf({ kind: 'name', pattern: '*.example.net' })).toBeUndefined();
  });

  it('country and asn: the hosts the geo databases place there', () => {
    const placed = {
      ...s,
      hosts: s.hosts.map((h, i) => ({ ...h, ...[{ country: 'DE', asn: 3320 }, { country: 'DE', asn: 680 }, {}, { country: 'US', asn: 3320 }][i] })),
      flows: s.flows.map((f, i) => ({ ...f, ...[{ remoteCountry: 'DE', remoteAsn: 3320 }, { remoteCountry: 'DE', remoteAsn: 680 }, {}, { remoteCountry: 'US', remoteAsn: 3320 }][i] })),
    };
    const valueIn = (scope: Record<string, unknown>) => run([rule({ metric: 'bps', scope, threshold: 0, windowSec: 1, recoveryThreshold: 0 })], [placed])[0];
    expect(valueIn({ kind: 'country', country: 'de' })?.value).toBe(43e6);
    expect(valueIn({ kind: 'asn', asn: 3320 })?.value).toBe(65e6);
    expect(valueIn({ kind: 'asn', asn: 3320 })?.topFlows.map((f) => f.remoteAddress)).toEqual(['203.0.113.5', '2001:db8::1']);
    expect(valueIn({ kind: 'country', country: 'FR' })).toBeUndefined();
  });

  it('application: the flows whose local process has that label, case-insensitive', () => {
    const owned = { ...s, flows: s.flows.map((f, i) => ({ ...f, ...[{ application: 'curl' }, {}, { application: 'system (user 0)' }, { application: 'Curl' }][i] })) };
    const valueIn = (scope: Record<string, unknown>, metric = 'bps') => run([rule({ metric, scope, threshold: 0, windowSec: 1, recoveryThreshold: 0 })], [owned])[0];
    expect(valueIn({ kind: 'application', application: 'CURL' })?.value).toBe(65e6);
    expect(valueIn({ kind: 'application', application: 'curl' })?.topFlows.map((f) => f.remoteAddress)).toEqual(['203.0.113.5', '2001:db8::1']);
    expect(valueIn({ kind: 'application', application: 'curl' })?.summary).toMatch(/^Bit rate of application curl above/);
    expect(valueIn({ kind: 'application', application: 'system (user 0)' })?.value).toBe(12e6);
    expect(valueIn({ kind: 'application', application: 'curl' }, 'activeFlows')?.value).toBe(2);
    // No flow of it in the sample: no traffic, so an 'above 0' rule stays quiet.
    expect(valueIn({ kind: 'application', application: 'firefox' })).toBeUndefined();
    expect(valueIn({ kind: 'application', application: 'cur' })).toBeUndefined();
  });

  it('carries the top talkers within the scope, largest first, at most topN', () => {
    const all = run([rule({ metric: 'bps', threshold: '1M', windowSec: 1, topN: 2 })], [s])[0];
    expect(all.topHosts.map((h) => [h.address, h.name, h.bpsIn])).toEqual([
      ['203.0.113.5', 'video.example.com', 40e6],
      ['2001:db8::1', undefined, 25e6],
    ]);
    expect(all.topFlows.map((f) => `${f.protocol}/${f.remoteAddress}:${f.remotePort}`))
      .toEqual(['tcp/203.0.113.5:443', 'udp/2001:db8::1:443']);

    const udp = run([rule({ metric: 'bps', scope: { kind: 'protocol', protocol: 'udp' }, threshold: '1M', windowSec: 1 })], [s])[0];
    expect(udp.topHosts.map((h) => h.address)).toEqual(['2001:db8::1', '198.51.100.7']);
    expect(udp.topFlows.map((f) => f.remotePort)).toEqual([443, 53]);

    const net = run([rule({ metric: 'bps', scope: { kind: 'cidr', cidr: '10.0.0.0/8' }, threshold: '1M', windowSec: 1 })], [s])[0];
    expect(net.topHosts.map((h) => h.address)).toEqual(['10.0.0.9']);
    expect(net.topFlows.map((f) => f.remotePort)).toEqual([22]);
  });
});

describe('rule engine: counters without direction', () => {
  // The helper's top hosts count sent plus received: totals only.
  const s = {
    ...sample(0, { bytesIn: 40 * MBIT }),
    hosts: [{ address: '203.0.113.5', name: 'video.example.com', bytes: 30 * MBIT, packets: 2000 }],
    protocols: [{ protocol: 'udp' as const, bytes: 12 * MBIT, packets: 900 }],
  };

  it('measures them exactly for direction both', () => {
    const events = run([
      rule({ metric: 'bps', scope: { kind: 'host', address: '203.0.113.5' }, threshold: '10M', windowSec: 1 }, 'host'),
      rule({ metric: 'pps', scope: { kind: 'protocol', protocol: 'udp' }, threshold: 500, windowSec: 1 }, 'udp'),
    ], [s]);
    expect(events.map((e) => [e.ruleId, e.value])).toEqual([['host', 30e6], ['udp', 900]]);
    expect(events[0].topHosts).toEqual([{ address: '203.0.113.5', name: 'video.example.com', bps: 30e6, pps: 2000 }]);
  });

  it('never guesses a direction: an in/out rule on them skips the second', () => {
    const inbound = rule({ metric: 'bps', direction: 'in', scope: { kind: 'host', address: '203.0.113.5' }, threshold: '1M', windowSec: 1 });
    const below = rule({ metric: 'bps', direction: 'out', scope: { kind: 'protocol', protocol: 'udp' }, comparison: 'below', threshold: '1G', windowSec: 1 });
    expect(run([inbound, below], [s, { ...s, ts: s.ts + 1000 }])).toEqual([]);
    // The interfaces do tell direction, so an inbound rule on all traffic still works, ranking talkers by total.
    const all = run([rule({ metric: 'bps', direction: 'in', threshold: '1M', windowSec: 1 })], [s]);
    expect(all.map((e) => [e.value, e.topHosts[0].bps])).toEqual([[40e6, 30e6]]);
  });
});
