import { FieldReader, describe, fail, isPlainObject, ok, type Result } from '../alerts/validation';

export type ChannelKind = 'desktop' | 'discord' | 'webhook' | 'command';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['desktop', 'discord', 'webhook', 'command'];

interface ChannelCommon {
  name: string;
  enabled: boolean;
  /** Sustained sends per minute; bursts of up to `burst` go out at once. */
  ratePerMinute: number;
  burst: number;
}

export type ChannelSpec = ChannelCommon & (
  | { kind: 'desktop' }
  | { kind: 'discord'; url: string }
  /** Extra headers (an Authorization token, say) sent with every request. */
  | { kind: 'webhook'; url: string; headers: Record<string, string> }
  /** Run without a shell: argv[0] is the program; the JSON payload arrives on stdin. */
  | { kind: 'command'; argv: string[]; timeoutSec: number }
);

export type ChannelConfig = ChannelSpec & { id: string };

/** Channel ids appear in settings files and rules, so they are short slugs. */
export const CHANNEL_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const COMMON_FIELDS = ['id', 'name', 'kind', 'enabled', 'ratePerMinute', 'burst'] as const;

/**
 * Validates untrusted input into a channel spec. Rate defaults follow
 * Discord's webhook limit (30 a minute, 5 at once) for every HTTP channel.
 */
export function validateChannelSpec(input: unknown): Result<ChannelSpec> {
  if (!isPlainObject(input)) return fail('', `a channel must be an object, got ${describe(input)}`);
  const r = new FieldReader(input);
  const kind = r.choice('kind', CHANNEL_KINDS);
  const name = r.string('name', { required: true, maxLength: 100 });
  const enabled = r.boolean('enabled', true);
  const ratePerMinute = r.number('ratePerMinute', { min: 1, max: 6000, fallback: 30 });
  const burst = r.number('burst', { min: 1, max: 100, integer: true, fallback: 5 });
  if (kind === undefined) {
    return { ok: false, errors: r.errors };
  }
  const common = { name: name as string, enabled, ratePerMinute: ratePerMinute as number, burst: burst as number };
  let spec: ChannelSpec | undefined;
  switch (kind) {
    case 'desktop':
      r.rejectUnknown(COMMON_FIELDS);
      spec = { ...common, kind };
      break;
    case 'discord': {
      r.rejectUnknown([...COMMON_FIELDS, 'url']);
      const url = readUrl(r);
      if (url !== undefined) spec = { ...common, kind, url };
      break;
    }
    case 'webhook': {
      r.rejectUnknown([...COMMON_FIELDS, 'url', 'headers']);
      const url = readUrl(r);
      const headers = readHeaders(r);
      if (url !== undefined && headers !== undefined) spec = { ...common, kind, url, headers };
      break;
    }
    case 'command': {
      r.rejectUnknown([...COMMON_FIELDS, 'argv', 'timeoutSec']);
      const argv = readArgv(r);
      const timeoutSec = r.number('timeoutSec', { min: 1, max: 600, fallback: 10 });
      if (argv !== undefined && timeoutSec !== undefined) spec = { ...common, kind, argv, timeoutSec };
      break;
    }
    default: {
      const unreachable: never = kind;
      return fail('kind', `unknown kind ${describe(unreachable)}`);
    }
  }
  if (r.errors.length > 0 || spec === undefined) return { ok: false, errors: r.errors };
  return ok(spec);
}

function readUrl(r: FieldReader): string | undefined {
  const text = r.string('url', { required: true, maxLength: 2048 });
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    r.error('url', `'${text.slice(0, 80)}' is not a URL`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    r.error('url', `must be an http:// or https:// URL, got ${url.protocol}`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    r.error('url', 'must not carry a user name or password; use a header instead');
    return undefined;
  }
  return url.toString();
}

function readHeaders(r: FieldReader): Record<string, string> | undefined {
  const raw = r.raw('headers');
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    r.error('headers', `must be an object of header names to values, got ${describe(raw)}`);
    return undefined;
  }
  const headers: Record<string, string> = {};
  let bad = false;
  for (const [key, value] of Object.entries(raw)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(key)) {
      r.error(`headers.${key}`, 'is not a valid header name');
      bad = true;
    } else if (['content-type', 'content-length', 'host'].includes(key.toLowerCase())) {
      r.error(`headers.${key}`, 'is set by Netmon and cannot be overridden');
      bad = true;
    } else if (typeof value !== 'string' || value.length > 4096 || /[\r\n\0]/.test(value)) {
      r.error(`headers.${key}`, 'must be a single-line string of at most 4096 characters');
      bad = true;
    } else {
      headers[key] = value;
    }
  }
  return bad ? undefined : headers;
}

function readArgv(r: FieldReader): string[] | undefined {
  const raw = r.raw('argv');
  if (raw === undefined) {
    r.error('argv', 'is required: the program and its arguments, e.g. ["/usr/local/bin/page-me", "--urgent"]');
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 64) {
    r.error('argv', 'must be a list of 1 to 64 strings (program first); no shell is involved');
    return undefined;
  }
  if (!raw.every((a): a is string => typeof a === 'string' && a.length <= 4096 && !a.includes('\0'))) {
    r.error('argv', 'every item must be a string without NUL bytes');
    return undefined;
  }
  if (raw[0].trim() === '') {
    r.error('argv.0', 'the program must not be empty');
    return undefined;
  }
  return [...raw];
}
