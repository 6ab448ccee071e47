/**
 * Generates docs/settings.schema.json, the JSON Schema of the settings file, from the schema the
 * settings are checked against (src-shared/settings-schema.ts): editors complete and check a
 * settings file that names it (`"$schema"` in JSON, a `yaml-language-server` comment in YAML).
 *
 *   node dist/scripts/make-settings-schema.js [--check]
 *
 * --check compares instead of writing (exit 1 on a difference); a test checks the committed file.
 */
import path from 'node:path';
import { MAX_CHANNELS, MAX_RULES } from '../src-main/core/alerts/alerts-settings';
import { alertChannelIdSchema, alertChannelInputSchema } from '../src-shared/alert-channel-schema';
import { alertRuleInputSchema } from '../src-shared/alert-rule-schema';
import { Type, type TObject, type TSchema } from '../src-shared/schema';
import { settingsSections } from '../src-shared/settings-schema';
import { writeOrCheck } from './write-or-check';

/** The published file: from dist/scripts (the built script) or scripts/ (the test, from source). */
export const SETTINGS_SCHEMA_FILE = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === 'dist' ? '../..' : '..', 'docs/settings.schema.json');

/** Every section and setting of a file may be left out: the defaults fill them. */
export function settingsFileSchema(): TSchema {
  const sections: Record<string, TSchema> = {
    $schema: Type.Optional(Type.String({ description: 'The JSON Schema of this file, for editors.' })),
  };
  for (const [name, section] of Object.entries(settingsSections) as [string, TObject][]) {
    sections[name] = Type.Optional(Type.Partial(section, { additionalProperties: false }));
  }
  sections.alerts = Type.Optional(Type.Unsafe(alertsSectionSchema()));
  sections.bus = Type.Optional(Type.Object({}, { description: 'The NATS connection of netmon probe and serve --nats: docs/nats.md.' }));
  return Type.Object(sections, {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Netmon settings',
    description: 'Settings file of Netmon (YAML or JSON). Environment variables NETMON_<SECTION>_<KEY> and command-line flags override it.',
    additionalProperties: false,
  });
}

/** A number netmon reads from text (validation.ts parseNumber), and one with an SI suffix where the schema says `siSuffix`. */
const NUMBER_TEXT = '^\\s*[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*$';
const SI_NUMBER_TEXT = '^\\s*[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*[kKMG]?\\s*$';

/**
 * The `alerts` section as the file may write it, from the rule and channel schemas the section is checked
 * against (alerts-settings.ts): an id of the channel id syntax instead of the API's tolerated any, and every number
 * also as text (`threshold: 50M`), as netmon reads it. JSON Schema cannot check a number written as text against
 * its range, nor what alert-rule.ts checks after the schema (an address parses, a rule's channels exist, ids are
 * unique): netmon refuses those with their field named.
 */
function alertsSectionSchema(): Record<string, unknown> {
  const withId = (schema: TSchema): unknown => readableNumbers(JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === 'id' ? alertChannelIdSchema : value))));
  return {
    description: 'Alert rules and channels: docs/alerts.md.',
    type: ['object', 'null'],
    properties: {
      channels: { type: 'array', maxItems: MAX_CHANNELS, items: withId(alertChannelInputSchema) },
      rules: { type: 'array', maxItems: MAX_RULES, items: withId(alertRuleInputSchema) },
    },
    additionalProperties: false,
  };
}

/** Every number of a plain JSON schema, also accepted as text. */
function readableNumbers(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(readableNumbers);
  if (node === null || typeof node !== 'object') return node;
  const copy = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, readableNumbers(v)])) as Record<string, unknown>;
  if (copy.type !== 'number' && copy.type !== 'integer') return copy;
  const { description, ...number } = copy;
  const text = { type: 'string', pattern: copy.siSuffix === true ? SI_NUMBER_TEXT : NUMBER_TEXT };
  return { ...(description === undefined ? {} : { description }), anyOf: [number, text] };
}

/** The file's text: plain JSON (TypeBox's markers are symbols, which JSON leaves out), two-space indent. */
export function settingsSchemaText(): string {
  return `${JSON.stringify(settingsFileSchema(), null, 2)}\n`;
}

function main(argv: string[]): number {
  return writeOrCheck(SETTINGS_SCHEMA_FILE, settingsSchemaText(), argv);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
