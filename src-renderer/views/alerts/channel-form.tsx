import { useState } from 'react';
import type { AlertChannel, ApiResult } from '../../transport/api-types';
import { Field } from '../field';
import { AlertForm, useSaving } from './alert-form';
import { FormFooter } from './form-footer';
import type { ChannelDraft } from './channel-draft';
import { channelBody, channelDraftOf, channelFieldOf, channelIssuesByField, emptyChannelDraft, parseHeaders } from './channel-draft';

const SHOWN = new Set(['kind', 'id', 'name', 'url', 'headers', 'ratePerMinute', 'burst']);

export interface ChannelFormProps {
  /** The channel being edited; null makes a new one. */
  channel: AlertChannel | null;
  save(body: Record<string, unknown>): Promise<ApiResult<AlertChannel>>;
  close(): void;
}

/** Create or edit a Discord or webhook channel; each rejected field is explained under itself until it changes. */
export function ChannelForm({ channel, save, close }: ChannelFormProps) {
  const creating = channel === null;
  const [draft, setDraft] = useState<ChannelDraft>(() => (channel === null ? emptyChannelDraft() : channelDraftOf(channel)));
  const { issues, formError, busy, save: saving, edited } = useSaving<AlertChannel>(close);
  const headers = draft.kind === 'webhook' ? parseHeaders(draft.headers) : ({ ok: true, headers: {} } as const);
  const errors = channelIssuesByField(issues);
  if (!headers.ok) errors.set('headers', [headers.message, ...(errors.get('headers') ?? [])]);
  const elsewhere = [...errors.entries()].filter(([f]) => !SHOWN.has(f)).flatMap(([, m]) => m);
  const set = <K extends keyof ChannelDraft>(key: K, value: ChannelDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    edited((list) => list.filter((i) => channelFieldOf(i.path) !== key && channelFieldOf(i.path) !== 'form' && (key !== 'kind' || channelFieldOf(i.path) !== 'headers')));
  };

  const submit = () => {
    if (headers.ok) void saving(save(channelBody(draft, headers.headers, creating)));
  };

  return (
    <AlertForm className="rule-form channel-form" label={creating ? 'New channel' : `Edit channel ${channel.name}`} heading={creating ? 'New channel' : `Edit “${channel.name}”`} onSubmit={submit}>
      <div className="rule-form-grid">
        <Field label="Kind" errors={errors.get('kind')}>
          {(d) => (
            <select value={draft.kind} {...d} onChange={(e) => set('kind', e.target.value as ChannelDraft['kind'])}>
              <option value="discord">Discord webhook</option>
              <option value="webhook">Webhook (JSON)</option>
            </select>
          )}
        </Field>
        <Field label="Name" errors={errors.get('name')}>
          {(d) => <input type="text" value={draft.name} placeholder="Ops on Discord" {...d} onChange={(e) => set('name', e.target.value)} />}
        </Field>
        <Field label={creating ? 'Id (optional)' : 'Id'} errors={errors.get('id')}>
          {(d) => (
            <input
              type="text"
              value={draft.id}
              placeholder="made from the name"
              readOnly={!creating}
              title={creating ? 'Rules and settings files refer to the channel by this id: a-z, 0-9, - and _' : 'Rules refer to the channel by its id, so it stays'}
              {...d}
              onChange={(e) => set('id', e.target.value)}
            />
          )}
        </Field>
        <Field label={draft.kind === 'discord' ? 'Discord webhook URL' : 'URL'} errors={errors.get('url')}>
          {(d) => (
            <input
              type="text"
              inputMode="url"
              value={draft.url}
              placeholder={draft.kind === 'discord' ? 'https://discord.com/api/webhooks/…' : 'https://example.org/netmon'}
              {...d}
              onChange={(e) => set('url', e.target.value)}
            />
          )}
        </Field>
        <Field label="Sends per minute" errors={errors.get('ratePerMinute')}>
          {(d) => <input type="text" inputMode="decimal" value={draft.ratePerMinute} {...d} onChange={(e) => set('ratePerMinute', e.target.value)} />}
        </Field>
        <Field label="Burst" errors={errors.get('burst')}>
          {(d) => <input type="text" inputMode="numeric" value={draft.burst} {...d} onChange={(e) => set('burst', e.target.value)} />}
        </Field>
      </div>
      {draft.kind === 'webhook' && (
        <div className="channel-headers">
          <Field label="Headers (one “Name: value” a line, optional)" errors={errors.get('headers')}>
            {(d) => (
              <textarea rows={2} value={draft.headers} placeholder="Authorization: Bearer …" spellCheck={false} {...d} onChange={(e) => set('headers', e.target.value)} />
            )}
          </Field>
        </div>
      )}
      <p className="muted small">
        {draft.kind === 'discord'
          ? 'Each event is posted as an embed with the value, the threshold and the top talkers.'
          : 'Each event is posted as JSON (schema netmon.alert.v1, docs/alerts.md).'}
      </p>
      <FormFooter
        enabled={draft.enabled}
        onEnabled={(on) => set('enabled', on)}
        submitLabel={creating ? 'Create channel' : 'Save channel'}
        submitDisabled={busy || !headers.ok}
        close={close}
        messages={[...(formError === null ? [] : [formError]), ...elsewhere]}
      />
    </AlertForm>
  );
}
