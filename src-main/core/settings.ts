import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { LogLevel, Settings, SettingsPatch, ValidationIssue } from '../api/types';
import { assertNever } from './assert-never';
import { validateAlertsSection, type AlertsSection } from './alerts/alerts-settings';
import { isLoopbackHost, parseBindAddress } from './bind-address';

/**
 * Settings come from defaults, then a file (YAML or JSON), then NETMON_*
 * environment variables, then command-line flags. Every layer is checked
 * field by field and the whole result is checked together; any issue rejects
 * the lot, so settings are never half-applied.
 */

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * The settings file's `alerts` section (rules and channels) is not a leaf
 * schema: the alert engine validates it (src-main/core/alerts/alerts-settings.ts)
 * and it reaches the AlertService, not `Settings`.
 */
const ALERTS_SECTION = 'alerts';

type Leaf =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'string'; max: number; pattern?: RegExp; hint?: string }
  | { kind: 'list'; max: number; pattern: RegExp; hint: string }
  | { kind: 'enum'; values: readonly string[] };

type Schema = { [S in keyof Settings]: { [K in keyof Settings[S]]: Leaf } };

const TOKEN_PATTERN = /^$|^[A-Za-z0-9\-_.~]{16,256}$/;

const SCHEMA: Schema = {
  capture: {
    interfaces: { kind: 'list', max: 64, pattern: /^[^\s/]{1,64}$/, hint: 'interface names without spaces or slashes' },
    bpf: { kind: 'string', max: 4096 },
    snaplen: { kind: 'int', min: 64, max: 262_144 },
    promiscuous: { kind: 'bool' },
    bufferMb: { kind: 'int', min: 1, max: 2048 },
  },
  flows: {
    tcpIdleSec: { kind: 'int', min: 1, max: 86_400 },
    udpIdleSec: { kind: 'int', min: 1, max: 86_400 },
    icmpIdleSec: { kind: 'int', min: 1, max: 86_400 },
    maxFlows: { kind: 'int', min: 1000, max: 10_000_000 },
  },
  history: {
    dbPath: { kind: 'string', max: 4096 },
    minuteDays: { kind: 'int', min: 1, max: 3650 },
    hourDays: { kind: 'int', min: 1, max: 36_500 },
    flowLogDays: { kind: 'int', min: 1, max: 36_500 },
  },
  server: {
    bind: { kind: 'string', max: 300 },
    token: { kind: 'string', max: 256, pattern: TOKEN_PATTERN, hint: '16-256 characters of A-Z a-z 0-9 - _ . ~' },
  },
  log: {
    level: { kind: 'enum', values: LOG_LEVELS },
  },
};

