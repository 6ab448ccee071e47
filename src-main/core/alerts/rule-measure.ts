import { assertNever } from '../assert-never';
import type { AlertDirection, AlertMetric, AlertRule, AlertScope } from './alert-rule';
import type { AlertFlowRate, AlertHostRate, AlertQualityFlow, AlertSample, TrafficCounters } from './alert-sample';
import { cidrContains, isCidr, parseCidr, parseIp, sameIp, type IpBytes } from '../../../src-shared/ip';

// What a rule measures: each rule compiled once into functions that read its metric, hosts and
// flows over its scope from one 1 s sample. The engine (rule-engine.ts) keeps the windows and states.

/** Per-sample cache of parsed addresses, shared by every rule evaluated on that sample. */
export class SampleView {
  private readonly parsed = new Map<string, IpBytes | null>();

  constructor(readonly sample: AlertSample) {}

  ip(text: string): IpBytes | null {
    let ip = this.parsed.get(text);
    if (ip === undefined) this.parsed.set(text, (ip = parseIp(text)));
    return ip;
  }
}

export interface CompiledRule {
  rule: AlertRule;
  /** The metric over the rule's scope for this one second; undefined when the sample cannot tell. */
  value(view: SampleView): number | undefined;
  hosts(view: SampleView): AlertHostRate[];
  flows(view: SampleView): AlertFlowRate[];
}

type Counted = TrafficCounters & { activeFlows?: number; newFlows?: number; drops?: number };

export function compile(rule: AlertRule): CompiledRule {
  const traffic = compileTraffic(rule);
  if (rule.metric !== 'rtt' && rule.metric !== 'retransmissions') return traffic;
  // Quality rules measure the scope's TCP quality; their talkers are the scope's traffic as for any rule.
  return { ...traffic, value: qualityValue(rule.metric, qualityScopeTest(rule.scope)) };
}

/**
 * Retransmissions in the scope during the second, or the mean handshake RTT
 * of the scope's connections completed during it (undefined without one: a
 * second without handshakes says nothing about RTT).
 */
function qualityValue(metric: 'rtt' | 'retransmissions', test: ((view: SampleView, f: AlertQualityFlow) => boolean) | null): (view: SampleView) => number | undefined {
  return (view) => {
    const q = view.sample.quality;
    if (q === undefined) return undefined;
    if (test === null) {
      if (metric === 'retransmissions') return num(q.retransmissions);
      return q.handshakes > 0 ? q.rttSumMs / q.handshakes : undefined;
    }
    let retransmissions = 0;
    let rttSum = 0;
    let handshakes = 0;
    for (const f of q.flows) {
      if (!test(view, f)) continue;
      retransmissions += num(f.retransmissions);
      if (f.rttMs !== null && Number.isFinite(f.rttMs)) {
        rttSum += f.rttMs;
        handshakes++;
      }
    }
    if (metric === 'retransmissions') return retransmissions;
    return handshakes > 0 ? rttSum / handshakes : undefined;
  };
}

/** Which quality flows a scope covers; null for every flow (the exact totals). */
function qualityScopeTest(scope: AlertScope): ((view: SampleView, f: AlertQualityFlow) => boolean) | null {
  switch (scope.kind) {
    case 'all':
      return null;
    case 'interface':
      return (_v, f) => f.interface === undefined || f.interface === scope.interface;
    case 'protocol':
      return () => scope.protocol === 'tcp';
    case 'port':
      return (_v, f) => (f.localPort === scope.port || f.remotePort === scope.port) && (scope.protocol === undefined || scope.protocol === 'tcp');
    case 'host':
    case 'cidr': {
      const test = addressTest(scope.kind === 'host' ? scope.address : scope.cidr, scope.kind);
      return (v, f) => test(v.ip(f.localAddress)) || test(v.ip(f.remoteAddress));
    }
    case 'name': {
      const matches = nameMatcher(scope.pattern);
      return (_v, f) => f.name !== undefined && matches(f.name);
    }
    case 'probe':
      // A probe's interfaces are `<probe>/<interface>`.
      return (_v, f) => f.interface !== undefined && f.interface.startsWith(`${scope.probe}/`);
    case 'country':
      return (_v, f) => f.remoteCountry === scope.country;
    case 'asn':
      return (_v, f) => f.remoteAsn === scope.asn;
    case 'application': {
      const label = scope.application.toLowerCase();
      return (_v, f) => f.application?.toLowerCase() === label;
    }
    default:
      return assertNever(scope);
  }
}

