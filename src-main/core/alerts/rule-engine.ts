import { assertNever } from '../assert-never';
import type { AlertDirection, AlertMetric, AlertRule, AlertScope } from './alert-rule';
import type { AlertEventDraft, TalkerFlow, TalkerHost } from './alert-event';
import type { AlertFlowRate, AlertHostRate, AlertQualityFlow, AlertSample, TrafficCounters } from './alert-sample';
import { describeScope, formatMetricValue, metricLabel } from './format';
import { cidrContains, isCidr, parseCidr, parseIp, sameIp, type IpBytes } from '../../../src-shared/ip';

/** How far back a sample may arrive and still count as a late duplicate rather than a new timeline. */
export const REWIND_MS = 5000;

/**
 * Deterministic evaluation of alert rules over 1 s samples: the same rules and
 * the same samples always give the same events. No clock, no I/O; time is the
 * samples' own `ts`.
 */
export class RuleEngine {
  private readonly states = new Map<string, RuleState>();
  private rules: CompiledRule[] = [];
  private lastTs = Number.NEGATIVE_INFINITY;
  private evaluated = 0;
  private ignored = 0;
  private rewinds = 0;

  /**
   * Replaces the rule set. A rule whose evaluation settings are unchanged
   * keeps its window and firing state (renaming it or changing its channels
   * does not re-fire it); any other change starts that rule afresh.
   */
  setRules(rules: readonly AlertRule[]): void {
    const next: CompiledRule[] = [];
    const keep = new Set<string>();
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const key = evaluationKey(rule);
      const state = this.states.get(rule.id);
      if (state === undefined || state.key !== key) this.states.set(rule.id, newState(key, rule.windowSec));
      keep.add(rule.id);
      next.push(compile(rule));
    }
    for (const id of [...this.states.keys()]) if (!keep.has(id)) this.states.delete(id);
    this.rules = next;
  }

  /**
   * Feeds one sample; returns the events it caused, in rule order. A sample
   * not newer than the last is counted and ignored, unless it is more than
   * REWIND_MS older: then a new timeline began (a file replayed again, a
   * capture restarted) and every rule starts afresh.
   */
  evaluate(sample: AlertSample): AlertEventDraft[] {
    if (!Number.isFinite(sample.ts)) {
      this.ignored += 1;
      return [];
    }
    if (sample.ts <= this.lastTs) {
      if (this.lastTs - sample.ts <= REWIND_MS) {
        this.ignored += 1;
        return [];
      }
      this.reset();
      this.rewinds += 1;
    }
    this.lastTs = sample.ts;
    this.evaluated += 1;
    const view = new SampleView(sample);
    const events: AlertEventDraft[] = [];
    for (const compiled of this.rules) {
      const state = this.states.get(compiled.rule.id);
      if (state === undefined) continue;
      const event = step(compiled, state, view);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  /**
   * Forgets every window and firing state (no recovery events are sent); the
   * owner calls it when a new capture starts.
   */
  reset(): void {
    for (const [id, state] of this.states) this.states.set(id, newState(state.key, state.window.size));
    this.lastTs = Number.NEGATIVE_INFINITY;
  }

  /** Whether a rule is currently firing (for the dashboard's rule list). */
  isFiring(ruleId: string): boolean {
    return this.states.get(ruleId)?.firing ?? false;
  }

  stats(): { samplesEvaluated: number; samplesIgnored: number; timelineRewinds: number } {
    return { samplesEvaluated: this.evaluated, samplesIgnored: this.ignored, timelineRewinds: this.rewinds };
  }
}

interface RuleState {
  key: string;
  window: SlidingWindow;
  startedAt: number | null;
  firing: boolean;
  /** When the condition for the next transition (fire or recover) started to hold. */
  pendingSince: number | null;
  lastFiredAt: number | null;
}

function newState(key: string, windowSec: number): RuleState {
  return { key, window: new SlidingWindow(windowSec), startedAt: null, firing: false, pendingSince: null, lastFiredAt: null };
}

function evaluationKey(rule: AlertRule): string {
  const { metric, direction, scope, comparison, threshold, recoveryThreshold, windowSec, forSec, cooldownSec } = rule;
  return JSON.stringify([metric, direction, scope, comparison, threshold, recoveryThreshold, windowSec, forSec, cooldownSec]);
}

function step(compiled: CompiledRule, state: RuleState, view: SampleView): AlertEventDraft | undefined {
  const { rule } = compiled;
  const ts = view.sample.ts;
  const measured = compiled.value(view);
  // A second where the scope's value is unknown (no per-interface flow count, say) is left out of the window.
  if (measured === undefined) return undefined;
  state.startedAt ??= ts;
  state.window.push(ts, measured);
  // No verdict until the samples seen span the whole window: a partial window would fire at startup on one spike.
  if (ts - state.startedAt < (rule.windowSec - 1) * 1000) return undefined;
  const value = state.window.average();
  const above = rule.comparison === 'above';
  const holds = state.firing
    ? (above ? value <= rule.recoveryThreshold : value >= rule.recoveryThreshold)
    : (above ? value > rule.threshold : value < rule.threshold);
  if (!holds) {
    state.pendingSince = null;
    return undefined;
  }
  state.pendingSince ??= ts;
  if (ts - state.pendingSince < rule.forSec * 1000) return undefined;
  if (!state.firing && state.lastFiredAt !== null && ts - state.lastFiredAt < rule.cooldownSec * 1000) {
    // Still in cooldown: stay pending and fire once it ends if the condition still holds.
    return undefined;
  }
  state.pendingSince = null;
  state.firing = !state.firing;
  if (state.firing) state.lastFiredAt = ts;
  return makeEvent(compiled, view, state.firing ? 'firing' : 'recovered', value);
}

function makeEvent(compiled: CompiledRule, view: SampleView, kind: 'firing' | 'recovered', value: number): AlertEventDraft {
  const { rule } = compiled;
  const sortKey = talkerSortKey(rule.metric, rule.direction);
  const topHosts = rule.topN === 0 ? [] : compiled.hosts(view)
    .sort((a, b) => sortKey(b) - sortKey(a))
    .slice(0, rule.topN)
    .map(toTalkerHost);
  const topFlows = rule.topN === 0 ? [] : compiled.flows(view)
    .sort((a, b) => sortKey(b) - sortKey(a))
    .slice(0, rule.topN)
    .map(toTalkerFlow);
  const label = metricLabel(rule.metric, rule.direction);
  const verb = kind === 'firing' ? rule.comparison : 'back to';
  const limit = kind === 'firing' ? rule.threshold : rule.recoveryThreshold;
  const summary = `${label} of ${describeScope(rule.scope)} ${verb} ${formatMetricValue(rule.metric, limit)}: `
    + `${formatMetricValue(rule.metric, value)} (${rule.windowSec} s average)`;
  return {
    kind,
    ts: view.sample.ts,
    ruleId: rule.id,
    ruleName: rule.name,
    metric: rule.metric,
    direction: rule.direction,
    scope: rule.scope,
    comparison: rule.comparison,
    severity: rule.severity,
    threshold: rule.threshold,
    recoveryThreshold: rule.recoveryThreshold,
    windowSec: rule.windowSec,
    value,
    summary,
    topHosts,
    topFlows,
  };
}

/** Talkers rank by the rule's own measure; without direction, by their total. */
function talkerSortKey(metric: AlertMetric, direction: AlertDirection): (c: TrafficCounters) => number {
  const unit = metric === 'pps' ? 'packets' : 'bytes';
  const dir = metric === 'pps' || metric === 'bps' ? direction : 'both';
  return (c) => directional(c, dir, unit) ?? directional(c, 'both', unit) ?? 0;
}

function talkerRates(c: TrafficCounters): Pick<TalkerHost, 'bps' | 'pps' | 'bpsIn' | 'bpsOut' | 'ppsIn' | 'ppsOut'> {
  if ('bytes' in c) return { bps: num(c.bytes) * 8, pps: num(c.packets) };
  return {
    bps: (num(c.bytesIn) + num(c.bytesOut)) * 8,
    pps: num(c.packetsIn) + num(c.packetsOut),
    bpsIn: num(c.bytesIn) * 8,
    bpsOut: num(c.bytesOut) * 8,
    ppsIn: num(c.packetsIn),
    ppsOut: num(c.packetsOut),
  };
}

function toTalkerHost(h: AlertHostRate): TalkerHost {
  const out: TalkerHost = { address: h.address, ...talkerRates(h) };
  if (h.name !== undefined) out.name = h.name;
  return out;
}

function toTalkerFlow(f: AlertFlowRate): TalkerFlow {
  const out: TalkerFlow = {
    protocol: f.protocol,
    localAddress: f.localAddress,
    localPort: f.localPort,
    remoteAddress: f.remoteAddress,
    remotePort: f.remotePort,
    ...talkerRates(f),
  };
  if (f.name !== undefined) out.name = f.name;
  return out;
}

/** Running sum over the last `size` one-second values; bounded by construction. */
class SlidingWindow {
  private readonly ts: number[];
  private readonly values: number[];
  private head = 0;
  private count = 0;
  private sum = 0;

  constructor(readonly size: number) {
    this.ts = new Array<number>(size).fill(0);
    this.values = new Array<number>(size).fill(0);
  }

  push(ts: number, value: number): void {
    // Drop values that fell out of the time window (a gap in samples), then the oldest if full.
    const horizon = ts - this.size * 1000;
    while (this.count > 0 && this.ts[this.head] <= horizon) this.dropOldest();
    if (this.count === this.size) this.dropOldest();
    const slot = (this.head + this.count) % this.size;
    this.ts[slot] = ts;
    this.values[slot] = value;
    this.count += 1;
    this.sum += value;
  }

  average(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  private dropOldest(): void {
    this.sum -= this.values[this.head];
    this.head = (this.head + 1) % this.size;
    this.count -= 1;
    if (this.count === 0) this.sum = 0; // clear accumulated rounding error
  }
}

/** Per-sample cache of parsed addresses, shared by every rule evaluated on that sample. */
class SampleView {
  private readonly parsed = new Map<string, IpBytes | null>();

  constructor(readonly sample: AlertSample) {}

  ip(text: string): IpBytes | null {
    let ip = this.parsed.get(text);
    if (ip === undefined) this.parsed.set(text, (ip = parseIp(text)));
    return ip;
  }
}

interface CompiledRule {
  rule: AlertRule;
  /** The metric over the rule's scope for this one second; undefined when the sample cannot tell. */
  value(view: SampleView): number | undefined;
  hosts(view: SampleView): AlertHostRate[];
  flows(view: SampleView): AlertFlowRate[];
}

type Counted = TrafficCounters & { activeFlows?: number; newFlows?: number; drops?: number };

function compile(rule: AlertRule): CompiledRule {
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

function compileTraffic(rule: AlertRule): CompiledRule {
  const { metric, direction, scope } = rule;
  const fromCounters = (items: Counted[]): number | undefined => {
    let total = 0;
    for (const c of items) {
      const value = counterMetric(c, metric, direction);
      if (value === undefined) return undefined;
      total += value;
    }
    return total;
  };
  const flowTotals = metric === 'activeFlows' || metric === 'newFlows';
  const fromFlows = (flows: AlertFlowRate[]): number | undefined => {
    let total = 0;
    for (const f of flows) {
      const value = flowMetric(f, metric, direction);
      if (value === undefined) return undefined;
      total += value;
    }
    return total;
  };
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
function directional(c: TrafficCounters, direction: AlertDirection, unit: 'bytes' | 'packets'): number | undefined {
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
function num(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
