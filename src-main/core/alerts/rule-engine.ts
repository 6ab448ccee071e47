import type { AlertDirection, AlertMetric, AlertRule } from './alert-rule';
import type { AlertEventDraft, TalkerFlow, TalkerHost } from './alert-event';
import type { AlertFlowRate, AlertHostRate, AlertSample, TrafficCounters } from './alert-sample';
import { describeScope, formatMetricValue, metricLabel } from './format';
import { compile, directional, num, SampleView, type CompiledRule } from './rule-measure';

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