/** The sum of every item's value, or undefined when one item has none (the metric does not apply to it). */
function sumOrUndefined<T>(items: readonly T[], valueOf: (item: T) => number | undefined): number | undefined {
  let total = 0;
  for (const item of items) {
    const value = valueOf(item);
    if (value === undefined) return undefined;
    total += value;
  }
  return total;
}

function compileTraffic(rule: AlertRule): CompiledRule {
  const { metric, direction, scope } = rule;
  const fromCounters = (items: Counted[]): number | undefined => sumOrUndefined(items, (c) => counterMetric(c, metric, direction));
  const flowTotals = metric === 'activeFlows' || metric === 'newFlows';
  const fromFlows = (flows: AlertFlowRate[]): number | undefined => sumOrUndefined(flows, (f) => flowMetric(f, metric, direction));
  const hostsOfFlows = (view: SampleView, flows: AlertFlowRate[]): AlertHostRate[] => {
    const addresses = new Set<string>();
    for (const f of flows) { addresses.add(f.remoteAddress); addresses.add(f.localAddress); }
    return view.sample.hosts.filter((h) => addresses.has(h.address));
  };

  switch (scope.kind) {
    case 'all':
      return {
        rule,
        value: (v) => (flowTotals ? num(v.sample[metric]) : fromCounters(v.sample.interfaces)),
        hosts: (v) => [...v.sample.hosts],
        flows: (v) => [...v.sample.flows],
      };
    case 'interface': {
      const onIface = (x: { interface?: string }): boolean => x.interface === undefined || x.interface === scope.interface;
      return {
        rule,
        value: (v) => {
          const own = v.sample.interfaces.filter((i) => i.name === scope.interface);
          // An interface that is not being captured has no value, not zero (a 'below' rule must not fire on it).
          if (own.length === 0) return undefined;
          // With a single interface the sample's flow totals are that interface's.
          if (flowTotals && own.length === 1 && own[0][metric] === undefined && v.sample.interfaces.length === 1) {
            return num(v.sample[metric]);
          }
          return fromCounters(own);
        },
        hosts: (v) => v.sample.hosts.filter(onIface),
        flows: (v) => v.sample.flows.filter(onIface),
      };
    }
    case 'probe': {
      // A probe's interfaces are `<probe>/<interface>`: its traffic is theirs, its flows and hosts those seen on them.
      const prefix = `${scope.probe}/`;
      const own = (v: SampleView) => v.sample.interfaces.filter((i) => i.name.startsWith(prefix));
      const onProbe = (x: { interface?: string }): boolean => x.interface !== undefined && x.interface.startsWith(prefix);
      return {
        rule,
        // A probe not heard has no value, not zero; flow counts are per interface only when the source counts them so.
        value: (v) => {
          const mine = own(v);
          return mine.length === 0 ? undefined : fromCounters(mine);
        },
        hosts: (v) => v.sample.hosts.filter(onProbe),
        flows: (v) => v.sample.flows.filter(onProbe),
      };
    }
    case 'protocol': {
      const matching = (v: SampleView): AlertFlowRate[] => v.sample.flows.filter((f) => f.protocol === scope.protocol);
      return {
        rule,
        value: (v) => fromCounters(v.sample.protocols.filter((p) => p.protocol === scope.protocol)),
        hosts: (v) => hostsOfFlows(v, matching(v)),
        flows: matching,
      };
    }
    case 'port': {
      const matching = (v: SampleView): AlertFlowRate[] => v.sample.flows.filter((f) =>
        (f.localPort === scope.port || f.remotePort === scope.port)
        && (scope.protocol === undefined ? f.protocol === 'tcp' || f.protocol === 'udp' : f.protocol === scope.protocol));
      return {
        rule,
        value: (v) => fromFlows(matching(v)),
        hosts: (v) => hostsOfFlows(v, matching(v)),
        flows: matching,
      };
    }
    case 'host':
    case 'cidr': {
      const test = addressTest(scope.kind === 'host' ? scope.address : scope.cidr, scope.kind);
      const hosts = (v: SampleView): AlertHostRate[] => v.sample.hosts.filter((h) => test(v.ip(h.address)));
      return {
        rule,
        value: (v) => fromCounters(hosts(v)),
        hosts,
        flows: (v) => v.sample.flows.filter((f) => test(v.ip(f.remoteAddress)) || test(v.ip(f.localAddress))),
      };
    }
    case 'name': {
      const matches = nameMatcher(scope.pattern);
      const hosts = (v: SampleView): AlertHostRate[] => v.sample.hosts.filter((h) => h.name !== undefined && matches(h.name));
      return {
        rule,
        value: (v) => fromCounters(hosts(v)),
        hosts,
        flows: (v) => {
          const addresses = new Set(hosts(v).map((h) => h.address));
          return v.sample.flows.filter((f) => (f.name !== undefined && matches(f.name)) || addresses.has(f.remoteAddress));
        },
      };
    }
    case 'country':
    case 'asn': {
      const hostIn = (h: AlertHostRate): boolean => (scope.kind === 'country' ? h.country === scope.country : h.asn === scope.asn);
      const flowIn = (f: AlertFlowRate): boolean => (scope.kind === 'country' ? f.remoteCountry === scope.country : f.remoteAsn === scope.asn);
      const hosts = (v: SampleView): AlertHostRate[] => v.sample.hosts.filter(hostIn);
      return {
        rule,
        value: (v) => fromCounters(hosts(v)),
        hosts,
        flows: (v) => v.sample.flows.filter(flowIn),
      };
    }
    case 'application': {
      // Only flows carry their process: the value is over the sample's top flows (a lower bound, as for ports).
      const label = scope.application.toLowerCase();
      const matching = (v: SampleView): AlertFlowRate[] => v.sample.flows.filter((f) => f.application?.toLowerCase() === label);
      return {
        rule,
        value: (v) => fromFlows(matching(v)),
        hosts: (v) => hostsOfFlows(v, matching(v)),
        flows: matching,
      };
    }
    default:
      return assertNever(scope);
  }
}

