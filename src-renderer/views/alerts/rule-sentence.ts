import { formatBitRate, formatCount, formatPacketRate } from '../../format/units';
import type { AlertChannel, AlertRuleInput, AlertScope } from '../../transport/api-types';
import { assertNever } from '../../util/assert-never';

/**
 * A rule as people say it: "When traffic in both directions on eth0 exceeds 10 Mbit/s for 30 s,
 * notify Discord “ops”". Used in the rule list and as the form's live preview.
 */

type Metric = AlertRuleInput['metric'];
type Direction = NonNullable<AlertRuleInput['direction']>;

/** The metric's value in its unit: `5.00 Mbit/s`, `1.20 kpkt/s`, `3 flows`. */
export function formatMetricValue(metric: Metric, value: number): string {
  switch (metric) {
    case 'bps':
      return formatBitRate(value);
    case 'pps':
      return formatPacketRate(value);
    case 'activeFlows':
      return `${formatCount(Math.round(value))} flows`;
    case 'newFlows':
      return `${trim(value)} new flows/s`;
    case 'drops':
      return `${trim(value)} drops/s`;
    case 'rtt':
      return `${trim(value)} ms`;
    case 'retransmissions':
      return `${trim(value)} retransmissions/s`;
    default:
      return assertNever(metric);
  }
}

function trim(value: number): string {
  return String(Number(value.toFixed(1)));
}

function subject(metric: Metric, direction: Direction): string {
  switch (metric) {
    case 'bps':
      return direction === 'in' ? 'incoming traffic' : direction === 'out' ? 'outgoing traffic' : 'traffic in both directions';
    case 'pps':
      return direction === 'in' ? 'the incoming packet rate' : direction === 'out' ? 'the outgoing packet rate' : 'the packet rate in both directions';
    case 'activeFlows':
      return 'the number of active flows';
    case 'newFlows':
      return 'the rate of new flows';
    case 'drops':
      return 'the rate of dropped packets';
    case 'rtt':
      return 'the mean TCP handshake round-trip time';
    case 'retransmissions':
      return 'the rate of TCP retransmissions';
    default:
      return assertNever(metric);
  }
}

/** Where the rule looks, as the tail of the subject: "on eth0", "to or from 192.0.2.1"; empty for all traffic. */
export function scopePhrase(scope: AlertScope): string {
  switch (scope.kind) {
    case 'all':
      return '';
    case 'interface':
      return `on ${scope.interface || '(no interface)'}`;
    case 'probe':
      return `seen by probe ${scope.probe || '(no probe)'}`;
    case 'host':
      return `to or from ${scope.address || '(no address)'}`;
    case 'cidr':
      return `to or from ${scope.cidr || '(no network)'}`;
    case 'port':
      return `on port ${scope.port}${scope.protocol ? `/${scope.protocol}` : ''}`;
    case 'protocol':
      return `over ${scope.protocol.toUpperCase()}`;
    case 'name':
      return `to or from ${scope.pattern || '(no name)'}`;
    case 'country':
      return `to or from country ${scope.country || '(no country)'}`;
    case 'asn':
      return `to or from network AS${scope.asn}`;
    case 'application':
      return `of application ${scope.application || '(no application)'}`;
    default:
      return assertNever(scope);
  }
}

const KIND_LABEL: Record<AlertChannel['kind'], string> = { discord: 'Discord', webhook: 'webhook', command: 'command', desktop: 'desktop' };

/** "Discord “ops”", or the id of a channel that is not (yet) listed. */
export function channelPhrase(id: string, channels: readonly AlertChannel[]): string {
  const c = channels.find((x) => x.id === id);
  return c === undefined ? `“${id}”` : `${KIND_LABEL[c.kind]} “${c.name}”`;
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export interface SentenceParts {
  metric: Metric;
  direction: Direction;
  scope: AlertScope;
  comparison: 'above' | 'below';
  /** A number, or the text as typed when it is not one yet (the form's preview). */
  threshold: number | string;
  forSec: number | string;
  channels: readonly string[];
}

/** The rule's condition and where it goes, in one sentence. */
export function ruleSentence(r: SentenceParts, channels: readonly AlertChannel[]): string {
  const directional = r.metric === 'bps' || r.metric === 'pps';
  const what = [subject(r.metric, directional ? r.direction : 'both'), scopePhrase(r.scope)].filter((s) => s !== '').join(' ');
  const verb = r.comparison === 'above' ? 'exceeds' : 'falls below';
  const value = typeof r.threshold === 'number' ? formatMetricValue(r.metric, r.threshold) : r.threshold.trim() || '…';
  const lasting = Number(r.forSec) > 0 ? ` for ${Number(r.forSec)} s` : '';
  const notify = r.channels.length === 0 ? 'list it here (no channel)' : `notify ${list(r.channels.map((id) => channelPhrase(id, channels)))}`;
  return `When ${what} ${verb} ${value}${lasting}, ${notify}`;
}

/** The rule's finer points, after the sentence: "10 s average · recovers at 1.00 Mbit/s · at most every 300 s". */
export function ruleDetails(r: { metric: Metric; threshold: number; recoveryThreshold: number; windowSec: number; cooldownSec: number }): string {
  const parts = [`${r.windowSec} s average`];
  if (r.recoveryThreshold !== r.threshold) parts.push(`recovers at ${formatMetricValue(r.metric, r.recoveryThreshold)}`);
  if (r.cooldownSec > 0) parts.push(`at most every ${r.cooldownSec} s`);
  return parts.join(' · ');
}
