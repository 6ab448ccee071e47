import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SETTINGS_SCHEMA_FILE, settingsSchemaText } from '../../../scripts/make-settings-schema';
import { validateAlertsSection } from '../../../src-main/core/alerts/alerts-settings';
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

describe('the alerts section in the published schema', () => {
  const ops = { id: 'ops', kind: 'discord', name: 'Ops', url: 'https://discord.com/api/webhooks/1/x' };
  const rule = { id: 'big-download', name: 'Big download', metric: 'bps', direction: 'in', threshold: '50M', channels: ['ops'] };
  // Files an editor using the schema and netmon must judge alike (what JSON Schema can say: shapes, kinds,
  // ranges of numbers written as numbers, id syntax, unknown fields).
  const samples: Array<[string, unknown, boolean]> = [
    ['no section', null, true],
    ['empty lists', { channels: [], rules: [] }, true],
    ['a rule with a threshold written 50M', { channels: [ops], rules: [rule] }, true],
    ['numbers as text and as numbers', { rules: [{ name: 'r', metric: 'pps', threshold: 1000, windowSec: '30', cooldownSec: 60 }] }, true],
    ['every channel kind', { channels: [ops, { kind: 'desktop', name: 'Desk' }, { kind: 'webhook', name: 'Hook', url: 'https://example.com/h', headers: { 'X-A': 'b' } }, { kind: 'command', name: 'Run', argv: ['/bin/true'], timeoutSec: 5 }] }, true],
    ['a scope', { rules: [{ name: 'r', metric: 'bps', threshold: 1, scope: { kind: 'cidr', cidr: '10.0.0.0/8' } }] }, true],
    ['an unknown section key', { triggers: [] }, false],
    ['a rule without a threshold', { rules: [{ name: 'r', metric: 'bps' }] }, false],
    ['a threshold that is not a number', { rules: [{ name: 'r', metric: 'bps', threshold: 'lots' }] }, false],
    ['a negative threshold', { rules: [{ name: 'r', metric: 'bps', threshold: -5 }] }, false],
    ['an unknown metric', { rules: [{ name: 'r', metric: 'temperature', threshold: 1 }] }, false],
    ['an unknown rule field', { rules: [{ name: 'r', metric: 'bps', threshold: 1, colour: 'red' }] }, false],
    ['a bad id', { rules: [{ id: 'Big Download', name: 'r', metric: 'bps', threshold: 1 }] }, false],
    ['an unknown channel kind', { channels: [{ kind: 'pigeon', name: 'P' }] }, false],
    ['a discord channel without url', { channels: [{ kind: 'discord', name: 'D' }] }, false],
    ['a window of 0 s', { rules: [{ name: 'r', metric: 'bps', threshold: 1, windowSec: 0 }] }, false],
    ['rules not a list', { rules: { name: 'r' } }, false],
  ];

  it.each(samples)('%s: the same verdict from netmon and from a JSON Schema validator', (_, alerts, valid) => {
    expect(validateAlertsSection(alerts, 'alerts').ok).toBe(valid);
    expect(refused({ alerts }), JSON.stringify(alerts)).toEqual(valid ? [] : expect.arrayContaining([expect.stringMatching(/^\/alerts/)]));
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
