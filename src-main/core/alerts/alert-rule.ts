import { assertNever } from '../assert-never';
import type { AlertMetric, AlertRuleInput, AlertScope, AlertSeverity } from '../../api/types/alerts';
import { FLOW_PROTOCOLS } from '../../../src-shared/protocols';
import { formatIp, isCidr, parseCidr, parseIp } from '../../../src-shared/ip';
import { FieldReader, describe, fail, isPlainObject, ok, type FieldError, type Result } from './validation';

// The rule's shapes are the API's (plain data the dashboard edits); this module adds their validation.
export type { AlertMetric, AlertScope, AlertSeverity, AlertRule } from '../../api/types/alerts';
export type AlertRuleSpec = AlertRuleInput;

export const ALERT_METRICS: readonly AlertMetric[] = ['bps', 'pps', 'activeFlows', 'newFlows', 'drops', 'rtt', 'retransmissions'];

export type AlertDirection = 'in' | 'out' | 'both';
export const ALERT_DIRECTIONS: readonly AlertDirection[] = ['in', 'out', 'both'];

export type AlertComparison = 'above' | 'below';
export const ALERT_COMPARISONS: readonly AlertComparison[] = ['above', 'below'];

export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

export type AlertScopeKind = AlertScope['kind'];
export const ALERT_SCOPE_KINDS: readonly AlertScopeKind[] = ['all', 'interface', 'probe', 'host', 'cidr', 'port', 'protocol', 'name', 'country', 'asn', 'application'];

export const RULE_LIMITS = {
  nameLength: 100,
  windowSec: 3600,
  forSec: 86_400,
  cooldownSec: 86_400,
  threshold: 1e15,
  topN: 20,
  channels: 10,
  applicationLength: 256,
} as const;

const RULE_FIELDS = [
  'id', 'name', 'enabled', 'metric', 'direction', 'scope', 'comparison', 'threshold', 'recoveryThreshold',
  'windowSec', 'forSec', 'cooldownSec', 'severity', 'topN', 'channels',
] as const;

export interface RuleValidationContext {
  /** Channel ids that exist; a rule naming another one is refused. */
  knownChannels?: ReadonlySet<string>;
}

/**
 * Validates untrusted input (REST body, settings file, form) into a complete
 * rule spec. Every problem is reported at once; nothing is applied on failure.
 * An `id` field is tolerated (the caller decides what it means) but not returned.
 */
