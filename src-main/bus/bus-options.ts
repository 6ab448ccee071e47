import fs from 'node:fs';
import type { ConnectionOptions } from '@nats-io/nats-core';
import { credsAuthenticator, nkeyAuthenticator } from '@nats-io/nats-core';
import { parseSettingsText, readSettingsFile } from '../core/settings';

/**
 * How a probe or `serve --nats` reaches NATS: the server address and the
 * credentials, from the settings file's `bus` section, NETMON_BUS_*
 * variables and `--nats URL`, in that order of precedence. Credentials stay
 * here: they are not part of the `Settings` clients can read, and
 * `describeBus` is what goes into logs.
 */
export interface BusSettings {
  url: string;
  user: string;
  password: string;
  token: string;
  /** A file holding an nkey seed (SU...), or a .creds file (JWT and seed). */
  nkeySeedFile: string;
  credsFile: string;
  tlsCaFile: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Bytes a probe keeps while the server is unreachable; the oldest messages beyond it are dropped and counted. */
  bufferBytes: number;
}

const KEYS: readonly (keyof BusSettings)[] = ['url', 'user', 'password', 'token', 'nkeySeedFile', 'credsFile', 'tlsCaFile', 'tlsCertFile', 'tlsKeyFile', 'bufferBytes'];
const FILE_KEYS = new Set<keyof BusSettings>(['nkeySeedFile', 'credsFile', 'tlsCaFile', 'tlsCertFile', 'tlsKeyFile']);

export class BusSettingsError extends Error {
  override readonly name = 'BusSettingsError';
}

export function defaultBusSettings(): BusSettings {
  return { url: '', user: '', password: '', token: '', nkeySeedFile: '', credsFile: '', tlsCaFile: '', tlsCertFile: '', tlsKeyFile: '', bufferBytes: 16 * 1024 * 1024 };
}

function envName(key: string): string {
  return `NETMON_BUS_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function applyValue(settings: BusSettings, key: string, value: unknown, where: string): void {
  if (!(KEYS as readonly string[]).includes(key)) throw new BusSettingsError(`${where}: unknown setting bus.${key}; known: ${KEYS.join(', ')}`);
  const k = key as keyof BusSettings;
  if (k === 'bufferBytes') {
    const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 64 * 1024 || n > 1024 ** 3) {
      throw new BusSettingsError(`${where}: bus.bufferBytes must be a whole number from 65536 to 1073741824`);
    }
    settings.bufferBytes = n;
    return;
  }
  if (typeof value !== 'string' || value.length > 4096) throw new BusSettingsError(`${where}: bus.${key} must be a string (at most 4096 characters)`);
  if (FILE_KEYS.has(k) && value !== '' && !value.startsWith('/')) throw new BusSettingsError(`${where}: bus.${key} must be an absolute path`);
  settings[k] = value;
}

/** The bus settings from the settings file's `bus` section, the environment and `--nats URL`. */
export function loadBusSettings(sources: { file?: string | null; env?: NodeJS.ProcessEnv; url?: string | null }): BusSettings {
  const settings = defaultBusSettings();
  if (sources.file) {
    const parsed = parseSettingsText(readSettingsFile(sources.file), sources.file) as Record<string, unknown> | null;
    const section = parsed?.bus;
    if (section !== undefined && section !== null) {
      if (typeof section !== 'object' || Array.isArray(section)) throw new BusSettingsError(`${sources.file}: bus must be a mapping`);
      for (const [key, value] of Object.entries(section)) applyValue(settings, key, value, sources.file);
    }
  }
  for (const key of KEYS) {
    const value = sources.env?.[envName(key)];
    if (value !== undefined) applyValue(settings, key, value, envName(key));
  }
  if (sources.url) applyValue(settings, 'url', sources.url, '--nats');
  checkUrl(settings.url);
  if (settings.password !== '' && settings.user === '') throw new BusSettingsError('bus.password needs bus.user');
  const methods = [settings.user !== '', settings.token !== '', settings.nkeySeedFile !== '', settings.credsFile !== ''].filter(Boolean).length;
  if (methods > 1) throw new BusSettingsError('choose one way to authenticate to NATS: user/password, token, nkey seed file or creds file');
  return settings;
}

function checkUrl(url: string): void {
  if (url === '') throw new BusSettingsError('no NATS server: give --nats URL (or bus.url in the settings file, or NETMON_BUS_URL)');
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  } catch {
    throw new BusSettingsError(`not a NATS address: ${JSON.stringify(redactUrl(url))}`);
  }
  if (!['nats:', 'tls:'].includes(parsed.protocol)) throw new BusSettingsError(`a NATS address starts with nats:// or tls://, not ${parsed.protocol}//`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new BusSettingsError('put NATS credentials in the settings file or NETMON_BUS_* variables, not in the address (addresses get logged)');
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** What may be logged about the connection: the server and the kind of credentials, never their values. */
export function describeBus(settings: BusSettings): { server: string; auth: string; tls: boolean } {
  const auth = settings.user !== '' ? 'user/password' : settings.token !== '' ? 'token' : settings.nkeySeedFile !== '' ? 'nkey' : settings.credsFile !== '' ? 'creds file' : 'none';
  return { server: redactUrl(settings.url), auth, tls: settings.tlsCaFile !== '' || settings.tlsCertFile !== '' || settings.url.startsWith('tls://') };
}

function readSecret(file: string, what: string): Uint8Array {
  try {
    // eslint-disable-next-line no-restricted-syntax -- read once, as the bus connects at start (reconnections reuse the options)
    return new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    throw new BusSettingsError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The client's connection options; reconnection never gives up (the probe buffers meanwhile). */
export function connectionOptions(settings: BusSettings, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: settings.url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    pingInterval: 5000,
    maxPingOut: 2,
  };
  if (settings.user !== '') {
    options.user = settings.user;
    options.pass = settings.password;
  } else if (settings.token !== '') {
    options.token = settings.token;
  } else if (settings.nkeySeedFile !== '') {
    const seed = new TextDecoder().decode(readSecret(settings.nkeySeedFile, 'nkey seed file')).trim();
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  } else if (settings.credsFile !== '') {
    options.authenticator = credsAuthenticator(readSecret(settings.credsFile, 'creds file'));
  }
  if (settings.tlsCaFile !== '' || settings.tlsCertFile !== '' || settings.tlsKeyFile !== '' || settings.url.startsWith('tls://')) {
    options.tls = {
      ...(settings.tlsCaFile !== '' ? { caFile: settings.tlsCaFile } : {}),
      ...(settings.tlsCertFile !== '' ? { certFile: settings.tlsCertFile } : {}),
      ...(settings.tlsKeyFile !== '' ? { keyFile: settings.tlsKeyFile } : {}),
    };
  }
  return options;
}
