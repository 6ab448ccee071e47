/**
 * An alert rule, as one schema (docs/architecture.md "Validation"): the API's `AlertRuleInput` and
 * `AlertScope` are inferred from it, and `core/alerts/alert-rule.ts` checks every rule a client, the
 * dashboard or the settings file sends against `alertRuleInputSchema`.
 *
 * Two options outside JSON Schema, read by that checker:
 * - `siSuffix: true` on a number: text such as `50M` is accepted (k, M, G: powers of 1000), turned into
 *   a number before the check, as a settings file or a form field sends it;
 * - `errorMessage` (as ajv-errors names it): the message of a failure, one for the schema or one per
 *   keyword (`type`, `pattern`, `maxItems`), where `{value}` is the value shown and `{text}` the text as given.
 */
import { oneOf, Type, type Static } from './schema';
import { FLOW_PROTOCOLS } from './protocols';

const ALERT_METRICS = ['bps', 'pps', 'activeFlows', 'newFlows', 'drops', 'rtt', 'retransmissions'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

const ALERT_DIRECTIONS = ['in', 'out', 'both'] as const;
export type AlertDirection = (typeof ALERT_DIRECTIONS)[number];

const ALERT_COMPARISONS = ['above', 'below'] as const;
export type AlertComparison = (typeof ALERT_COMPARISONS)[number];

const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const RULE_LIMITS = {
  nameLength: 100,
  windowSec: 3600,
  forSec: 86_400,
  cooldownSec: 86_400,
  threshold: 1e15,
  topN: 20,
  channels: 10,
  applicationLength: 256,
} as const;

const text = (maxLength: number, options: object = {}) => Type.String({ minLength: 1, maxLength, ...options });
const scope = <K extends string, P extends Parameters<typeof Type.Object>[0]>(kind: K, properties: P) =>
  Type.Object({ kind: Type.Literal(kind), ...properties }, { additionalProperties: false });

/** What a rule watches, told apart by `kind`. */
export const alertScopeSchema = Type.Union([
  scope('all', {}),
  scope('interface', { interface: text(64) }),
  /** Every interface of one probe (`serve --nats`; its interfaces are `<probe>/<interface>`). */
  scope('probe', { probe: text(64, { pattern: '^[A-Za-z0-9_-]{1,64}$', errorMessage: { pattern: 'a probe name is 1-64 letters, digits, - or _' } }) }),
  /** An IPv4 or IPv6 address; the checker writes it in its short form. */
  scope('host', { address: text(64) }),
  /** A network (`10.0.0.0/8`); the checker refuses host bits and writes it in its short form. */
  scope('cidr', { cidr: text(64) }),
  scope('port', { port: Type.Integer({ minimum: 1, maximum: 65_535 }), protocol: Type.Optional(oneOf(['tcp', 'udp'] as const)) }),
  scope('protocol', { protocol: oneOf(FLOW_PROTOCOLS) }),
  /** A learnt name, exact (`example.com`) or every subdomain (`*.example.com`), case-insensitive. */
  scope('name', { pattern: text(253) }),
  /** Hosts registered in a country (ISO code) or an autonomous system, from the geo databases. */
  scope('country', { country: text(64, { pattern: '^[A-Za-z]{2}$', errorMessage: { pattern: "'{text}' is not a two-letter country code (ISO 3166-1)" } }) }),
  scope('asn', { asn: Type.Integer({ minimum: 0, maximum: 0xffffffff }) }),
  /** Flows of one application (its label, case-insensitive: `curl`, `system (user 0)`). */
  scope('application', {
    application: text(RULE_LIMITS.applicationLength, {
      pattern: '^[^\\u0000-\\u001f\\u007f]*$',
      errorMessage: { pattern: 'an application name cannot hold control characters' },
    }),
  }),
], { discriminator: 'kind', errorMessage: { type: 'must be an object such as {"kind": "all"}, got {value}' } });

export type AlertScope = Static<typeof alertScopeSchema>;

const threshold = (description: string) => Type.Number({ minimum: 0, maximum: RULE_LIMITS.threshold, siSuffix: true, description });
const seconds = (minimum: number, maximum: number, defaultSec: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultSec, description });

/** Every field of a rule, in the order its problems are reported; `default` fills what an input leaves out. */
const ruleFields = {
  name: text(RULE_LIMITS.nameLength),
  enabled: Type.Boolean({ default: true }),
  metric: oneOf(ALERT_METRICS),
  /** Only bps and pps have a direction; other metrics are always 'both'. */
  direction: oneOf(ALERT_DIRECTIONS, { default: 'both' }),
  comparison: oneOf(ALERT_COMPARISONS, { default: 'above' }),
  severity: oneOf(ALERT_SEVERITIES, { default: 'warning' }),
  threshold: threshold("In the metric's unit per second: bits/s, packets/s, flows, new flows/s, drops/s, ms."),
  recoveryThreshold: threshold("Hysteresis: an 'above' rule recovers once the value is at or below this; the threshold when left out."),
  windowSec: seconds(1, RULE_LIMITS.windowSec, 10, 'The value compared is the average over the last windowSec one-second samples...'),
  forSec: seconds(0, RULE_LIMITS.forSec, 0, '...and the condition (and later the recovery) must hold this long before an event.'),
  cooldownSec: seconds(0, RULE_LIMITS.cooldownSec, 300, 'Seconds after an event before the rule may fire again.'),
  topN: Type.Integer({ minimum: 0, maximum: RULE_LIMITS.topN, default: 5, description: 'How many top hosts and flows an event carries.' }),
  scope: { ...alertScopeSchema, default: { kind: 'all' } } as typeof alertScopeSchema,
  channels: Type.Array(text(256, { errorMessage: 'must be a channel id, got {value}' }), {
    maxItems: RULE_LIMITS.channels,
    default: [],
    description: 'Ids of the notification channels.',
    errorMessage: { type: 'must be a list of channel ids, got {value}', maxItems: `at most ${RULE_LIMITS.channels} channels per rule, got {count}` },
  }),
};

/** A complete rule, as the store keeps it and the API returns it (without its id). */
export const alertRuleSchema = Type.Object(ruleFields, { additionalProperties: false });
export type AlertRuleInput = Static<typeof alertRuleSchema>;

/** A rule as sent: name, metric and threshold, the rest optional; an `id` is tolerated (the caller decides what it means). */
export const alertRuleInputSchema = Type.Object({
  id: Type.Optional(Type.Unknown()),
  name: ruleFields.name,
  enabled: Type.Optional(ruleFields.enabled),
  metric: ruleFields.metric,
  direction: Type.Optional(ruleFields.direction),
  comparison: Type.Optional(ruleFields.comparison),
  severity: Type.Optional(ruleFields.severity),
  threshold: ruleFields.threshold,
  recoveryThreshold: Type.Optional(ruleFields.recoveryThreshold),
  windowSec: Type.Optional(ruleFields.windowSec),
  forSec: Type.Optional(ruleFields.forSec),
  cooldownSec: Type.Optional(ruleFields.cooldownSec),
  topN: Type.Optional(ruleFields.topN),
  scope: Type.Optional(ruleFields.scope),
  channels: Type.Optional(ruleFields.channels),
}, { additionalProperties: false });
