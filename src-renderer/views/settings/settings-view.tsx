import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import type { Settings, SettingsInfo, ValidationIssue } from '../../transport/api-types';
import { useApp, useController } from '../app-context';
import { Field } from '../field';
import { ThemeChoice } from '../theme-choice';
import type { EditableKey, SettingsDraft } from './settings-draft';
import { draftOfSettings, readOnlyReason, settingsIssuesByKey, settingsPatch } from './settings-draft';
import './settings.css';

/** Settings shown for what they are, with why they are not changed here. */
const READ_ONLY: ReadonlyArray<{ key: string; label: string; shown(s: Settings): string }> = [
  { key: 'server.bind', label: 'Address serve listens on', shown: (s) => s.server.bind },
  { key: 'server.token', label: 'Access token', shown: (s) => (s.server.token === '' ? 'made afresh at each start' : 'set (hidden)') },
  { key: 'server.maxUploadMb', label: 'Largest upload', shown: (s) => `${s.server.maxUploadMb} MiB` },
  { key: 'history.dbPath', label: 'History database', shown: (s) => s.history.dbPath || 'the default, in your data directory' },
  { key: 'capture.replayDir', label: 'Directory clients may replay files from', shown: (s) => s.capture.replayDir || 'none (the dashboard uploads files)' },
];

