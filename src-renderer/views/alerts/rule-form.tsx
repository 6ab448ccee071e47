import { useState } from 'react';
import { Field } from '../field';
import { AlertForm, useSaving } from './alert-form';
import { FormFooter } from './form-footer';
import type { AlertChannel, AlertRule, AlertRuleInput, AlertScope as RuleSentenceScope, ApiResult } from '../../transport/api-types';
import { PROTOCOLS } from '../../transport/api-types';
import type { RuleDraft } from './rule-draft';
import { draftOf, emptyDraft, issuesAfterEdit, issuesByField, ruleBody, SCOPE_KINDS, thresholdValue } from './rule-draft';
import { ruleSentence } from './rule-sentence';

const METRICS: readonly { value: AlertRuleInput['metric']; label: string }[] = [
  { value: 'bps', label: 'Bit rate (bit/s)' },
  { value: 'pps', label: 'Packet rate (packets/s)' },
  { value: 'activeFlows', label: 'Active flows' },
  { value: 'newFlows', label: 'New flows per second' },
  { value: 'drops', label: 'Dropped packets per second' },
  { value: 'rtt', label: 'TCP handshake RTT (ms)' },
  { value: 'retransmissions', label: 'TCP retransmissions per second' },
];

const SCOPE_LABELS: Record<RuleDraft['scopeKind'], { label: string; value: string; placeholder: string }> = {
  all: { label: 'All traffic', value: '', placeholder: '' },
  interface: { label: 'Interface', value: 'Interface name', placeholder: '' },
  probe: { label: 'Probe (serve --nats)', value: 'Probe name', placeholder: 'edge-1' },
  host: { label: 'Host', value: 'Address', placeholder: '192.0.2.10' },
  cidr: { label: 'Network (CIDR)', value: 'Network', placeholder: '10.0.0.0/8' },
  port: { label: 'Port', value: 'Port', placeholder: '443' },
  protocol: { label: 'Protocol', value: 'Protocol', placeholder: '' },
  name: { label: 'Name', value: 'Name pattern', placeholder: '*.example.com' },
  country: { label: 'Country', value: 'Country code', placeholder: 'DE' },
  asn: { label: 'Network (AS)', value: 'AS number', placeholder: '13335' },
  application: { label: 'Application', value: 'Application (as the Applications view shows it)', placeholder: 'curl' },
};

const SHOWN_FIELDS = new Set([
  'name', 'metric', 'direction', 'comparison', 'threshold', 'recoveryThreshold', 'scopeKind', 'scopeValue',
  'windowSec', 'forSec', 'cooldownSec', 'severity', 'topN', 'channels',
]);

export interface RuleFormProps {
  rule: AlertRule | null;
  channels: AlertChannel[];
  /** Names of this machine's interfaces, offered for an interface scope. */
  interfaces: readonly string[];
  save(body: Record<string, unknown>): Promise<ApiResult<AlertRule>>;
  close(): void;
}

