import { CHANNEL_ID_PATTERN, validateChannelSpec, type AlertChannel } from '../notifiers/channel-config';
import { validateRuleSpec, type AlertRule } from './alert-rule';
import { describe, fail, isPlainObject, ok, type FieldError, type Result } from './validation';

export interface AlertsSection {
  channels: AlertChannel[];
  rules: AlertRule[];
}

/** Bounds on rules and channels, for the settings section and the API alike. */
export const MAX_RULES = 500;
export const MAX_CHANNELS = 50;

/**
 * Validates the `alerts` section of the settings file:
 *
 *   alerts:
 *     channels: [{ id: ops, kind: discord, name: Ops, url: https://discord.com/api/webhooks/… }]
 *     rules:    [{ id: big-download, name: Big download, metric: bps, direction: in, threshold: 50M, channels: [ops] }]
 *
 * Ids are optional; a missing one is derived from the name. Every problem in
 * the section is reported, with paths like `alerts.rules.2.threshold`.
 */
export function validateAlertsSection(input: unknown, prefix = 'alerts'): Result<AlertsSection> {
  if (input === undefined || input === null) return ok({ channels: [], rules: [] });
  if (!isPlainObject(input)) return fail(prefix, `must be an object with 'channels' and 'rules', got ${describe(input)}`);
  const errors: FieldError[] = [];
  for (const key of Object.keys(input)) {
    if (key !== 'channels' && key !== 'rules') errors.push({ field: `${prefix}.${key}`, message: `unknown field '${key}'` });
  }
  const channelItems = listOf(input.channels, `${prefix}.channels`, MAX_CHANNELS, errors);
  const ruleItems = listOf(input.rules, `${prefix}.rules`, MAX_RULES, errors);

  const channels: AlertChannel[] = [];
  channelItems.forEach((item, i) => {
    const path = `${prefix}.channels.${i}`;
    const spec = validateChannelSpec(item);
    const id = readId(item, path, errors);
    if (!spec.ok) errors.push(...spec.errors.map((e) => at(path, e)));
    else if (id !== undefined) channels.push({ id: id ?? slugOf(spec.value.name), ...spec.value });
  });
  checkUnique(channels.map((c) => c.id), `${prefix}.channels`, errors);

  const knownChannels = new Set(channels.map((c) => c.id));
  const rules: AlertRule[] = [];
  ruleItems.forEach((item, i) => {
    const path = `${prefix}.rules.${i}`;
    const spec = validateRuleSpec(item, { knownChannels });
    const id = readId(item, path, errors);
    if (!spec.ok) errors.push(...spec.errors.map((e) => at(path, e)));
    else if (id !== undefined) rules.push({ id: id ?? slugOf(spec.value.name), ...spec.value });
  });
  checkUnique(rules.map((r) => r.id), `${prefix}.rules`, errors);

  return errors.length > 0 ? { ok: false, errors } : ok({ channels, rules });
}

/** Checks an optional id (rules share the channel id syntax): undefined on error, null when absent (derive one), else the id. */
function readId(item: unknown, path: string, errors: FieldError[]): string | null | undefined {
  if (!isPlainObject(item) || item.id === undefined) return null;
  if (typeof item.id !== 'string' || !CHANNEL_ID_PATTERN.test(item.id)) {
    errors.push({ field: `${path}.id`, message: `must be 1-64 of a-z 0-9 - _ starting with a letter or digit, got ${describe(item.id)}` });
    return undefined;
  }
  return item.id;
}

/** `Big download!` -> `big-download`; never empty. */
export function slugOf(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return slug === '' ? 'item' : slug;
}

function listOf(value: unknown, path: string, max: number, errors: FieldError[]): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ field: path, message: `must be a list, got ${describe(value)}` });
    return [];
  }
  if (value.length > max) {
    errors.push({ field: path, message: `at most ${max} entries, got ${value.length}` });
    return [];
  }
  return value;
}

function checkUnique(ids: string[], path: string, errors: FieldError[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) errors.push({ field: path, message: `id '${id}' is used twice (ids come from the name when not given)` });
    seen.add(id);
  }
}

function at(path: string, e: FieldError): FieldError {
  return { field: e.field === '' ? path : `${path}.${e.field}`, message: e.message };
}