function addressTest(text: string, kind: 'host' | 'cidr'): (ip: IpBytes | null) => boolean {
  if (kind === 'host') {
    const target = parseIp(text);
    return (ip) => ip !== null && target !== null && sameIp(ip, target);
  }
  const parsed = parseCidr(text);
  const cidr = isCidr(parsed) ? parsed : null;
  return (ip) => ip !== null && cidr !== null && cidrContains(cidr, ip);
}

/** `*.example.com` matches every subdomain (not the apex); anything else matches exactly. Case-insensitive. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  const lower = pattern.toLowerCase().replace(/\.$/, '');
  if (lower.startsWith('*.')) {
    const suffix = lower.slice(1);
    return (name) => name.toLowerCase().replace(/\.$/, '').endsWith(suffix);
  }
  return (name) => name.toLowerCase().replace(/\.$/, '') === lower;
}

function counterMetric(c: Counted, metric: AlertMetric, direction: AlertDirection): number | undefined {
  switch (metric) {
    case 'bps': return times8(directional(c, direction, 'bytes'));
    case 'pps': return directional(c, direction, 'packets');
    case 'activeFlows': return c.activeFlows === undefined ? undefined : num(c.activeFlows);
    case 'newFlows': return c.newFlows === undefined ? undefined : num(c.newFlows);
    case 'drops': return num(c.drops ?? 0);
    // Measured by qualityValue, never from traffic counters.
    case 'rtt':
    case 'retransmissions': return undefined;
    default: return assertNever(metric);
  }
}

function flowMetric(f: AlertFlowRate, metric: AlertMetric, direction: AlertDirection): number | undefined {
  switch (metric) {
    case 'bps': return times8(directional(f, direction, 'bytes'));
    case 'pps': return directional(f, direction, 'packets');
    case 'activeFlows': return 1;
    case 'newFlows': return f.isNew ? 1 : 0;
    case 'drops': return 0; // validation keeps drops to interface scopes
    case 'rtt':
    case 'retransmissions': return undefined;
    default: return assertNever(metric);
  }
}

function times8(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes * 8;
}

/** The count in a direction; undefined when the counters do not tell direction and `in`/`out` is asked. */
export function directional(c: TrafficCounters, direction: AlertDirection, unit: 'bytes' | 'packets'): number | undefined {
  if ('bytes' in c) return direction === 'both' ? num(unit === 'bytes' ? c.bytes : c.packets) : undefined;
  const inbound = unit === 'bytes' ? num(c.bytesIn) : num(c.packetsIn);
  const outbound = unit === 'bytes' ? num(c.bytesOut) : num(c.packetsOut);
  switch (direction) {
    case 'in': return inbound;
    case 'out': return outbound;
    case 'both': return inbound + outbound;
    default: return assertNever(direction);
  }
}

/** Counters come from our own adapter, but a NaN must not poison a window forever. */
export function num(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
