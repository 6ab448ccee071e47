import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SETTINGS_SCHEMA_FILE, settingsSchemaText } from '../../../scripts/make-settings-schema';
import { applyPatch, defaultSettings, loadSettings } from '../../../src-main/core/settings';

const published = JSON.parse(readFileSync(SETTINGS_SCHEMA_FILE, 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(published);

function refused(file: unknown): string[] {
  return validate(file) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('the published JSON Schema of the settings file', () => {
  it('is what scripts/make-settings-schema.ts makes from the schema the settings are checked against', () => {
    expect(readFileSync(SETTINGS_SCHEMA_FILE, 'utf8')).toBe(settingsSchemaText());
  });

  it('accepts the defaults, a partial file and one that names its schema, with alerts and bus sections', () => {
    expect(refused(defaultSettings())).toEqual([]);
    expect(refused({})).toEqual([]);
    expect(refused({ $schema: './settings.schema.json', flows: { tcpIdleSec: 300 }, alerts: { rules: [] }, bus: { servers: ['nats://127.0.0.1:4222'] } })).toEqual([]);
  });

  it('refuses what the settings module refuses, at the same field', () => {
    const bad: [string, unknown][] = [
      ['/flows/tcpIdleSec', { flows: { tcpIdleSec: -5 } }],
      ['/capture/snaplen', { capture: { snaplen: 10.5 } }],
      ['/capture/promiscuous', { capture: { promiscuous: 'maybe' } }],
      ['/capture/interfaces/0', { capture: { interfaces: ['eth 0'] } }],
      ['/log/level', { log: { level: 'loud' } }],
      ['/server/token', { server: { token: 'short' } }],
      ['/geo/asnDb', { geo: { asnDb: 'relative/asn.csv' } }],
      ['/flows', { flows: { bogus: 1 } }],
      ['', { nope: {} }],
    ];
    for (const [at, file] of bad) {
      expect(refused(file).some((e) => e.startsWith(`${at} `)), `${JSON.stringify(file)} at ${at}`).toBe(true);
      const checked = applyPatch(defaultSettings(), file);
      expect(checked.ok, JSON.stringify(file)).toBe(false);
    }
  });
});

describe('settings checked against their schema', () => {
  it('reads a JSON file that names its schema', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netmon-settings-schema-'));
    try {
      const file = path.join(dir, 'settings.json');
      writeFileSync(file, JSON.stringify({ $schema: SETTINGS_SCHEMA_FILE, log: { level: 'debug' } }));
      expect(loadSettings({ file }).log.level).toBe('debug');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with each field, naming a bad list entry and never repeating a token', () => {
    const result = applyPatch(defaultSettings(), {
      capture: { interfaces: ['eth0', 'eth 1'], snaplen: 'big', bufferMb: 4096 },
      server: { token: 'not-long-secret' },
      log: { level: 'loud' },
    });
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'capture.interfaces', message: '"eth 1" is not valid; expected interface names without spaces or slashes' },
        { path: 'capture.snaplen', message: 'expected a whole number, got "big"' },
        { path: 'capture.bufferMb', message: 'must be between 1 and 2048, got 4096' },
        { path: 'server.token', message: 'invalid value; expected 16-256 characters of A-Z a-z 0-9 - _ . ~' },
        { path: 'log.level', message: 'expected one of trace, debug, info, warn, error, fatal, got "loud"' },
      ],
    });
  });
});
