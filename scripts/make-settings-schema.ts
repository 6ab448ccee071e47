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
  sections.alerts = Type.Optional(Type.Object({}, { description: 'Alert rules and channels: docs/alerts.md.' }));
  sections.bus = Type.Optional(Type.Object({}, { description: 'The NATS connection of netmon probe and serve --nats: docs/nats.md.' }));
  return Type.Object(sections, {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Netmon settings',
    description: 'Settings file of Netmon (YAML or JSON). Environment variables NETMON_<SECTION>_<KEY> and command-line flags override it.',
    additionalProperties: false,
  });
}

/** The file's text: plain JSON (TypeBox's markers are symbols, which JSON leaves out), two-space indent. */
export function settingsSchemaText(): string {
  return `${JSON.stringify(settingsFileSchema(), null, 2)}\n`;
}

function main(argv: string[]): number {
  return writeOrCheck(SETTINGS_SCHEMA_FILE, settingsSchemaText(), argv);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
