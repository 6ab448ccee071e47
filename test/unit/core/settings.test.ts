import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SettingsError,
  applyPatch,
  defaultSettings,
  envName,
  loadSettings,
  loadSettingsWithAlerts,
  refusedPatchFields,
  saveSettingsPatch,
} from '../../../src-main/core/settings';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-settings-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettingsError) return err.issues;
    throw err;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('reads YAML and JSON files over the defaults', () => {
    const yaml = write('a.yaml', 'history:\n  minuteDays: 14\ncapture:\n  interfaces: [eth0, wlan0]\n');
    const s = loadSettings({ file: yaml });
    expect(s.history.minuteDays).toBe(14);
    expect(s.capture.interfaces).toEqual(['eth0', 'wlan0']);
    expect(s.flows).toEqual(defaultSettings().flows);
    const json = write('a.json', JSON.stringify({ log: { level: 'debug' } }));
    expect(loadSettings({ file: json }).log.level).toBe('debug');
  });

  it('applies file, then environment, then flags', () => {
    const file = write('s.yaml', 'server:\n  bind: 127.0.0.1:9000\nflows:\n  udpIdleSec: 40\n');
    const env = { [envName('server', 'bind')]: '127.0.0.1:9001', NETMON_FLOWS_UDP_IDLE_SEC: '50' };
    const s = loadSettings({ file, env, flags: { server: { bind: '127.0.0.1:9002' } } });
    expect(s.server.bind).toBe('127.0.0.1:9002');
    expect(s.flows.udpIdleSec).toBe(50);
    expect(envName('history', 'minuteDays')).toBe('NETMON_HISTORY_MINUTE_DAYS');
  });

  it('lists every problem with its path and never returns partial settings', () => {
    const file = write('bad.yaml', 'flows:\n  tcpIdleSec: -5\n  bogus: 1\ncapture:\n  promiscuous: "maybe"\nnope: {}\n');
    const issues = issuesOf(() => loadSettings({ file, env: { NETMON_LOG_LEVEL: 'loud' } }));
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(['capture.promiscuous', 'flows.bogus', 'flows.tcpIdleSec', 'log.level', 'nope']);
    expect(issues.find((i) => i.path === 'flows.tcpIdleSec')?.message).toMatch(/between 1 and 86400, got -5/);
    expect(issues.find((i) => i.path === 'log.level')?.message).toMatch(/NETMON_LOG_LEVEL/);
  });

  it('reports a syntax error and a missing file clearly', () => {
    const file = write('broken.yaml', 'history: [unclosed\n');
    expect(issuesOf(() => loadSettings({ file }))[0].message).toMatch(/cannot parse .*broken\.yaml/);
    expect(issuesOf(() => loadSettings({ file: path.join(dir, 'none.yaml') }))[0].message).toMatch(/cannot read/);
  });

  it('refuses a non-loopback bind without a token', () => {
    const issues = issuesOf(() => loadSettings({ flags: { server: { bind: '0.0.0.0:8080' } } }));
    expect(issues).toEqual([{ path: 'server.token', message: expect.stringMatching(/required/) }]);
    const s = loadSettings({ flags: { server: { bind: '0.0.0.0:8080', token: 'abcdefghijklmnop1234' } } });
    expect(s.server.bind).toBe('0.0.0.0:8080');
    expect(issuesOf(() => loadSettings({ flags: { server: { bind: 'example.com:80' } } }))[0].path).toBe('server.bind');
  });

  it('rejects a patch as a whole', () => {
    const current = defaultSettings();
    const bad = applyPatch(current, { history: { minuteDays: 10, flowLogDays: 0 } });
    expect(bad).toEqual({ ok: false, issues: [{ path: 'history.flowLogDays', message: expect.any(String) }] });
    expect(current.history.minuteDays).toBe(30);
    const good = applyPatch(current, { history: { minuteDays: 10 } });
    expect(good.ok && good.settings.history.minuteDays).toBe(10);
  });

  it('writes a change into the file and nothing else: its other values and comments stay, overrides stay out', async () => {
    for (const name of ['out.yaml', 'out.json']) {
      const file = path.join(dir, 'sub', name);
      await saveSettingsPatch(file, { log: { level: 'warn' } });
      expect(loadSettings({ file }).log.level).toBe('warn');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
    const file = write('netmon.yaml', '# my settings\nflows:\n  tcpIdleSec: 300 # five minutes\n');
    const loaded = loadSettingsWithAlerts({ file, env: { NETMON_SERVER_TOKEN: 'env-token-0123456789' }, flags: { history: { dbPath: '/tmp/x.sqlite' } } });
    expect(loaded.overridden.sort()).toEqual(['history.dbPath', 'server.token']);
    await saveSettingsPatch(file, { flows: { udpIdleSec: 60 } });
    expect(fs.readFileSync(file, 'utf8')).toBe('# my settings\nflows:\n  tcpIdleSec: 300 # five minutes\n  udpIdleSec: 60\n');
  });

  it('keeps every change of saves that overlap, in the order they were made', async () => {
    const file = write('busy.yaml', '# mine\nlog:\n  level: warn\n');
    const saves = [
      saveSettingsPatch(file, { flows: { udpIdleSec: 61 } }),
      saveSettingsPatch(path.join(dir, '.', 'busy.yaml'), { flows: { tcpIdleSec: 301 } }),
      saveSettingsPatch(file, { log: { level: 'debug' } }),
      saveSettingsPatch(file, { log: { level: 'error' } }),
    ];
    // A refused save in the middle changes nothing and does not hold up the ones after it.
    const refused = saveSettingsPatch(file, { flows: { udpIdleSec: -1 } });
    const last = saveSettingsPatch(file, { history: { minuteDays: 3 } });
    await Promise.all(saves);
    await expect(refused).rejects.toThrow(SettingsError);
    await last;
    const settings = loadSettings({ file });
    expect([settings.flows.udpIdleSec, settings.flows.tcpIdleSec, settings.log.level, settings.history.minuteDays]).toEqual([61, 301, 'error', 3]);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# mine\n/);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses through the API the settings that name paths or the listener, and those overridden for this run', () => {
    expect(refusedPatchFields({ log: { level: 'debug' } }, [])).toEqual([]);
    expect(refusedPatchFields({ history: { dbPath: '/tmp/x', minuteDays: 3 }, server: { token: 'abcdefghijklmnop1234' } }, []).map((i) => i.path))
      .toEqual(['history.dbPath', 'server.token']);
    expect(refusedPatchFields({ capture: { replayDir: '/' } }, [])[0].message).toMatch(/only be set in the settings file/);
    expect(refusedPatchFields({ log: { level: 'debug' } }, ['log.level'])[0].message).toMatch(/NETMON_LOG_LEVEL/);
  });

  it('refuses a settings file that another user could have written, and says why', async () => {
    const file = write('shared.yaml', 'log:\n  level: warn\n');
    fs.chmodSync(file, 0o666);
    expect(issuesOf(() => loadSettings({ file }))[0].message).toMatch(/refusing .*shared\.yaml: it is writable by group and others \(mode 0666\)/);
    fs.chmodSync(file, 0o620);
    expect(issuesOf(() => loadSettings({ file }))[0].message).toMatch(/writable by its group/);
    await expect(saveSettingsPatch(file, { log: { level: 'info' } })).rejects.toThrow(/writable by its group/);
    fs.chmodSync(file, 0o644);
    expect(loadSettings({ file }).log.level).toBe('warn');
    fs.chmodSync(dir, 0o777);
    expect(issuesOf(() => loadSettings({ file }))[0].message).toMatch(/its directory is writable by others \(mode 0777\)/);
    fs.chmodSync(dir, 0o1777);
    expect(loadSettings({ file }).log.level).toBe('warn');
    fs.chmodSync(dir, 0o700);
  });
});
