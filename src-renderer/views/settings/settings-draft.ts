import type { Settings, SettingsPatch, ValidationIssue } from '../../transport/api-types';

/**
 * The settings screen's state: every editable setting as typed (text for numbers, so the server's
 * validator judges "abc" or "-1" and its message lands under the field), keyed by its path.
 */
export type EditableKey =
  | 'capture.interfaces'
  | 'capture.bpf'
  | 'capture.snaplen'
  | 'capture.promiscuous'
  | 'capture.bufferMb'
  | 'flows.tcpIdleSec'
  | 'flows.udpIdleSec'
  | 'flows.icmpIdleSec'
  | 'flows.maxFlows'
  | 'history.minuteDays'
  | 'history.hourDays'
  | 'history.flowLogDays';

export type SettingsDraft = Record<EditableKey, string | boolean | string[]>;

export const EDITABLE_KEYS: readonly EditableKey[] = [
  'capture.interfaces', 'capture.bpf', 'capture.snaplen', 'capture.promiscuous', 'capture.bufferMb',
  'flows.tcpIdleSec', 'flows.udpIdleSec', 'flows.icmpIdleSec', 'flows.maxFlows',
  'history.minuteDays', 'history.hourDays', 'history.flowLogDays',
];

function valueAt(settings: Settings, key: string): unknown {
  const [section, leaf] = key.split('.');
  return (settings as unknown as Record<string, Record<string, unknown>>)[section][leaf];
}

export function draftOfSettings(settings: Settings): SettingsDraft {
  const draft = {} as SettingsDraft;
  for (const key of EDITABLE_KEYS) {
    const v = valueAt(settings, key);
    draft[key] = typeof v === 'number' ? String(v) : Array.isArray(v) ? [...(v as string[])] : (v as string | boolean);
  }
  return draft;
}

function asSent(value: string | boolean | string[]): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  return /^-?\d+$/.test(t) ? Number(t) : value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The changed settings as a patch (`{capture: {snaplen: 1500}}`). A numeric setting typed as something
 * other than a whole number goes as typed for the server to refuse with its reason; text settings go as
 * typed (a BPF filter keeps its spaces).
 */
export function settingsPatch(settings: Settings, draft: SettingsDraft): SettingsPatch {
  const patch: Record<string, Record<string, unknown>> = {};
  for (const key of EDITABLE_KEYS) {
    const sent = typeof valueAt(settings, key) === 'number' ? asSent(draft[key]) : draft[key];
    if (same(sent, valueAt(settings, key))) continue;
    const [section, leaf] = key.split('.');
    (patch[section] ??= {})[leaf] = sent;
  }
  return patch as SettingsPatch;
}

/** The server's issues by setting path; those of no field on the screen under `form`. */
export function settingsIssuesByKey(issues: readonly ValidationIssue[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const issue of issues) {
    const key = (EDITABLE_KEYS as readonly string[]).includes(issue.path) ? issue.path : 'form';
    const message = key === 'form' && issue.path !== '' ? `${issue.path}: ${issue.message}` : issue.message;
    byKey.set(key, [...(byKey.get(key) ?? []), message]);
  }
  return byKey;
}

/** Why a setting is shown but not changed here. */
export function readOnlyReason(key: string, info: { fileOnly: readonly string[]; overridden: readonly string[] }): string | null {
  if (info.overridden.includes(key)) {
    const [section, leaf] = key.split('.');
    const env = `NETMON_${section.toUpperCase()}_${leaf.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    return `set by ${env} or a command-line flag for this run; change it there`;
  }
  if (!info.fileOnly.includes(key)) return null;
  if (key.startsWith('server.')) return 'decides how serve is reached: set in the settings file, the environment or a flag, and read at start';
  return 'names a file or directory on this machine: set in the settings file, the environment or a flag, never from the dashboard';
}