export function validateRuleSpec(input: unknown, context: RuleValidationContext = {}): Result<AlertRuleSpec> {
  if (!isPlainObject(input)) return fail('', `a rule must be an object, got ${describe(input)}`);
  const r = new FieldReader(input);
  r.rejectUnknown(RULE_FIELDS);

  const name = r.string('name', { required: true, maxLength: RULE_LIMITS.nameLength });
  const enabled = r.boolean('enabled', true);
  const metric = r.choice('metric', ALERT_METRICS);
  const direction = r.choice('direction', ALERT_DIRECTIONS, 'both');
  const comparison = r.choice('comparison', ALERT_COMPARISONS, 'above');
  const severity = r.choice('severity', ALERT_SEVERITIES, 'warning');
  const threshold = r.number('threshold', { min: 0, max: RULE_LIMITS.threshold, units: true });
  const recoveryRaw = r.number('recoveryThreshold', { min: 0, max: RULE_LIMITS.threshold, units: true, fallback: Number.NaN });
  const windowSec = r.number('windowSec', { min: 1, max: RULE_LIMITS.windowSec, integer: true, fallback: 10 });
  const forSec = r.number('forSec', { min: 0, max: RULE_LIMITS.forSec, integer: true, fallback: 0 });
  const cooldownSec = r.number('cooldownSec', { min: 0, max: RULE_LIMITS.cooldownSec, integer: true, fallback: 300 });
  const topN = r.number('topN', { min: 0, max: RULE_LIMITS.topN, integer: true, fallback: 5 });
  const scope = readScope(r);
  const channels = readChannels(r, context);

  if (metric !== undefined && direction !== undefined && direction !== 'both' && metric !== 'bps' && metric !== 'pps') {
    r.error('direction', `only bps and pps have a direction; use 'both' for ${metric}`);
  }
  if (metric === 'drops' && scope !== undefined && scope.kind !== 'all' && scope.kind !== 'interface' && scope.kind !== 'probe') {
    r.error('scope.kind', `drops are counted per interface; scope must be 'all', 'interface' or 'probe', not '${scope.kind}'`);
  }
  if ((metric === 'rtt' || metric === 'retransmissions') && scope?.kind === 'protocol' && scope.protocol !== 'tcp') {
    r.error('scope.protocol', `${metric} is measured on TCP connections; scope protocol must be 'tcp', not '${scope.protocol}'`);
  }
  if ((metric === 'rtt' || metric === 'retransmissions') && scope?.kind === 'port' && scope.protocol === 'udp') {
    r.error('scope.protocol', `${metric} is measured on TCP connections; a port scope must not name udp`);
  }
  if (comparison === 'below' && threshold === 0) {
    r.error('threshold', "a 'below' rule with threshold 0 can never fire");
  }
  let recoveryThreshold = recoveryRaw;
  if (threshold !== undefined && recoveryRaw !== undefined && comparison !== undefined) {
    if (Number.isNaN(recoveryRaw)) {
      recoveryThreshold = threshold;
    } else if (comparison === 'above' && recoveryRaw > threshold) {
      r.error('recoveryThreshold', `must be at most the threshold (${threshold}) for an 'above' rule, got ${recoveryRaw}`);
    } else if (comparison === 'below' && recoveryRaw < threshold) {
      r.error('recoveryThreshold', `must be at least the threshold (${threshold}) for a 'below' rule, got ${recoveryRaw}`);
    }
  }

  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return ok({
    name: name as string,
    enabled,
    metric: metric as AlertMetric,
    direction: direction as AlertDirection,
    scope: scope as AlertScope,
    comparison: comparison as AlertComparison,
    threshold: threshold as number,
    recoveryThreshold: recoveryThreshold as number,
    windowSec: windowSec as number,
    forSec: forSec as number,
    cooldownSec: cooldownSec as number,
    severity: severity as AlertSeverity,
    topN: topN as number,
    channels: channels as string[],
  });
}

