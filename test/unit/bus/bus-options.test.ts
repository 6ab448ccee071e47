import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusSettingsError, connectionOptions, describeBus, loadBusSettings } from '../../../src-main/bus/bus-options';
import { loadSettings } from '../../../src-main/core/settings';

describe('bus settings and credentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bus-settings-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function file(text: string): string {
    const f = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(f, text, { mode: 0o600 });
    return f;
  }

  it('reads the bus section of the settings file, under the environment and --nats', () => {
    const f = file('capture:\n  snaplen: 128\nbus:\n  url: nats://file:4222\n  user: probe\n  password: "s3cret-file"\n');
    // The main settings loader leaves the bus section to the bus: clients never read credentials through settings.get.
    expect(loadSettings({ file: f })).not.toHaveProperty('bus');
    const s = loadBusSettings({ file: f, env: { NETMON_BUS_PASSWORD: 's3cret-env' }, url: 'nats://flag:4333' });
    expect(s).toMatchObject({ url: 'nats://flag:4333', user: 'probe', password: 's3cret-env' });
    expect(connectionOptions(s, 'n')).toMatchObject({ servers: 'nats://flag:4333', user: 'probe', pass: 's3cret-env', maxReconnectAttempts: -1 });
  });

  it('describes the connection for logs without any secret', () => {
    for (const section of ['user: u\n  password: pw-secret-1', 'token: tok-secret-2']) {
      const s = loadBusSettings({ file: file(`bus:\n  url: nats://h:1\n  ${section}\n`), env: {} });
      const text = JSON.stringify(describeBus(s));
      expect(text).not.toMatch(/secret/);
      expect(text).toMatch(/nats:\/\/h:1/);
    }
  });

  it('refuses credentials in the address, two ways to authenticate, relative paths and unknown keys', () => {
    expect(() => loadBusSettings({ env: {}, url: 'nats://u:pw@h:4222' })).toThrow(/not in the address/);
    expect(() => loadBusSettings({ env: { NETMON_BUS_TOKEN: 't', NETMON_BUS_USER: 'u' }, url: 'nats://h:1' })).toThrow(/one way/);
    expect(() => loadBusSettings({ env: { NETMON_BUS_CREDS_FILE: 'rel.creds' }, url: 'nats://h:1' })).toThrow(/absolute path/);
    expect(() => loadBusSettings({ file: file('bus:\n  passwd: x\n'), env: {}, url: 'nats://h:1' })).toThrow(/unknown setting bus.passwd/);
    expect(() => loadBusSettings({ env: {}, url: 'http://h:1' })).toThrow(BusSettingsError);
    expect(() => loadBusSettings({ env: {} })).toThrow(/no NATS server/);
    expect(() => loadBusSettings({ env: { NETMON_BUS_BUFFER_BYTES: '10' }, url: 'nats://h:1' })).toThrow(/bufferBytes/);
  });

  it('reads an nkey seed and a creds file, and names a missing one without its content', () => {
    const seed = path.join(dir, 'user.nk');
    // A user nkey seed (from the nkeys documentation's format: SU + base32).
    fs.writeFileSync(seed, 'SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY\n', { mode: 0o600 });
    const s = loadBusSettings({ env: { NETMON_BUS_NKEY_SEED_FILE: seed }, url: 'nats://h:1' });
    expect(typeof connectionOptions(s, 'n').authenticator).toBe('function');
    const missing = loadBusSettings({ env: { NETMON_BUS_CREDS_FILE: path.join(dir, 'none.creds') }, url: 'nats://h:1' });
    expect(() => connectionOptions(missing, 'n')).toThrow(/cannot read the creds file .*ENOENT/);
    const tls = loadBusSettings({ env: { NETMON_BUS_TLS_CA_FILE: '/etc/ssl/ca.pem' }, url: 'tls://h:1' });
    expect(connectionOptions(tls, 'n').tls).toEqual({ caFile: '/etc/ssl/ca.pem' });
  });
});