function Section({ title, note, children }: { title: string; note: string; children: ReactNode }) {
  const id = `settings-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="panel settings-section" aria-labelledby={id}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        <span className="muted small">{note}</span>
      </div>
      <div className="settings-grid">{children}</div>
    </section>
  );
}

/** The settings file as a screen: what serve and the app read at start, written back field by field, comments kept. */
export function SettingsView() {
  const { transport } = useController();
  const interfaces = useApp((s) => s.interfaces);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [info, setInfo] = useState<SettingsInfo | null>(null);
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    void (async () => {
      const [s, i] = await Promise.all([transport.request('settings.get', {}), transport.request('settings.info', {})]);
      if (!live) return;
      if (s.ok) {
        setSettings(s.value);
        setDraft(draftOfSettings(s.value));
      } else setMessage({ kind: 'error', text: s.error.message });
      if (i.ok) setInfo(i.value);
      else setMessage({ kind: 'error', text: i.error.message });
    })();
    return () => {
      live = false;
    };
  }, [transport]);

  if (settings === null || draft === null || info === null) {
    return (
      <div className="view settings-view">
        <header className="view-head">
          <h1>Settings</h1>
        </header>
        {message !== null ? <p role="alert" className="notice error">{message.text}</p> : <p className="muted">Loading…</p>}
      </div>
    );
  }

  const errors = settingsIssuesByKey(issues);
  const patch = settingsPatch(settings, draft);
  const changed = Object.keys(patch).length > 0;
  const set = (key: EditableKey, value: SettingsDraft[EditableKey]) => {
    setDraft({ ...draft, [key]: value });
    // Its old message is stale; so is one about two fields together (hour vs minute retention).
    setIssues((list) => list.filter((i) => i.path !== key && !(key.startsWith('history.') && i.path.startsWith('history.'))));
    setMessage(null);
  };
  const locked = (key: EditableKey) => readOnlyReason(key, info);
  const text = (key: EditableKey, label: string, opts: { placeholder?: string; numeric?: boolean; wide?: boolean } = {}) => {
    const why = locked(key);
    return (
      <div className={opts.wide ? 'wide' : undefined}>
        <Field label={label} errors={errors.get(key)}>
          {(d) => (
            <input
              type="text"
              inputMode={opts.numeric ? 'numeric' : undefined}
              value={draft[key] as string}
              placeholder={opts.placeholder}
              disabled={why !== null}
              title={why ?? undefined}
              spellCheck={false}
              {...d}
              onChange={(e) => set(key, e.target.value)}
            />
          )}
        </Field>
      </div>
    );
  };

  const save = async () => {
    setBusy(true);
    const r = await transport.request('settings.set', patch);
    setBusy(false);
    if (r.ok) {
      setSettings(r.value);
      setDraft(draftOfSettings(r.value));
      setIssues([]);
      setMessage({ kind: 'info', text: info.file === null ? 'Saved for this run of serve.' : `Saved to ${info.file}.` });
      return;
    }
    setIssues(r.error.issues ?? []);
    setMessage({ kind: 'error', text: r.error.issues !== undefined && r.error.issues.length > 0 ? 'Nothing was saved: see the fields marked below.' : r.error.message });
  };

  const chosen = draft['capture.interfaces'] as string[];
  const interfaceNames = [...interfaces.map((i) => i.name), ...chosen.filter((n) => !interfaces.some((i) => i.name === n))];
  const interfacesLocked = locked('capture.interfaces');
  const formErrors = errors.get('form');

  return (
    <div className="view settings-view">
      <header className="view-head">
        <h1>Settings</h1>
        <p className="muted" data-testid="settings-file">
          {info.file === null ? (
            <>
              serve was started without <code>--config</code>: changes last until it stops. Start it with <code>--config FILE</code> to keep them.
            </>
          ) : (
            <>
              Written to <code title={info.file}>{info.file}</code> (its comments and alert rules stay as they are).
            </>
          )}
        </p>
      </header>

      <Section title="Capture" note="used by the next capture">
        <fieldset className="chips wide" disabled={interfacesLocked !== null} title={interfacesLocked ?? undefined}>
          <legend>Interfaces serve captures at start (when none is named with --iface)</legend>
          {interfaceNames.length === 0 && <span className="muted">No interface found on this machine.</span>}
          {interfaceNames.map((name) => (
            <label key={name} className="chip">
              <input
                type="checkbox"
                checked={chosen.includes(name)}
                onChange={(e) => set('capture.interfaces', e.target.checked ? [...chosen, name] : chosen.filter((n) => n !== name))}
              />
              {interfaces.some((i) => i.name === name) ? name : `${name} (not on this machine)`}
            </label>
          ))}
          {errors.get('capture.interfaces') !== undefined && <span className="field-error">{errors.get('capture.interfaces')?.join('; ')}</span>}
        </fieldset>
        {text('capture.bpf', 'BPF filter (empty: every packet)', { placeholder: 'not port 22', wide: true })}
        {text('capture.snaplen', 'Snap length (bytes per packet)', { numeric: true })}
        {text('capture.bufferMb', 'Kernel buffer (MiB)', { numeric: true })}
        <label className="inline" title={locked('capture.promiscuous') ?? 'See traffic between other machines on the link, not only this one’s'}>
          <input
            type="checkbox"
            checked={draft['capture.promiscuous'] as boolean}
            disabled={locked('capture.promiscuous') !== null}
            onChange={(e) => set('capture.promiscuous', e.target.checked)}
          />
          <span>Promiscuous mode</span>
        </label>
      </Section>

      <Section title="Flows" note="idle timeouts apply from the next capture">
        {text('flows.tcpIdleSec', 'TCP flow ends after idle (s)', { numeric: true })}
        {text('flows.udpIdleSec', 'UDP flow ends after idle (s)', { numeric: true })}
        {text('flows.icmpIdleSec', 'ICMP flow ends after idle (s)', { numeric: true })}
        {text('flows.maxFlows', 'Most flows kept in the table', { numeric: true })}
      </Section>

      <Section title="History" note="older data is deleted once an hour">
        {text('history.minuteDays', 'Keep 1-minute traffic (days)', { numeric: true })}
        {text('history.hourDays', 'Keep 1-hour traffic (days)', { numeric: true })}
        {text('history.flowLogDays', 'Keep ended flows (days)', { numeric: true })}
      </Section>

      <section className="panel settings-section" aria-labelledby="settings-appearance">
        <div className="panel-head">
          <h2 id="settings-appearance">Appearance</h2>
          <span className="muted small">kept in this browser</span>
        </div>
        <ThemeChoice />
      </section>

      <div className="row settings-actions">
        <button type="button" disabled={!changed || busy} onClick={() => {
          setDraft(draftOfSettings(settings));
          setIssues([]);
          setMessage(null);
        }}>
          Undo changes
        </button>
        <button type="button" className="primary" disabled={!changed || busy} onClick={() => void save()}>
          Save settings
        </button>
        {message !== null && (
          <span role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'field-error' : 'muted'} data-testid="settings-message">
            {message.text}
          </span>
        )}
        {formErrors !== undefined && (
          <span role="alert" className="field-error">
            {formErrors.join('; ')}
          </span>
        )}
      </div>

      <section className="panel settings-section" aria-labelledby="settings-fixed">
        <div className="panel-head">
          <h2 id="settings-fixed">Set where serve starts</h2>
          <span className="muted small">not changed from the dashboard</span>
        </div>
        <table className="compact" aria-label="Settings not changed here">
          <tbody>
            {READ_ONLY.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.label}</th>
                <td>
                  <code>{r.key}</code>
                </td>
                <td className="settings-value" title={r.shown(settings)}>
                  {r.shown(settings)}
                </td>
                <td className="muted">{readOnlyReason(r.key, info)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
