import { assertNever } from '../assert-never';
import type { AlertMetric, AlertRuleInput, AlertScope } from '../../api/types/alerts';
import { alertRuleInputSchema, alertRuleSchema } from '../../../src-shared/alert-rule-schema';
import { formatIp, isCidr, parseCidr, parseIp } from '../../../src-shared/ip';
import { coerceToSchema, schemaErrors, withDefaults } from './rule-check';
import { describe, fail, isPlainObject, ok, type FieldError, type Result } from './validation';

// The rule's shapes are the API's, inferred from its schema (src-shared/alert-rule-schema.ts); this module adds
// what a schema cannot say: addresses and names that parse, and fields that make sense together.
export type { AlertMetric, AlertScope, AlertSeverity, AlertRule } from '../../api/types/alerts';
export type { AlertComparison, AlertDirection } from '../../../src-shared/alert-rule-schema';
export type AlertRuleSpec = AlertRuleInput;

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
  const given = coerceToSchema(alertRuleInputSchema, input) as Record<string, unknown>;
  const errors = schemaErrors(alertRuleInputSchema, given);
  // Past the schema, a field is read only when it has no error: its type is then the schema's.
  const valid = (field: string) => !errors.some((e) => e.field === field || e.field.startsWith(`${field}.`));
  const rule = withDefaults(alertRuleSchema, given) as unknown as AlertRuleInput;

  const scope = valid('scope') ? normalScope(rule.scope, errors) : undefined;
  const channels = valid('channels') ? knownChannels(rule.channels, context, errors) : undefined;
  const metric = valid('metric') ? rule.metric : undefined;
  const direction = valid('direction') ? rule.direction : undefined;
  const comparison = valid('comparison') ? rule.comparison : undefined;
  const threshold = valid('threshold') ? rule.threshold : undefined;
  const error = (field: string, message: string) => errors.push({ field, message });

  if (metric !== undefined && direction !== undefined && direction !== 'both' && metric !== 'bps' && metric !== 'pps') {
    error('direction', `only bps and pps have a direction; use 'both' for ${metric}`);
  }
  if (metric === 'drops' && scope !== undefined && scope.kind !== 'all' && scope.kind !== 'interface' && scope.kind !== 'probe') {
    error('scope.kind', `drops are counted per interface; scope must be 'all', 'interface' or 'probe', not '${scope.kind}'`);
  }
  if ((metric === 'rtt' || metric === 'retransmissions') && scope?.kind === 'protocol' && scope.protocol !== 'tcp') {
    error('scope.protocol', `${metric} is measured on TCP connections; scope protocol must be 'tcp', not '${scope.protocol}'`);
  }
  if ((metric === 'rtt' || metric === 'retransmissions') && scope?.kind === 'port' && scope.protocol === 'udp') {
    error('scope.protocol', `${metric} is measured on TCP connections; a port scope must not name udp`);
  }
  if (comparison === 'below' && threshold === 0) {
    error('threshold', "a 'below' rule with threshold 0 can never fire");
  }
  const recovery = valid('recoveryThreshold') ? given.recoveryThreshold as number | undefined : undefined;
  if (threshold !== undefined && recovery !== undefined && comparison !== undefined) {
    if (comparison === 'above' && recovery > threshold) {
      error('recoveryThreshold', `must be at most the threshold (${threshold}) for an 'above' rule, got ${recovery}`);
    } else if (comparison === 'below' && recovery < threshold) {
      error('recoveryThreshold', `must be at least the threshold (${threshold}) for a 'below' rule, got ${recovery}`);
    }
  }

  if (errors.length > 0 || scope === undefined || channels === undefined) return { ok: false, errors };
  return ok({
    name: rule.name,
    enabled: rule.enabled,
    metric: rule.metric,
    direction: rule.direction,
    scope,
    comparison: rule.comparison,
    threshold: rule.threshold,
    recoveryThreshold: recovery ?? rule.threshold,
    windowSec: rule.windowSec,
    forSec: rule.forSec,
    cooldownSec: rule.cooldownSec,
    severity: rule.severity,
    topN: rule.topN,
    channels,
  });
}

/** A scope the schema passed, in its one written form (short addresses, lower-case names); undefined after an error. */
function normalScope(scope: AlertScope, errors: FieldError[]): AlertScope | undefined {
  const problem = (field: string, message: string): undefined => {
    errors.push({ field: `scope.${field}`, message });
    return undefined;
  };
  switch (scope.kind) {
    case 'all':
    case 'interface':
    case 'probe':
    case 'port':
    case 'protocol':
    case 'asn':
    case 'application':
      return scope;
    case 'host': {
      const bytes = parseIp(scope.address);
      return bytes === null ? problem('address', `'${scope.address}' is not an IPv4 or IPv6 address`) : { kind: 'host', address: formatIp(bytes) };
    }
    case 'cidr': {
      const parsed = parseCidr(scope.cidr);
      return isCidr(parsed) ? { kind: 'cidr', cidr: parsed.text } : problem('cidr', `invalid CIDR: ${parsed.error}`);
    }
    case 'name': {
      const message = namePatternProblem(scope.pattern);
      return message === undefined ? { kind: 'name', pattern: scope.pattern.toLowerCase() } : problem('pattern', message);
    }
    case 'country':
      return { kind: 'country', country: scope.country.toUpperCase() };
    default:
      return assertNever(scope);
  }
}

function namePatternProblem(pattern: string): string | undefined {
  const body = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (body.includes('*')) return `'${pattern}': a wildcard is only allowed as a leading '*.'`;
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(body)) return `'${pattern}' is not a host name`;
  return undefined;
}

/** The channel ids, each once, after checking each names a known channel; undefined after an error. */
function knownChannels(ids: string[], context: RuleValidationContext, errors: FieldError[]): string[] | undefined {
  const unknown = context.knownChannels === undefined ? [] : ids.flatMap((id, i) => (context.knownChannels?.has(id) === true ? [] : [{ field: `channels.${i}`, message: `unknown channel '${id}'` }]));
  errors.push(...unknown);
  return unknown.length === 0 ? [...new Set(ids)] : undefined;
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