function readScope(r: FieldReader): AlertScope | undefined {
  const raw = r.raw('scope');
  if (raw === undefined) return { kind: 'all' };
  if (!isPlainObject(raw)) {
    r.error('scope', `must be an object such as {"kind": "all"}, got ${describe(raw)}`);
    return undefined;
  }
  const s = new FieldReader(raw, r.path('scope'));
  const kind = s.choice('kind', ALERT_SCOPE_KINDS);
  let scope: AlertScope | undefined;
  if (kind !== undefined) {
    switch (kind) {
      case 'all':
        s.rejectUnknown(['kind']);
        scope = { kind };
        break;
      case 'interface': {
        s.rejectUnknown(['kind', 'interface']);
        const name = s.string('interface', { required: true, maxLength: 64 });
        if (name !== undefined) scope = { kind, interface: name };
        break;
      }
      case 'probe': {
        s.rejectUnknown(['kind', 'probe']);
        const probe = s.string('probe', { required: true, maxLength: 64 });
        if (probe !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(probe)) s.error('probe', 'a probe name is 1-64 letters, digits, - or _');
        else if (probe !== undefined) scope = { kind, probe };
        break;
      }
      case 'host': {
        s.rejectUnknown(['kind', 'address']);
        const text = s.string('address', { required: true, maxLength: 64 });
        if (text !== undefined) {
          const bytes = parseIp(text);
          if (bytes === null) s.error('address', `'${text}' is not an IPv4 or IPv6 address`);
          else scope = { kind, address: formatIp(bytes) };
        }
        break;
      }
      case 'cidr': {
        s.rejectUnknown(['kind', 'cidr']);
        const text = s.string('cidr', { required: true, maxLength: 64 });
        if (text !== undefined) {
          const parsed = parseCidr(text);
          if (!isCidr(parsed)) s.error('cidr', `invalid CIDR: ${parsed.error}`);
          else scope = { kind, cidr: parsed.text };
        }
        break;
      }
      case 'port': {
        s.rejectUnknown(['kind', 'port', 'protocol']);
        const port = s.number('port', { min: 1, max: 65_535, integer: true });
        const protocol = s.has('protocol') ? s.choice('protocol', ['tcp', 'udp'] as const) : undefined;
        if (port !== undefined && (protocol !== undefined || !s.has('protocol'))) {
          scope = protocol === undefined ? { kind, port } : { kind, port, protocol };
        }
        break;
      }
      case 'protocol': {
        s.rejectUnknown(['kind', 'protocol']);
        const protocol = s.choice('protocol', FLOW_PROTOCOLS);
        if (protocol !== undefined) scope = { kind, protocol };
        break;
      }
      case 'name': {
        s.rejectUnknown(['kind', 'pattern']);
        const pattern = s.string('pattern', { required: true, maxLength: 253 });
        if (pattern !== undefined) {
          const problem = namePatternProblem(pattern);
          if (problem !== undefined) s.error('pattern', problem);
          else scope = { kind, pattern: pattern.toLowerCase() };
        }
        break;
      }
      case 'country': {
        s.rejectUnknown(['kind', 'country']);
        const code = s.string('country', { required: true, maxLength: 64 });
        if (code !== undefined) {
          if (!/^[A-Za-z]{2}$/.test(code)) s.error('country', `'${code}' is not a two-letter country code (ISO 3166-1)`);
          else scope = { kind, country: code.toUpperCase() };
        }
        break;
      }
      case 'asn': {
        s.rejectUnknown(['kind', 'asn']);
        const asn = s.number('asn', { min: 0, max: 0xffffffff, integer: true });
        if (asn !== undefined) scope = { kind, asn };
        break;
      }
      case 'application': {
        s.rejectUnknown(['kind', 'application']);
        const label = s.string('application', { required: true, maxLength: RULE_LIMITS.applicationLength });
        if (label !== undefined) {
          const problem = applicationLabelProblem(label);
          if (problem !== undefined) s.error('application', problem);
          else scope = { kind, application: label.trim() };
        }
        break;
      }
      default:
        assertNever(kind);
    }
  }
  r.errors.push(...s.errors);
  return s.errors.length === 0 ? scope : undefined;
}

/** An application label as the Applications view shows it: a process name (`curl`) or `system (user N)`. */
function applicationLabelProblem(label: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(label)) return 'an application name cannot hold control characters';
  return undefined;
}

function namePatternProblem(pattern: string): string | undefined {
  const body = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (body.includes('*')) return `'${pattern}': a wildcard is only allowed as a leading '*.'`;
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(body)) return `'${pattern}' is not a host name`;
  return undefined;
}

function readChannels(r: FieldReader, context: RuleValidationContext): string[] | undefined {
  const raw = r.raw('channels');
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    r.error('channels', `must be a list of channel ids, got ${describe(raw)}`);
    return undefined;
  }
  if (raw.length > RULE_LIMITS.channels) {
    r.error('channels', `at most ${RULE_LIMITS.channels} channels per rule, got ${raw.length}`);
    return undefined;
  }
  const errors: FieldError[] = [];
  const ids: string[] = [];
  raw.forEach((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') {
      errors.push({ field: `${r.path('channels')}.${i}`, message: `must be a channel id, got ${describe(item)}` });
    } else if (context.knownChannels !== undefined && !context.knownChannels.has(item.trim())) {
      errors.push({ field: `${r.path('channels')}.${i}`, message: `unknown channel '${item.trim()}'` });
    } else if (!ids.includes(item.trim())) {
      ids.push(item.trim());
    }
  });
  r.errors.push(...errors);
  return errors.length === 0 ? ids : undefined;
}

/** Units of a metric for messages and payloads. */
export function metricUnit(metric: AlertMetric): string {
  switch (metric) {
    case 'bps': return 'bit/s';
    case 'pps': return 'packets/s';
    case 'activeFlows': return 'flows';
    case 'newFlows': return 'new flows/s';
    case 'drops': return 'drops/s';
    case 'rtt': return 'ms';
    case 'retransmissions': return 'retransmissions/s';
    default: return assertNever(metric);
  }
}
