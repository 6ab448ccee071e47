import { useCallback, useEffect, useState } from 'react';
import { formatLocalDateTime } from '../../format/time';
import { formatBitRate, formatCount, formatPacketRate } from '../../format/units';
import type { AlertChannel, AlertChannelStatus, AlertEvent, AlertRule, AlertRuleState, AlertScope, TalkerHost } from '../../transport/api-types';
import { assertNever } from '../../util/assert-never';
import { useController } from '../app-context';
import { RuleForm } from './rule-form';
import './alerts.css';

/** Events listed (newest first); older ones stay in the store and the REST API. */
const EVENT_LIMIT = 100;
/** Channel health refresh while the screen is open. */
const STATUS_POLL_MS = 2000;

function formatValue(metric: AlertRule['metric'], value: number): string {
  switch (metric) {
    case 'bps':
      return formatBitRate(value);
    case 'pps':
      return formatPacketRate(value);
    case 'activeFlows':
      return `${formatCount(Math.round(value))} flows`;
    case 'newFlows':
      return `${value.toFixed(1)} new flows/s`;
    case 'drops':
      return `${value.toFixed(1)} drops/s`;
    default:
      return assertNever(metric);
  }
}

function scopeText(scope: AlertScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all traffic';
    case 'interface':
      return `interface ${scope.interface}`;
    case 'probe':
      return `probe ${scope.probe}`;
    case 'host':
      return `host ${scope.address}`;
    case 'cidr':
      return `network ${scope.cidr}`;
    case 'port':
      return `port ${scope.port}${scope.protocol ? `/${scope.protocol}` : ''}`;
    case 'protocol':
      return scope.protocol.toUpperCase();
    case 'name':
      return `name ${scope.pattern}`;
    default:
      return assertNever(scope);
  }
}

function conditionText(r: AlertRule): string {
  const dir = r.metric === 'bps' || r.metric === 'pps' ? (r.direction === 'both' ? ' in+out' : ` ${r.direction}`) : '';
  const recovery = r.recoveryThreshold !== r.threshold ? `, recovers at ${formatValue(r.metric, r.recoveryThreshold)}` : '';
  return `${r.metric}${dir} of ${scopeText(r.scope)} ${r.comparison} ${formatValue(r.metric, r.threshold)} (${r.windowSec} s average${r.forSec > 0 ? `, for ${r.forSec} s` : ''})${recovery}`;
}

function hostText(h: TalkerHost): string {
  return `${h.name ? `${h.name} (${h.address})` : h.address} ${formatBitRate(h.bps)}`;
}

type Editing = { rule: AlertRule | null } | null;

