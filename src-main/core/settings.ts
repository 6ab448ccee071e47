import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { ValidationIssue } from '../api/types/results';
import type { Settings, SettingsPatch } from '../api/types/settings';
import { isKind, issuesOf, show, type TSchema } from '../../src-shared/schema';
import { settingsSections } from '../../src-shared/settings-schema';
import { validateAlertsSection, type AlertsSection } from './alerts/alerts-settings';
import { isLoopbackHost, parseBindAddress } from './bind-address';
import { SerialQueue } from './serial-queue';

/**
 * Settings come from defaults, then a file (YAML or JSON), then NETMON_*
 * environment variables, then command-line flags. Every layer is checked
 * field by field and the whole result is checked together; any issue rejects
 * the lot, so settings are never half-applied.
 */

/**
 * The settings file's `alerts` section (rules and channels) is not part of `Settings`: the alert
 * engine validates it (src-main/core/alerts/alerts-settings.ts) and it reaches the AlertService.
 */
const ALERTS_SECTION = 'alerts';
/** The `bus` section (NATS connection and credentials) is read by src-main/bus/bus-options.ts: kept out of `Settings`, which clients can read. */
const BUS_SECTION = 'bus';
/** A JSON settings file may name its schema (docs/settings.schema.json) for editors. */
const SCHEMA_KEY = '$schema';

const SECTIONS: Record<string, Record<string, TSchema>> = Object.fromEntries(
  Object.entries(settingsSections).map(([section, schema]) => [section, schema.properties as Record<string, TSchema>]),
);

