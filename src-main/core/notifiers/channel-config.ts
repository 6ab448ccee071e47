import type { AlertChannel, AlertChannelKind, AlertChannelSpec } from '../../api/types/alerts';
import { alertChannelCommonSchema, alertChannelIdSchema, alertChannelInputSchema, alertChannelSchema } from '../../../src-shared/alert-channel-schema';
import type { TObject } from '../../../src-shared/schema';
import { coerceToSchema, schemaErrors, withDefaults } from '../alerts/rule-check';
import { describe, fail, isPlainObject, ok, type FieldError, type Result } from '../alerts/validation';

// A channel's shapes are the API's, inferred from its schema (src-shared/alert-channel-schema.ts); this module adds
// what a schema cannot say: a URL that parses to http(s) without credentials, headers Netmon sets itself, a program.
export type { AlertChannel, AlertChannelKind, AlertChannelSpec };

export const CHANNEL_ID_PATTERN = new RegExp(alertChannelIdSchema.pattern as string);

/** Headers every request carries from Netmon; a channel may not replace them. */
const RESERVED_HEADERS = ['content-type', 'content-length', 'host'];

/**
 * Validates untrusted input (REST body, settings file, form) into a complete channel spec. Every problem is
 * reported at once; an `id` field is tolerated (the caller decides what it means) but not returned.
 */
export function validateChannelSpec(input: unknown): Result<AlertChannelSpec> {
  if (!isPlainObject(input)) return fail('', `a channel must be an object, got ${describe(input)}`);
  const given = coerceToSchema(alertChannelInputSchema, input) as Record<string, unknown>;
  const errors = schemaErrors(alertChannelInputSchema, given);
  const complete = alertChannelSchema.anyOf.find((kind) => kind.properties.kind.const === given.kind) as TObject | undefined;
  if (complete === undefined) {
    // No kind, or an unknown one: what every channel has is still checked, so the form shows it all at once.
    errors.push(...schemaErrors(alertChannelCommonSchema, coerceToSchema(alertChannelCommonSchema, input)));
    return { ok: false, errors };
  }
  // Past the schema, a field is read only when it has no error: its type is then the schema's.
  const valid = (field: string) => !errors.some((e) => e.field === field || e.field.startsWith(`${field}.`));
  const channel = withDefaults(complete, given);
  delete channel.id;
  if (typeof channel.url === 'string' && valid('url')) channel.url = checkedUrl(channel.url, errors);
  if (isPlainObject(channel.headers) && valid('headers')) channel.headers = checkedHeaders(channel.headers, errors);
  if (Array.isArray(channel.argv) && valid('argv') && (channel.argv[0] as string).trim() === '') {
    errors.push({ field: 'argv.0', message: 'the program must not be empty' });
  }
  return errors.length > 0 ? { ok: false, errors } : ok(channel as AlertChannelSpec);
}

/** The URL in its normal form; http(s) only, with no user name or password (they would show in logs and the dashboard). */
function checkedUrl(text: string, errors: FieldError[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    errors.push({ field: 'url', message: `'${text.slice(0, 80)}' is not a URL` });
    return text;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    errors.push({ field: 'url', message: `must be an http:// or https:// URL, got ${url.protocol}` });
  } else if (url.username !== '' || url.password !== '') {
    errors.push({ field: 'url', message: 'must not carry a user name or password; use a header instead' });
  }
  return url.toString();
}

/** A copy of the headers (own fields only), refusing the ones Netmon sets. */
function checkedHeaders(headers: Record<string, unknown>, errors: FieldError[]): Record<string, unknown> {
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.includes(name.toLowerCase())) errors.push({ field: `headers.${name}`, message: 'is set by Netmon and cannot be overridden' });
  }
  return Object.fromEntries(Object.entries(headers));
}