/** Alert rules with their state, the channels with their health, and the events they produced. */
export function AlertsView() {
  const { transport } = useController();
  const [rules, setRules] = useState<AlertRuleState[]>([]);
  const [channels, setChannels] = useState<AlertChannel[]>([]);
  const [health, setHealth] = useState<Map<string, AlertChannelStatus>>(new Map());
  const [events, setEvents] = useState<AlertEvent[]>([]);
  const [editing, setEditing] = useState<Editing>(null);
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Map<string, string>>(new Map());

  const loadRules = useCallback(async () => {
    const r = await transport.request('alerts.rules.list', {});
    if (r.ok) setRules(r.value);
    else setError(r.error.message);
  }, [transport]);

  const loadHealth = useCallback(async () => {
    const s = await transport.request('alerts.channels.status', {});
    if (s.ok) setHealth(new Map(s.value.map((c) => [c.channelId, c])));
  }, [transport]);

  useEffect(() => {
    let live = true;
    void (async () => {
      const [c, e] = await Promise.all([
        transport.request('alerts.channels.list', {}),
        transport.request('alerts.events.list', { limit: EVENT_LIMIT }),
      ]);
      if (!live) return;
      if (c.ok) setChannels(c.value);
      if (e.ok) setEvents(e.value);
      if (!c.ok) setError(c.error.message);
      else if (!e.ok) setError(e.error.message);
      await Promise.all([loadRules(), loadHealth()]);
    })();
    const off = transport.on('alerts.event', (event) => {
      setEvents((list) => [event, ...list.filter((x) => x.id !== event.id || event.id === 0)].slice(0, EVENT_LIMIT));
      void loadRules();
    });
    const timer = window.setInterval(() => void loadHealth(), STATUS_POLL_MS);
    return () => {
      live = false;
      off();
      window.clearInterval(timer);
    };
  }, [transport, loadRules, loadHealth]);

  const remove = async (rule: AlertRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    const r = await transport.request('alerts.rules.delete', { id: rule.id });
    if (!r.ok) setError(r.error.message);
    await loadRules();
  };

  const sendTest = async (channel: AlertChannel) => {
    setTests((m) => new Map(m).set(channel.id, 'sending…'));
    const r = await transport.request('alerts.channels.test', { channelId: channel.id });
    const text = !r.ok ? `failed: ${r.error.message}` : r.value.delivered ? 'delivered' : `failed: ${r.value.error ?? 'unknown error'}`;
    setTests((m) => new Map(m).set(channel.id, text));
    await loadHealth();
  };

  /** Enabling and disabling is all a channel's row changes; its target (a URL, a command's program) is set where it was made. */
  const toggle = async (channel: AlertChannel) => {
    const { id, ...spec } = channel;
    const r = await transport.request('alerts.channels.update', { id, channel: { ...spec, enabled: !channel.enabled } });
    if (r.ok) setChannels((list) => list.map((c) => (c.id === id ? r.value : c)));
    else setError(r.error.message);
    await loadHealth();
  };

  const save = async (body: Record<string, unknown>) => {
    const rule = editing?.rule ?? null;
    // The form sends text where a number was expected on purpose: the server explains what is wrong with it.
    const result = rule === null
      ? await transport.request('alerts.rules.create', body as never)
      : await transport.request('alerts.rules.update', { id: rule.id, rule: body as never });
    if (result.ok) await loadRules();
    return result;
  };

  return (
    <div className="view alerts-view">
      <header className="view-head">
        <h1>Alerts</h1>
        <p className="muted">Rules are checked every second against the traffic; events notify their channels.</p>
        <div className="controls">
          <button type="button" className="primary" onClick={() => setEditing({ rule: null })} disabled={editing !== null}>
            New rule
          </button>
        </div>
      </header>
      {error !== null && (
        <p role="alert" className="notice error">
          {error}
        </p>
      )}
      {editing !== null && <RuleForm rule={editing.rule} channels={channels} save={save} close={() => setEditing(null)} />}

      <section className="panel" aria-labelledby="rules-title">
        <div className="panel-head">
          <h2 id="rules-title">Rules</h2>
        </div>
        {rules.length === 0 ? (
          <p className="empty">No rules yet. “New rule” sets a threshold on bit rate, packets, flows or drops.</p>
        ) : (
          <table className="compact" aria-label="Rules">
            <thead>
              <tr>
                <th>State</th>
                <th>Name</th>
                <th>Condition</th>
                <th>Notifies</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => {
                const state = !r.enabled ? 'disabled' : r.firing ? 'firing' : 'ok';
                return (
                  <tr key={r.id} data-rule-id={r.id}>
                    <td>
                      <span className={`badge alert-state ${state}`} data-testid="rule-state">
                        {state}
                      </span>
                    </td>
                    <td className="talker-label">{r.name}</td>
                    <td>{conditionText(r)}</td>
                    <td>{r.channels.map((id) => channels.find((c) => c.id === id)?.name ?? id).join(', ') || <span className="muted">—</span>}</td>
                    <td className="num">
                      <button type="button" onClick={() => setEditing({ rule: r })} disabled={editing !== null}>
                        Edit
                      </button>{' '}
                      <button type="button" onClick={() => void remove(r)} aria-label={`Delete ${r.name}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="channels-title">
        <div className="panel-head">
          <h2 id="channels-title">Channels</h2>
        </div>
        {channels.length === 0 ? (
          <p className="empty">
            No channels. Add them in the settings file (docs/alerts.md); Discord and webhook channels can also be added through the API. Command
            channels run programs, so they come from the settings file only.
          </p>
        ) : (
          <table className="compact" aria-label="Channels">
            <thead>
              <tr>
                <th>Health</th>
                <th>Name</th>
                <th>Kind</th>
                <th className="num">Delivered</th>
                <th className="num">Failed</th>
                <th>Last error</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => {
                const h = health.get(c.id);
                const state = c.enabled ? h?.state ?? 'idle' : 'disabled';
                return (
                  <tr key={c.id} data-channel-id={c.id}>
                    <td>
                      <span className={`badge channel-state ${state}`}>{state}</span>
                    </td>
                    <td className="talker-label">{c.name}</td>
                    <td title={c.kind === 'command' ? 'Runs a program set in the settings file' : undefined}>{c.kind}</td>
                    <td className="num">{formatCount(h?.delivered ?? 0)}</td>
                    <td className="num" title={h ? `${h.consecutiveFailures} failures in a row, ${h.dropped} dropped` : undefined}>
                      {formatCount(h?.failed ?? 0)}
                      {h !== undefined && h.consecutiveFailures > 0 ? ` (${h.consecutiveFailures} in a row)` : ''}
                    </td>
                    <td className={h?.lastError ? 'channel-error' : 'muted'}>
                      {h?.lastError ? `${h.lastError}${h.lastErrorAt !== null ? ` at ${formatLocalDateTime(h.lastErrorAt)}` : ''}` : 'none'}
                    </td>
                    <td className="num">
                      <button type="button" onClick={() => void toggle(c)} aria-label={`${c.enabled ? 'Disable' : 'Enable'} ${c.name}`}>
                        {c.enabled ? 'Disable' : 'Enable'}
                      </button>{' '}
                      <button type="button" onClick={() => void sendTest(c)} aria-label={`Send test to ${c.name}`}>
                        Send test
                      </button>
                      {tests.has(c.id) && (
                        <span className="test-result" role="status">
                          {' '}
                          {tests.get(c.id)}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="events-title">
        <div className="panel-head">
          <h2 id="events-title">Events</h2>
          <span className="muted small">newest first, last {EVENT_LIMIT}</span>
        </div>
        {events.length === 0 ? (
          <p className="empty">No events yet.</p>
        ) : (
          <ol className="alert-events" aria-label="Alert events">
            {events.map((e) => (
              <li key={`${e.id}-${e.ts}-${e.kind}`} className={`alert-event ${e.kind} severity-${e.severity}`} data-testid="alert-event">
                <div className="alert-event-head">
                  <span className={`badge alert-state ${e.kind === 'firing' ? 'firing' : 'ok'}`}>{e.kind === 'firing' ? 'firing' : 'recovered'}</span>
                  <strong>{e.ruleName}</strong>
                  <span className="num">{formatValue(e.metric, e.value)}</span>
                  <span className="muted">{formatLocalDateTime(e.ts)}</span>
                </div>
                <div className="muted">{e.summary}</div>
                {e.topHosts.length > 0 && (
                  <div className="alert-talkers">
                    <span className="card-label">Top hosts</span> {e.topHosts.map(hostText).join(' · ')}
                  </div>
                )}
                {e.topFlows.length > 0 && (
                  <div className="alert-talkers">
                    <span className="card-label">Top flows</span>{' '}
                    {e.topFlows
                      .map((f) => `${f.protocol.toUpperCase()} ${f.localAddress}:${f.localPort} ⇄ ${f.name ?? f.remoteAddress}:${f.remotePort} ${formatBitRate(f.bps)}`)
                      .join(' · ')}
                  </div>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
