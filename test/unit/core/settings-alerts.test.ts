import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPatch, loadSettingsWithAlerts, saveSettingsPatch, SettingsError } from '../../../src-main/core/settings';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-settings-alerts-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const ALERTS_YAML = `log: { level: warn }
alerts:
  channels:
    - { id: ops, kind: webhook, name: Ops, url: "http://127.0.0.1:9/hook" }
  rules:
    - { name: Big download, metric: bps, direction: in, threshold: 50M, channels: [ops] }
`;

describe('the settings file alerts section', () => {
  it('is validated and handed over with ids derived from names', () => {
    const file = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(file, ALERTS_YAML);
    const loaded = loadSettingsWithAlerts({ file });
    expect(loaded.settings.log.level).toBe('warn');
    expect(loaded.alerts?.channels.map((c) => c.id)).toEqual(['ops']);
    expect(loaded.alerts?.rules.map((r) => [r.id, r.threshold, r.channels])).toEqual([['big-download', 50_000_000, ['ops']]]);
  });

  it('is null when the file has none, so stored rules stay', () => {
    const file = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(file, 'log: { level: warn }\n');
    expect(loadSettingsWithAlerts({ file }).alerts).toBeNull();
  });

  it('rejects the whole file with every bad field by path', () => {
    const file = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(file, `log: { level: loud }
alerts:
  rules:
    - { name: A, metric: bps, threshold: -5, channels: [missing] }
`);
    let error: unknown;
    try {
      loadSettingsWithAlerts({ file });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const paths = (error as SettingsError).issues.map((i) => i.path);
    expect(paths).toEqual(['log.level', 'alerts.rules.0.threshold', 'alerts.rules.0.channels.0']);
  });

  it('is refused outside the file: a settings patch cannot carry it', () => {
    const file = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(file, ALERTS_YAML);
    const result = applyPatch(loadSettingsWithAlerts({ file }).settings, { alerts: { rules: [] } });
    expect(result.ok).toBe(false);
  });

  it('survives the settings screen rewriting the file', async () => {
    const file = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(file, ALERTS_YAML);
    await saveSettingsPatch(file, { log: { level: 'debug' } });
    const written = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written.log).toEqual({ level: 'debug' });
    expect(written.alerts).toEqual(YAML.parse(ALERTS_YAML).alerts);
    expect(loadSettingsWithAlerts({ file }).alerts?.rules).toHaveLength(1);
  });
});