/** Create or edit a rule; rejected fields are explained next to themselves. */
export function RuleForm({ rule, channels, interfaces, save, close }: RuleFormProps) {
  const [draft, setDraft] = useState<RuleDraft>(() => (rule === null ? emptyDraft() : draftOf(rule)));
  const { issues, formError, busy, save: saving, edited } = useSaving<AlertRule>(close);
  const errors = issuesByField(issues);
  // Messages for a field the form does not show go under the form, so none is lost.
  const elsewhere = [...errors.entries()].filter(([field]) => !SHOWN_FIELDS.has(field)).flatMap(([, m]) => m);
  /** A changed field's old messages are stale: they go, and the server judges the new value on the next save. */
  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K], also: Partial<RuleDraft> = {}) => {
    setDraft((d) => ({ ...d, [key]: value, ...also }));
    edited((list) => issuesAfterEdit(list, key));
  };
  // An interface no longer listed (a rule made elsewhere) stays choosable, marked as absent.
  const interfaceChoices = draft.scopeValue !== '' && !interfaces.includes(draft.scopeValue) ? [...interfaces, draft.scopeValue] : interfaces;
  const sentence = ruleSentence(
    {
      metric: draft.metric,
      direction: draft.direction,
      scope: ruleBody(draft).scope as RuleSentenceScope,
      comparison: draft.comparison,
      threshold: thresholdValue(draft.threshold),
      forSec: draft.forSec,
      channels: draft.channels,
    },
    channels,
  );
  const directional = draft.metric === 'bps' || draft.metric === 'pps';
  const scope = SCOPE_LABELS[draft.scopeKind];

  return (
    <AlertForm className="rule-form" label={rule === null ? 'New rule' : `Edit rule ${rule.name}`} heading={rule === null ? 'New rule' : `Edit “${rule.name}”`} onSubmit={() => void saving(save(ruleBody(draft)))}>
      <p className="rule-sentence" data-testid="rule-preview" aria-live="polite">
        {sentence}
      </p>
      <div className="rule-form-grid">
        <Field label="Name" errors={errors.get('name')}>
          {(d) => <input type="text" value={draft.name} {...d} onChange={(e) => set('name', e.target.value)} />}
        </Field>
        <Field label="Metric" errors={errors.get('metric')}>
          {(d) => (
            <select value={draft.metric} {...d} onChange={(e) => set('metric', e.target.value as RuleDraft['metric'])}>
              {METRICS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Direction" errors={errors.get('direction')}>
          {(d) => (
            <select value={directional ? draft.direction : 'both'} disabled={!directional} {...d} onChange={(e) => set('direction', e.target.value as RuleDraft['direction'])}>
              <option value="in">In (download)</option>
              <option value="out">Out (upload)</option>
              <option value="both">Both</option>
            </select>
          )}
        </Field>
        <Field label="Comparison" errors={errors.get('comparison')}>
          {(d) => (
            <select value={draft.comparison} {...d} onChange={(e) => set('comparison', e.target.value as RuleDraft['comparison'])}>
              <option value="above">Above</option>
              <option value="below">Below</option>
            </select>
          )}
        </Field>
        <Field label="Threshold (k, M, G allowed)" errors={errors.get('threshold')}>
          {(d) => <input type="text" inputMode="decimal" value={draft.threshold} placeholder="10M" {...d} onChange={(e) => set('threshold', e.target.value)} />}
        </Field>
        <Field label="Recovery threshold (optional)" errors={errors.get('recoveryThreshold')}>
          {(d) => <input type="text" inputMode="decimal" value={draft.recoveryThreshold} placeholder="same as threshold" {...d} onChange={(e) => set('recoveryThreshold', e.target.value)} />}
        </Field>
        <Field label="Scope" errors={errors.get('scopeKind')}>
          {(d) => (
            <select
              value={draft.scopeKind}
              {...d}
              onChange={(e) => {
                const kind = e.target.value as RuleDraft['scopeKind'];
                set('scopeKind', kind, { scopeValue: kind === 'protocol' ? 'tcp' : kind === 'interface' ? interfaces[0] ?? '' : '' });
              }}
            >
              {SCOPE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {SCOPE_LABELS[k].label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.scopeKind !== 'all' && (
          <Field label={scope.value} errors={errors.get('scopeValue')}>
            {(d) =>
              draft.scopeKind === 'protocol' ? (
                <select value={draft.scopeValue} {...d} onChange={(e) => set('scopeValue', e.target.value)}>
                  {PROTOCOLS.map((p) => (
                    <option key={p} value={p}>
                      {p.toUpperCase()}
                    </option>
                  ))}
                </select>
              ) : draft.scopeKind === 'interface' ? (
                <select value={draft.scopeValue} {...d} onChange={(e) => set('scopeValue', e.target.value)}>
                  {interfaceChoices.length === 0 && <option value="">No interface found</option>}
                  {interfaceChoices.map((name) => (
                    <option key={name} value={name}>
                      {interfaces.includes(name) ? name : `${name} (not on this machine)`}
                    </option>
                  ))}
                </select>
              ) : (
                <input type="text" value={draft.scopeValue} placeholder={scope.placeholder} {...d} onChange={(e) => set('scopeValue', e.target.value)} />
              )
            }
          </Field>
        )}
        {draft.scopeKind === 'port' && (
          <Field label="Port protocol" errors={undefined}>
            {(d) => (
              <select {...d} value={draft.portProtocol} onChange={(e) => set('portProtocol', e.target.value as RuleDraft['portProtocol'])}>
                <option value="">TCP or UDP</option>
                <option value="tcp">TCP</option>
                <option value="udp">UDP</option>
              </select>
            )}
          </Field>
        )}
        <Field label="Average over (s)" errors={errors.get('windowSec')}>
          {(d) => <input type="text" inputMode="numeric" value={draft.windowSec} {...d} onChange={(e) => set('windowSec', e.target.value)} />}
        </Field>
        <Field label="For at least (s)" errors={errors.get('forSec')}>
          {(d) => <input type="text" inputMode="numeric" value={draft.forSec} {...d} onChange={(e) => set('forSec', e.target.value)} />}
        </Field>
        <Field label="Cooldown (s)" errors={errors.get('cooldownSec')}>
          {(d) => <input type="text" inputMode="numeric" value={draft.cooldownSec} {...d} onChange={(e) => set('cooldownSec', e.target.value)} />}
        </Field>
        <Field label="Severity" errors={errors.get('severity')}>
          {(d) => (
            <select value={draft.severity} {...d} onChange={(e) => set('severity', e.target.value as RuleDraft['severity'])}>
              <option value="info">Info</option>
              <option value="warning">Warning</option>
              <option value="critical">Critical</option>
            </select>
          )}
        </Field>
        <Field label="Top talkers per event" errors={errors.get('topN')}>
          {(d) => <input type="text" inputMode="numeric" value={draft.topN} {...d} onChange={(e) => set('topN', e.target.value)} />}
        </Field>
      </div>
      <fieldset className="chips">
        <legend>Notify</legend>
        {channels.length === 0 && <span className="muted">No channels yet: events are kept and listed here.</span>}
        {channels.map((c) => (
          <label key={c.id} className="chip">
            <input
              type="checkbox"
              checked={draft.channels.includes(c.id)}
              onChange={(e) => set('channels', e.target.checked ? [...draft.channels, c.id] : draft.channels.filter((id) => id !== c.id))}
            />
            {c.name}
          </label>
        ))}
        {errors.get('channels') !== undefined && <span className="field-error">{errors.get('channels')?.join('; ')}</span>}
      </fieldset>
      <FormFooter
        enabled={draft.enabled}
        onEnabled={(on) => set('enabled', on)}
        submitLabel={rule === null ? 'Create rule' : 'Save rule'}
        submitDisabled={busy}
        close={close}
        messages={[...(formError === null ? [] : [formError]), ...elsewhere]}
      />
    </AlertForm>
  );
}