export function defaultSettings(): Settings {
  return {
    capture: { interfaces: [], bpf: '', snaplen: 262_144, promiscuous: true, bufferMb: 32, replayDir: '' },
    flows: { tcpIdleSec: 120, udpIdleSec: 30, icmpIdleSec: 10, maxFlows: 200_000 },
    history: { dbPath: '', minuteDays: 30, hourDays: 365, flowLogDays: 7 },
    server: { bind: '127.0.0.1:8080', token: '', maxUploadMb: 1024 },
    log: { level: 'info' },
    geo: { countryDb: '', asnDb: '' },
  };
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly issues: ValidationIssue[], source: string) {
    super(`invalid settings (${source}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

/**
 * One setting's value, or what is wrong with it. `fromText` lets strings stand for whole numbers,
 * booleans and comma-separated lists (environment, flags).
 */
function checkLeaf(schema: TSchema, value: unknown, fromText: boolean): { value: unknown } | { issue: string } {
  const given = fromText && typeof value === 'string' ? fromTextValue(schema, value) : value;
  const issues = issuesOf(schema, given, 1);
  if (issues.length > 0) return { issue: issues[0].message };
  return { value: Array.isArray(given) ? [...(given as unknown[])] : given };
}

function fromTextValue(schema: TSchema, text: string): unknown {
  if (isKind(schema, 'Integer')) return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  if (isKind(schema, 'Boolean')) {
    const v = text.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return text;
  }
  if (isKind(schema, 'Array')) return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Applies one layer of raw values (parsed file, patch, environment or flags) onto a copy of `base`.
 * `fromText` lets strings stand for numbers, booleans and comma-separated lists (environment, flags).
 */
function applyLayer(base: Settings, layer: unknown, fromText: boolean, issues: ValidationIssue[], isFile = false): Settings {
  const next = structuredClone(base);
  if (layer === undefined || layer === null) return next;
  if (!isPlainObject(layer)) {
    issues.push({ path: '(root)', message: `expected a mapping of sections, got ${show(layer)}` });
    return next;
  }
  for (const section of Object.keys(layer)) {
    if (isFile && (section === ALERTS_SECTION || section === BUS_SECTION || section === SCHEMA_KEY)) continue;
    if (!Object.prototype.hasOwnProperty.call(SECTIONS, section)) {
      const known = [...Object.keys(SECTIONS), ...(isFile ? [ALERTS_SECTION, BUS_SECTION] : [])];
      issues.push({ path: section, message: `unknown section; known: ${known.join(', ')}` });
      continue;
    }
    const sectionKey = section as keyof Settings;
    const values = layer[section];
    if (!isPlainObject(values)) {
      issues.push({ path: section, message: `expected a mapping, got ${show(values)}` });
      continue;
    }
    const schema = SECTIONS[sectionKey];
    const target = next[sectionKey] as unknown as Record<string, unknown>;
    for (const key of Object.keys(values)) {
      if (!Object.prototype.hasOwnProperty.call(schema, key)) {
        issues.push({ path: `${section}.${key}`, message: `unknown setting; known: ${Object.keys(schema).join(', ')}` });
        continue;
      }
      const checked = checkLeaf(schema[key], values[key], fromText);
      if ('issue' in checked) issues.push({ path: `${section}.${key}`, message: checked.issue });
      else target[key] = checked.value;
    }
  }
  return next;
}

/** Rules that involve several fields. */
function checkWhole(settings: Settings, issues: ValidationIssue[]): void {
  const bind = parseBindAddress(settings.server.bind);
  if (!bind.ok) {
    issues.push({ path: 'server.bind', message: bind.error });
  } else if (!isLoopbackHost(bind.host) && settings.server.token === '') {
    issues.push({ path: 'server.token', message: `required when server.bind (${settings.server.bind}) is not a loopback address` });
  }
  if (settings.history.hourDays < settings.history.minuteDays) {
    issues.push({ path: 'history.hourDays', message: `must be at least history.minuteDays (${settings.history.minuteDays})` });
  }
}

/** Environment variable name of a setting: NETMON_<SECTION>_<KEY>, e.g. NETMON_HISTORY_MINUTE_DAYS. */
export function envName(section: string, key: string): string {
  return `NETMON_${section.toUpperCase()}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function envLayer(env: NodeJS.ProcessEnv): Record<string, Record<string, string>> {
  const layer: Record<string, Record<string, string>> = {};
  for (const [section, keys] of Object.entries(SECTIONS)) {
    for (const key of Object.keys(keys)) {
      const value = env[envName(section, key)];
      if (value !== undefined) (layer[section] ??= {})[key] = value;
    }
  }
  return layer;
}

export interface SettingsSources {
  /** Settings file; absent = defaults only. A missing file at an explicit path is an error. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, strings allowed as for the environment. */
  flags?: SettingsPatch | Record<string, Record<string, unknown>>;
}

/**
 * Settings that decide which files the process reads and writes and how it is reached: set in the
 * settings file, the environment or a flag, never through the API (`settings.set`).
 */
export const FILE_ONLY_SETTINGS: readonly string[] = ['capture.replayDir', 'history.dbPath', 'geo.countryDb', 'geo.asnDb', 'server.bind', 'server.token', 'server.maxUploadMb'];

/**
 * Why a settings file cannot be trusted, or null. The file names programs to run (command
 * channels) and paths to read, so only its owner (or root) may be able to change it: it must
 * belong to this user or root and not be writable by group or others, nor sit in a directory
 * others can write to (unless sticky, as /tmp is).
 */
export function untrustedSettingsReason(file: fs.Stats, dir: fs.Stats, euid: number): string | null {
  if (!file.isFile()) return 'it is not a regular file';
  if (file.uid !== euid && file.uid !== 0) return `it belongs to another user (uid ${file.uid}); only your own or root's settings are read`;
  if ((file.mode & 0o022) !== 0) {
    const who = (file.mode & 0o020) !== 0 && (file.mode & 0o002) !== 0 ? 'group and others' : (file.mode & 0o020) !== 0 ? 'its group' : 'others';
    return `it is writable by ${who} (mode ${(file.mode & 0o777).toString(8).padStart(4, '0')}); run chmod go-w on it`;
  }
  if (dir.uid !== euid && dir.uid !== 0) return `its directory belongs to another user (uid ${dir.uid})`;
  if ((dir.mode & 0o022) !== 0 && (dir.mode & 0o1000) === 0) {
    return `its directory is writable by others (mode ${(dir.mode & 0o777).toString(8).padStart(4, '0')}), who could replace it`;
  }
  return null;
}

/**
 * Reads a settings file after checking that nobody but its owner could have written it. Synchronous: the
 * settings are read once, at start, before anything is served (a save reads the file with `readFileToChange`).
 */
/* eslint-disable no-restricted-syntax -- at start only (see above) */
export function readSettingsFile(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new SettingsError([{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }], file);
  }
  try {
    const euid = process.geteuid?.();
    if (euid !== undefined) {
      const reason = untrustedSettingsReason(fs.fstatSync(fd), fs.statSync(path.dirname(fs.realpathSync(file))), euid);
      if (reason !== null) throw new SettingsError([{ path: '(file)', message: `refusing ${file}: ${reason}` }], file);
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
/* eslint-enable no-restricted-syntax */

export function parseSettingsText(text: string, file: string): unknown {
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both formats.
    return YAML.parse(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new SettingsError([{ path: '(file)', message: `cannot parse ${file}: ${(err as Error).message}` }], file);
  }
}

/** Loads the effective settings or throws a SettingsError listing every problem. */
export function loadSettings(sources: SettingsSources): Settings {
  return loadSettingsWithAlerts(sources).settings;
}

export interface LoadedSettings {
  settings: Settings;
  /** The file's validated `alerts` section; null when the file has none (the stored rules and channels stay). */
  alerts: AlertsSection | null;
  /** Settings (`section.key`) that the environment or a flag set for this run: a change through the API cannot touch them. */
  overridden: string[];
}

/** As `loadSettings`, with the file's `alerts` section checked too: a bad rule rejects the whole file. */
export function loadSettingsWithAlerts(sources: SettingsSources): LoadedSettings {
  const issues: ValidationIssue[] = [];
  let settings = defaultSettings();
  let alerts: AlertsSection | null = null;
  if (sources.file !== undefined) {
    const text = readSettingsFile(sources.file);
    const fileIssues: ValidationIssue[] = [];
    const parsed = parseSettingsText(text, sources.file);
    settings = applyLayer(settings, parsed, false, fileIssues, true);
    if (isPlainObject(parsed) && parsed[ALERTS_SECTION] !== undefined) {
      const section = validateAlertsSection(parsed[ALERTS_SECTION], ALERTS_SECTION);
      if (section.ok) alerts = section.value;
      else fileIssues.push(...section.errors.map((e) => ({ path: e.field, message: e.message })));
    }
    issues.push(...fileIssues.map((i) => ({ path: i.path, message: `${i.message} (in ${path.basename(sources.file ?? '')})` })));
  }
  const envIssues: ValidationIssue[] = [];
  const env = envLayer(sources.env ?? {});
  settings = applyLayer(settings, env, true, envIssues);
  issues.push(...envIssues.map((i) => ({ path: i.path, message: `${i.message} (from ${envNameOfPath(i.path)})` })));
  settings = applyLayer(settings, sources.flags, true, issues);
  checkWhole(settings, issues);
  if (issues.length > 0) throw new SettingsError(issues, sources.file ?? 'defaults');
  return { settings, alerts, overridden: [...new Set([...leafPaths(env), ...leafPaths(sources.flags)])] };
}

function leafPaths(layer: unknown): string[] {
  if (!isPlainObject(layer)) return [];
  return Object.entries(layer).flatMap(([section, values]) => (isPlainObject(values) ? Object.keys(values).map((key) => `${section}.${key}`) : []));
}

/**
 * The settings a change through the API (`settings.set`) may not make, as issues: file-only
 * settings, and those the environment or a flag set for this run (the file would not be what runs).
 */
export function refusedPatchFields(patch: unknown, overridden: readonly string[]): ValidationIssue[] {
  return leafPaths(patch).flatMap((p) => {
    if (FILE_ONLY_SETTINGS.includes(p)) return [{ path: p, message: 'can only be set in the settings file, the environment or a flag' }];
    if (overridden.includes(p)) return [{ path: p, message: `is set by ${envNameOfPath(p)} or a command-line flag for this run; change it there` }];
    return [];
  });
}

function envNameOfPath(p: string): string {
  const [section, key] = p.split('.');
  return key === undefined ? 'environment' : envName(section, key);
}

/** Validates a patch against the current settings: the complete new settings, or every issue. */
export function applyPatch(current: Settings, patch: unknown): { ok: true; settings: Settings } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const next = applyLayer(current, patch, false, issues);
  checkWhole(next, issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, settings: next };
}

/** One queue per settings file: a save reads the file as the save before it left it. */
const saveQueues = new Map<string, SerialQueue>();

/**
 * Writes a settings change into the file, atomically (a private temporary file, then rename):
 * what the file held stays as it was (comments and the `alerts` section too) and the patch's
 * fields are set. Environment and flag overrides never reach the file. Saves of one file run
 * one after the other, so overlapping saves keep both changes. Asynchronous: clients save
 * while the process serves others.
 */
export function saveSettingsPatch(file: string, patch: SettingsPatch): Promise<void> {
  const key = path.resolve(file);
  let queue = saveQueues.get(key);
  if (queue === undefined) saveQueues.set(key, (queue = new SerialQueue()));
  return queue.run(() => writeSettingsPatch(file, patch));
}

async function writeSettingsPatch(file: string, patch: SettingsPatch): Promise<void> {
  const json = /\.json$/i.test(file);
  const text = await readFileToChange(file);
  const doc: YAML.Document = text.trim() === '' ? new YAML.Document({}) : YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new SettingsError([{ path: '(file)', message: `cannot parse ${file}: ${doc.errors[0].message}` }], file);
  for (const [section, values] of Object.entries(patch)) {
    for (const [key, value] of Object.entries(values ?? {})) doc.setIn([section, key], value);
  }
  const values: unknown = doc.toJS({ maxAliasCount: 100 });
  const issues: ValidationIssue[] = [];
  // Field by field only: the effective settings (with overrides) were checked as a whole by applyPatch.
  applyLayer(defaultSettings(), values, false, issues, true);
  if (issues.length > 0) throw new SettingsError(issues, file);
  const out = json ? `${JSON.stringify(values, null, 2)}\n` : doc.toString();
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.rm(tmp, { force: true });
  await fsp.writeFile(tmp, out, { mode: 0o600, flag: 'wx' });
  await fsp.rename(tmp, file);
}

/** The settings file's text before a change, '' when there is none yet; refused as `readSettingsFile` refuses it. */
async function readFileToChange(file: string): Promise<string> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new SettingsError([{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }], file);
  }
  try {
    const euid = process.geteuid?.();
    if (euid !== undefined) {
      const reason = untrustedSettingsReason(await handle.stat(), await fsp.stat(path.dirname(await fsp.realpath(file))), euid);
      if (reason !== null) throw new SettingsError([{ path: '(file)', message: `refusing ${file}: ${reason}` }], file);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
