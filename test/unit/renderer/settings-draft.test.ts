import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../src-main/core/settings';
import { draftOfSettings, readOnlyReason, settingsIssuesByKey, settingsPatch } from '../../../src-renderer/views/settings/settings-draft';

describe('the settings screen draft', () => {
  it('sends only what changed, whole numbers as numbers and anything else as typed', () => {
    const settings = defaultSettings();
    const draft = draftOfSettings(settings);
    expect(settingsPatch(settings, draft)).toEqual({});
    const changed = { ...draft, 'capture.snaplen': ' 1500 ', 'flows.udpIdleSec': 'soon', 'capture.bpf': ' port 53 ', 'capture.promiscuous': false, 'capture.interfaces': ['eth0'] };
    expect(settingsPatch(settings, changed)).toEqual({
      capture: { interfaces: ['eth0'], bpf: ' port 53 ', snaplen: 1500, promiscuous: false },
      flows: { udpIdleSec: 'soon' },
    });
    // Typed back to what it was: no change.
    expect(settingsPatch(settings, { ...draft, 'capture.snaplen': '262144' })).toEqual({});
  });

  it('puts each server issue under its setting, and the others under the form with their path', () => {
    expect(Object.fromEntries(settingsIssuesByKey([
      { path: 'capture.snaplen', message: 'expected a whole number, got "lots"' },
      { path: 'server.bind', message: 'can only be set in the settings file, the environment or a flag' },
      { path: '(file)', message: 'cannot parse netmon.yaml' },
    ]))).toEqual({
      'capture.snaplen': ['expected a whole number, got "lots"'],
      form: ['server.bind: can only be set in the settings file, the environment or a flag', '(file): cannot parse netmon.yaml'],
    });
  });

  it('says why a setting is not changed here', () => {
    const info = { fileOnly: ['history.dbPath', 'server.bind'], overridden: ['flows.udpIdleSec', 'server.bind'] };
    expect(readOnlyReason('flows.udpIdleSec', info)).toBe('set by NETMON_FLOWS_UDP_IDLE_SEC or a command-line flag for this run; change it there');
    expect(readOnlyReason('history.dbPath', info)).toMatch(/^names a file or directory on this machine/);
    expect(readOnlyReason('server.bind', info)).toMatch(/^set by NETMON_SERVER_BIND/);
    expect(readOnlyReason('capture.snaplen', info)).toBeNull();
  });
});
