/**
 * A notification channel, as one schema (docs/architecture.md "Validation"; docs/alerts.md "Channels"):
 * the API's `AlertChannel*` types are inferred from it, and `core/notifiers/channel-config.ts` checks every
 * channel a client, the dashboard or the settings file sends against `alertChannelInputSchema`, then what
 * a schema cannot say (a URL that parses, header names Netmon sets itself).
 *
 * Options outside JSON Schema, read by that checker (core/alerts/rule-check.ts), as in alert-rule-schema.ts:
 * - `errorMessage`: the message of a failure, one for the schema or one per keyword;
 * - `trim: false` on a string: the text is taken as given (a program's arguments), where other strings
 *   are trimmed.
 */
import { Type, type Static, type TSchema } from './schema';

/** Channel ids appear in settings files and rules, so they are short slugs. */
export const alertChannelIdSchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: '1-64 of a-z 0-9 - _, starting with a letter or digit',
});

/** Header names as HTTP's token (RFC 9110); values on one line. Content-Type, Content-Length and Host are Netmon's. */
const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$";
const ARGV_LIST_MESSAGE = 'must be a list of 1 to 64 strings (program first); no shell is involved';

const text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/** What every channel has; `default` fills what an input leaves out. Rates follow Discord's webhook limit (30 a minute, 5 at once). */
const commonFields = {
  name: text(100),
  enabled: Type.Boolean({ default: true }),
  ratePerMinute: Type.Number({ minimum: 1, maximum: 6000, default: 30, description: 'Sustained sends per minute...' }),
  burst: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: '...and how many may go out at once.' }),
};

const url = text(2048);
const headers = Type.Record(
  Type.String({ pattern: HEADER_NAME }),
  Type.String({ maxLength: 4096, pattern: '^[^\\r\\n\\u0000]*$', errorMessage: 'must be a single-line string of at most 4096 characters' }),
  {
    additionalProperties: false,
    default: {},
    description: 'Extra headers (an Authorization token, say) sent with every request.',
    errorMessage: { type: 'must be an object of header names to values, got {value}', additionalProperties: 'is not a valid header name' },
  },
);
const argv = Type.Array(
  Type.String({ maxLength: 4096, pattern: '^[^\\u0000]*$', trim: false, errorMessage: 'must be a string of at most 4096 characters, without NUL bytes' }),
  {
    minItems: 1,
    maxItems: 64,
    description: 'Run without a shell: argv[0] is the program; the JSON payload arrives on stdin.',
    errorMessage: {
      required: 'is required: the program and its arguments, e.g. ["/usr/local/bin/page-me", "--urgent"]',
      type: ARGV_LIST_MESSAGE,
      minItems: ARGV_LIST_MESSAGE,
      maxItems: ARGV_LIST_MESSAGE,
    },
  },
);
const timeoutSec = Type.Number({ minimum: 1, maximum: 600, default: 10, description: 'Seconds the program may run.' });

const channelOf = <K extends string, P extends Record<string, TSchema>>(kind: K, properties: P) =>
  Type.Object({ kind: Type.Literal(kind), ...commonFields, ...properties }, { additionalProperties: false });

/** A complete channel, as the store keeps it and the API returns it (without its id). */
export const alertChannelSchema = Type.Union([
  channelOf('desktop', {}),
  channelOf('discord', { url }),
  channelOf('webhook', { url, headers }),
  channelOf('command', { argv, timeoutSec }),
], { discriminator: 'kind' });
export type AlertChannelSpec = Static<typeof alertChannelSchema>;
export type AlertChannelKind = AlertChannelSpec['kind'];

const inputOf = <K extends string, P extends Record<string, TSchema>>(kind: K, properties: P) =>
  Type.Object({
    // Tolerated here; the caller decides what it means (the channel's id, or the one being updated).
    id: Type.Optional(Type.Unknown()),
    kind: Type.Literal(kind),
    name: commonFields.name,
    enabled: Type.Optional(commonFields.enabled),
    ratePerMinute: Type.Optional(commonFields.ratePerMinute),
    burst: Type.Optional(commonFields.burst),
    ...properties,
  }, { additionalProperties: false });

/** A channel as sent: its kind, name and the kind's required fields; the rest takes the defaults. */
export const alertChannelInputSchema = Type.Union([
  inputOf('desktop', {}),
  inputOf('discord', { url }),
  inputOf('webhook', { url, headers: Type.Optional(headers) }),
  inputOf('command', { argv, timeoutSec: Type.Optional(timeoutSec) }),
], { discriminator: 'kind' });
export type AlertChannelInput = Static<typeof alertChannelInputSchema> & { id?: string };

/** What every channel has, checked on its own when the kind is missing or unknown (so every problem is told at once). */
export const alertChannelCommonSchema = Type.Object({
  name: commonFields.name,
  enabled: Type.Optional(commonFields.enabled),
  ratePerMinute: Type.Optional(commonFields.ratePerMinute),
  burst: Type.Optional(commonFields.burst),
});
