import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateChannelSpec } from '../../../src-main/core/notifiers/channel-config';
import { alertChannelSchema } from '../../../src-shared/alert-channel-schema';
import { checkerOf } from '../../../src-shared/schema';

const KINDS = ['desktop', 'discord', 'webhook', 'command'] as const;
const FIELDS = ['id', 'kind', 'name', 'enabled', 'ratePerMinute', 'burst', 'url', 'headers', 'argv', 'timeoutSec'];

const name = fc.string({ minLength: 1, maxLength: 100 }).map((s) => s.trim()).filter((s) => s !== '');
const common = {
  name,
  enabled: fc.boolean(),
  ratePerMinute: fc.double({ min: 1, max: 6000, noNaN: true }),
  burst: fc.integer({ min: 1, max: 100 }),
};
/** URLs as the checker writes them back (its normal form), so a valid spec is returned exactly as given. */
const url = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }).map((u) => new URL(u).toString());
const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/)
  .filter((h) => !['content-type', 'content-length', 'host', '__proto__'].includes(h.toLowerCase()));
const headers = fc.dictionary(headerName, fc.string({ maxLength: 80 }).filter((v) => !/[\r\n\0]/.test(v)), { maxKeys: 4 });
/** Arguments keep their spaces: a program is given exactly what the settings file says. */
const argv = fc.tuple(
  fc.string({ minLength: 1, maxLength: 40 }).filter((p) => p.trim() !== '' && !p.includes('\0')),
  fc.array(fc.string({ maxLength: 40 }).filter((a) => !a.includes('\0')), { maxLength: 8 }),
).map(([program, args]) => [program, ...args]);

const validSpec = fc.oneof(
  fc.record({ kind: fc.constant('desktop' as const), ...common }),
  fc.record({ kind: fc.constant('discord' as const), ...common, url }),
  fc.record({ kind: fc.constant('webhook' as const), ...common, url, headers }),
  fc.record({ kind: fc.constant('command' as const), ...common, argv, timeoutSec: fc.double({ min: 1, max: 600, noNaN: true }) }),
);

/** Objects with channel fields of any value, and sometimes a field no channel has. */
const channelShaped = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })),
  fc.oneof(fc.anything(), fc.constantFrom(...KINDS), url, headers, argv, fc.string()),
  { maxKeys: 8 },
).map((fields) => ({ kind: fields.kind ?? 'webhook', name: 'n', ...fields }));

function expectExplainedOrValid(input: unknown): void {
  const result = validateChannelSpec(input);
  if (result.ok) {
    expect(checkerOf(alertChannelSchema).Check(result.value)).toBe(true);
  } else {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const e of result.errors) {
      expect(typeof e.field).toBe('string');
      expect(e.message).not.toBe('');
    }
  }
}

describe('channel validation properties', () => {
  it('returns a valid channel exactly as given, and accepts its own output unchanged', () => {
    fc.assert(fc.property(validSpec, (spec) => {
      const first = validateChannelSpec(spec);
      expect(first).toEqual({ ok: true, value: spec });
      expect(validateChannelSpec(first.ok ? first.value : null)).toEqual(first);
    }), { numRuns: 400 });
  });

  it('never throws on garbage: it is refused with a message per field, or is a channel the schema accepts', () => {
    fc.assert(fc.property(fc.anything(), expectExplainedOrValid), { numRuns: 400 });
    fc.assert(fc.property(channelShaped, expectExplainedOrValid), { numRuns: 1000 });
  });
});
