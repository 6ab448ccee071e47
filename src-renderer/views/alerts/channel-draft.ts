import type { AlertChannel, ValidationIssue } from '../../transport/api-types';

/** The kinds the dashboard makes; command channels run programs and come from the settings file only. */
export type EditableKind = 'discord' | 'webhook';

/** The channel form's state: text as typed, so the server's validator judges it and its messages land by the fields. */
export interface ChannelDraft {
  kind: EditableKind;
  /** Empty on create: the server makes one from the name. Fixed once made (rules refer to it). */
  id: string;
  name: string;
  url: string;
  /** One `Name: value` a line (webhook only). */
  headers: string;
  enabled: boolean;
  ratePerMinute: string;
  burst: string;
}

export function emptyChannelDraft(): ChannelDraft {
  return { kind: 'discord', id: '', name: '', url: '', headers: '', enabled: true, ratePerMinute: '30', burst: '5' };
}

export function channelDraftOf(c: AlertChannel): ChannelDraft {
  if (c.kind !== 'discord' && c.kind !== 'webhook') throw new Error(`a ${c.kind} channel is not edited in the dashboard`);
  return {
    kind: c.kind,
    id: c.id,
    name: c.name,
    url: c.url,
    headers: c.kind === 'webhook' ? Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`).join('\n') : '',
    enabled: c.enabled,
    ratePerMinute: String(c.ratePerMinute),
    burst: String(c.burst),
  };
}

/** `Name: value` lines as an object, or the first line that is not one. */
export function parseHeaders(text: string): { ok: true; headers: Record<string, string> } | { ok: false; message: string } {
  const headers: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, message: `line ${i + 1}: expected “Name: value”, got “${line.slice(0, 40)}”` };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { ok: true, headers };
}

function numeric(text: string): number | string {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

/** What the form sends (create or full replacement); headers must have parsed. */
export function channelBody(d: ChannelDraft, headers: Record<string, string>, creating: boolean): Record<string, unknown> {
  return {
    ...(creating && d.id.trim() !== '' ? { id: d.id.trim() } : {}),
    kind: d.kind,
    name: d.name.trim(),
    url: d.url.trim(),
    ...(d.kind === 'webhook' ? { headers } : {}),
    enabled: d.enabled,
    ratePerMinute: numeric(d.ratePerMinute),
    burst: numeric(d.burst),
  };
}

/** The form field a server issue belongs to: `headers.X-Token` to the headers; anything unknown to the form. */
export function channelFieldOf(path: string): keyof ChannelDraft | 'form' {
  const head = path.split('.')[0];
  const fields: readonly string[] = ['kind', 'id', 'name', 'url', 'headers', 'enabled', 'ratePerMinute', 'burst'];
  return fields.includes(head) ? (head as keyof ChannelDraft) : 'form';
}

export function channelIssuesByField(issues: readonly ValidationIssue[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const issue of issues) {
    const field = channelFieldOf(issue.path);
    const prefix = issue.path.startsWith('headers.') ? `${issue.path.slice('headers.'.length)} ` : '';
    fields.set(field, [...(fields.get(field) ?? []), `${prefix}${issue.message}`]);
  }
  return fields;
}

/** The test-send's outcome as a person reads it: "Delivered (HTTP 204)", "Failed (HTTP 404): …". */
export function testOutcomeText(r: { delivered: boolean; httpStatus: number | null; error: string | null }): string {
  const status = r.httpStatus === null ? '' : ` (HTTP ${r.httpStatus})`;
  if (r.delivered) return `Delivered${status}`;
  // The error often starts with the status already.
  const error = (r.error ?? 'unknown error').replace(/^HTTP \d+:?\s*/, '');
  return error === '' ? `Failed${status}` : `Failed${status}: ${error}`;
}