export function defaultSettings(): Settings {
  return {
    capture: { interfaces: [], bpf: '', snaplen: 262_144, promiscuous: true, bufferMb: 32 },
    flows: { tcpIdleSec: 120, udpIdleSec: 30, icmpIdleSec: 10, maxFlows: 200_000 },
    history: { dbPath: '', minuteDays: 30, hourDays: 365, flowLogDays: 7 },
    server: { bind: '127.0.0.1:8080', token: '' },
    log: { level: 'info' },
  };
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly issues: ValidationIssue[], source: string) {
    super(`invalid settings (${source}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

type RawValue = unknown;

function checkLeaf(leaf: Leaf, value: RawValue, fromText: boolean): { value: unknown } | { issue: string } {
  switch (leaf.kind) {
    case 'int': {
      const n = fromText && typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return { issue: `expected a whole number, got ${show(value)}` };
      if (n < leaf.min || n > leaf.max) return { issue: `must be between ${leaf.min} and ${leaf.max}, got ${n}` };
      return { value: n };
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (fromText && typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
        if (['0', 'false', 'no', 'off'].includes(v)) return { value: false };
      }
      return { issue: `expected true or false, got ${show(value)}` };
    }
    case 'string': {
      if (typeof value !== 'string') return { issue: `expected a string, got ${show(value)}` };
      if (value.length > leaf.max) return { issue: `at most ${leaf.max} characters, got ${value.length}` };
      if (leaf.pattern && !leaf.pattern.test(value)) return { issue: `invalid value; expected ${leaf.hint ?? leaf.pattern.source}` };
      return { value };
    }
    case 'list': {
      const list = fromText && typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : value;
      if (!Array.isArray(list)) return { issue: `expected a list, got ${show(value)}` };
      if (list.length > leaf.max) return { issue: `at most ${leaf.max} entries, got ${list.length}` };
      for (const item of list) {
        if (typeof item !== 'string' || !leaf.pattern.test(item)) return { issue: `${show(item)} is not valid; expected ${leaf.hint}` };
      }
      return { value: [...(list as string[])] };
    }
    case 'enum': {
      if (typeof value !== 'string' || !leaf.values.includes(value)) {
        return { issue: `expected one of ${leaf.values.join(', ')}, got ${show(value)}` };
      }
      return { value };
    }
    default:
      return assertNever(leaf);
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 64 ? `${text.slice(0, 61)}...` : text;
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
    if (isFile && section === ALERTS_SECTION) continue;
    if (!Object.prototype.hasOwnProperty.call(SCHEMA, section)) {
      const known = [...Object.keys(SCHEMA), ...(isFile ? [ALERTS_SECTION] : [])];
      issues.push({ path: section, message: `unknown section; known: ${known.join(', ')}` });
      continue;
    }
    const sectionKey = section as keyof Settings;
    const values = layer[section];
    if (!isPlainObject(values)) {
      issues.push({ path: section, message: `expected a mapping, got ${show(values)}` });
      continue;
    }
    const schema = SCHEMA[sectionKey] as Record<string, Leaf>;
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
  for (const [section, keys] of Object.entries(SCHEMA)) {
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
}

/** As `loadSettings`, with the file's `alerts` section checked too: a bad rule rejects the whole file. */
export function loadSettingsWithAlerts(sources: SettingsSources): LoadedSettings {
  const issues: ValidationIssue[] = [];
  let settings = defaultSettings();
  let alerts: AlertsSection | null = null;
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new SettingsError([{ path: '(file)', message: `cannot read ${sources.file}: ${(err as Error).message}` }], sources.file);
    }
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
  settings = applyLayer(settings, envLayer(sources.env ?? {}), true, envIssues);
  issues.push(...envIssues.map((i) => ({ path: i.path, message: `${i.message} (from ${envNameOfPath(i.path)})` })));
  settings = applyLayer(settings, sources.flags, true, issues);
  checkWhole(settings, issues);
  if (issues.length > 0) throw new SettingsError(issues, sources.file ?? 'defaults');
  return { settings, alerts };
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

/**
 * Writes the settings file atomically (temporary file, then rename) in the format its extension names.
 * Only `fileValues`, what the file itself should hold, is written: environment and flag overrides stay out.
 */
export function saveSettingsFile(file: string, fileValues: Settings): void {
  const json = /\.json$/i.test(file);
  // The file's alerts section is edited by hand (or through the alerts API); a settings change keeps it as it is.
  const alerts = fs.existsSync(file) ? rawAlertsSection(parseSettingsText(fs.readFileSync(file, 'utf8'), file)) : undefined;
  const values = alerts === undefined ? fileValues : { ...fileValues, [ALERTS_SECTION]: alerts };
  const text = json ? `${JSON.stringify(values, null, 2)}\n` : YAML.stringify(values);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Reads what the settings file alone holds (over the defaults), for rewriting it after a change. */
export function loadFileValues(file: string | undefined): Settings {
  if (file === undefined || !fs.existsSync(file)) return defaultSettings();
  const issues: ValidationIssue[] = [];
  const values = applyLayer(defaultSettings(), parseSettingsText(fs.readFileSync(file, 'utf8'), file), false, issues, true);
  if (issues.length > 0) throw new SettingsError(issues, file);
  return values;
}

function rawAlertsSection(parsed: unknown): unknown {
  return isPlainObject(parsed) ? parsed[ALERTS_SECTION] : undefined;
}
