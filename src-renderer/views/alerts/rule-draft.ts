import type { AlertRule, AlertRuleInput, AlertScope, ValidationIssue } from '../../transport/api-types';
import { assertNever } from '../../util/assert-never';

/**
 * The rule form's state: text as typed, so the server's validator (not the
 * browser) judges "-5" or "10.1.2.3/8" and its messages land next to the fields.
 */
export interface RuleDraft {
  name: string;
  enabled: boolean;
  metric: AlertRuleInput['metric'];
  direction: AlertRuleInput['direction'];
  comparison: AlertRuleInput['comparison'];
  scopeKind: AlertScope['kind'];
  /** The scope's one value: interface name, address, CIDR, port, protocol or name pattern. */
  scopeValue: string;
  portProtocol: '' | 'tcp' | 'udp';
  threshold: string;
  /** Empty = same as the threshold. */
  recoveryThreshold: string;
  windowSec: string;
  forSec: string;
  cooldownSec: string;
  severity: AlertRuleInput['severity'];
  topN: string;
  channels: string[];
}

export const SCOPE_KINDS: readonly AlertScope['kind'][] = ['all', 'interface', 'probe', 'host', 'cidr', 'port', 'protocol', 'name', 'country', 'asn', 'application'];

export function emptyDraft(): RuleDraft {
  return {
    name: '', enabled: true, metric: 'bps', direction: 'both', comparison: 'above', scopeKind: 'all', scopeValue: '', portProtocol: '',
    threshold: '', recoveryThreshold: '', windowSec: '10', forSec: '0', cooldownSec: '300', severity: 'warning', topN: '5', channels: [],
  };
}

function scopeValueOf(scope: AlertScope): string {
  switch (scope.kind) {
    case 'all':
      return '';
    case 'interface':
      return scope.interface;
    case 'probe':
      return scope.probe;
    case 'host':
      return scope.address;
    case 'cidr':
      return scope.cidr;
    case 'port':
      return String(scope.port);
    case 'protocol':
      return scope.protocol;
    case 'name':
      return scope.pattern;
    case 'country':
      return scope.country;
    case 'asn':
      return String(scope.asn);
    case 'application':
      return scope.application;
    default:
      return assertNever(scope);
  }
}

export function draftOf(rule: AlertRule): RuleDraft {
  return {
    name: rule.name,
    enabled: rule.enabled,
    metric: rule.metric,
    direction: rule.direction,
    comparison: rule.comparison,
    scopeKind: rule.scope.kind,
    scopeValue: scopeValueOf(rule.scope),
    portProtocol: rule.scope.kind === 'port' ? rule.scope.protocol ?? '' : '',
    threshold: String(rule.threshold),
    recoveryThreshold: rule.recoveryThreshold === rule.threshold ? '' : String(rule.recoveryThreshold),
    windowSec: String(rule.windowSec),
    forSec: String(rule.forSec),
    cooldownSec: String(rule.cooldownSec),
    severity: rule.severity,
    topN: String(rule.topN),
    channels: [...rule.channels],
  };
}

/** A number when the text is one; otherwise the text itself, for the server to refuse with its reason. */
function numeric(text: string): number | string {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

function scopeOf(d: RuleDraft): Record<string, unknown> {
  const value = d.scopeValue.trim();
  switch (d.scopeKind) {
    case 'all':
      return { kind: 'all' };
    case 'interface':
      return { kind: 'interface', interface: value };
    case 'probe':
      return { kind: 'probe', probe: value };
    case 'host':
      return { kind: 'host', address: value };
    case 'cidr':
      return { kind: 'cidr', cidr: value };
    case 'port':
      return { kind: 'port', port: numeric(value), ...(d.portProtocol === '' ? {} : { protocol: d.portProtocol }) };
    case 'protocol':
      return { kind: 'protocol', protocol: value };
    case 'name':
      return { kind: 'name', pattern: value };
    case 'country':
      return { kind: 'country', country: value };
    case 'asn':
      return { kind: 'asn', asn: numeric(value.replace(/^AS/i, '')) };
    case 'application':
      return { kind: 'application', application: value };
    default:
      return assertNever(d.scopeKind);
  }
}

/**
 * What the form sends. Thresholds keep suffixed text ("50M") for the server
 * to read; a direction only goes with bps and pps.
 */
export function ruleBody(d: RuleDraft): Record<string, unknown> {
  const directional = d.metric === 'bps' || d.metric === 'pps';
  return {
    name: d.name.trim(),
    enabled: d.enabled,
    metric: d.metric,
    direction: directional ? d.direction : 'both',
    scope: scopeOf(d),
    comparison: d.comparison,
    threshold: numeric(d.threshold),
    ...(d.recoveryThreshold.trim() === '' ? {} : { recoveryThreshold: numeric(d.recoveryThreshold) }),
    windowSec: numeric(d.windowSec),
    forSec: numeric(d.forSec),
    cooldownSec: numeric(d.cooldownSec),
    severity: d.severity,
    topN: numeric(d.topN),
    channels: d.channels,
  };
}

/** The form field a server issue belongs to: `scope.cidr` to the scope value, `channels.1` to the channels, `id` to the form. */
export function fieldOfIssue(path: string): string {
  const [head, sub] = path.split('.');
  if (head === 'scope' && sub !== undefined) return sub === 'kind' ? 'scopeKind' : 'scopeValue';
  return head === '' || head === 'id' ? 'form' : head;
}

/**
 * The issues left once the person changed `field`: its own messages are stale (the server judges the
 * new value on the next save), and a new scope kind makes the scope value's messages stale too.
 */
export function issuesAfterEdit(issues: readonly ValidationIssue[], field: keyof RuleDraft): ValidationIssue[] {
  const stale = new Set<string>([field, 'form']);
  if (field === 'scopeKind' || field === 'portProtocol') stale.add('scopeValue');
  if (field === 'metric') stale.add('direction').add('scopeKind').add('scopeValue');
  return issues.filter((i) => !stale.has(fieldOfIssue(i.path)));
}

/** The threshold as the server reads it (`50M` = 50,000,000), or the text when it is not a number yet. */
export function thresholdValue(text: string): number | string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMG]?)\s*$/.exec(text);
  if (m === null) return text;
  const scale = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'k' | 'K' | 'M' | 'G'];
  return Number(m[1]) * scale;
}

/** The server's issues by form field (see fieldOfIssue); the form shows each under its field. */
export function issuesByField(issues: readonly ValidationIssue[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const issue of issues) {
    const field = fieldOfIssue(issue.path);
    const list = fields.get(field) ?? [];
    list.push(issue.message);
    fields.set(field, list);
  }
  return fields;
}
