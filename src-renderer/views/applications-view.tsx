import { useState } from 'react';
import { formatBytes, formatCount } from '../format/units';
import type { ApplicationsReport, ApplicationUsage } from '../transport/api-types';
import { useApp } from './app-context';
import { applicationTip } from './flow-columns';
import { sessionLabel, useEarlierSessions } from './session-picker';
import { usePolledRequest } from './use-polled-request';

/** How often the view asks main for the usage. */
const REFRESH_MS = 5000;
/** Every capture session in the history (`applications.list`'s `*`). */
const ALL = '*';

const WINDOWS: ReadonlyArray<{ value: number | null; label: string }> = [
  { value: null, label: 'All the time' },
  { value: 3600, label: 'Last hour' },
  { value: 86_400, label: 'Last 24 hours' },
  { value: 7 * 86_400, label: 'Last 7 days' },
];

/** Why the list is empty, in words. */
export function emptyReason(report: ApplicationsReport): string {
  switch (report.attribution) {
    case 'unsupported-platform':
      return 'Applications are found on Linux only: there Netmon maps each connection to the program that owns it.';
    case 'capture-file':
      return 'A capture file holds no applications: which program owns a connection is known only while it runs on this machine (live capture).';
    case 'available':
      if (report.session === null) return 'No capture yet: start a live capture to see which programs use the network.';
      return report.unattributed.flows > 0
        ? `None of the ${formatCount(report.unattributed.flows)} flows has been attributed to a program yet.`
        : 'No flows yet: programs appear here as they use the network.';
    default:
      return '';
  }
}

function processTip(a: ApplicationUsage): string {
  const user = a.uid === null ? 'unknown user' : a.user === null ? `uid ${a.uid}` : `${a.user} (uid ${a.uid})`;
  if (a.system) return applicationTip({ label: a.label, pid: null, name: null, exe: null, uid: a.uid ?? -1, user: a.user, system: true });
  const pids = a.pids.length === 0 ? '' : `\npid ${a.pids.join(', ')}`;
  return `${a.label}, user ${user}${a.exe === null ? '' : `\n${a.exe}`}${pids}`;
}

function Bar({ value, max, kind }: { value: number; max: number; kind: 'in' | 'out' }) {
  return (
    <div className={`bar thin app-bar-${kind}`} aria-hidden>
      <div className="bar-fill" style={{ width: `${max > 0 ? (value / max) * 100 : 0}%` }} />
    </div>
  );
}

/**
 * Which programs use the network (GlassWire's view): bytes each program sent and received, its flows and the hosts
 * it talked to most, over the current capture, an earlier one or the whole history. A click opens its flows.
 */
export function ApplicationsView() {
  const current = useApp((s) => s.capture?.captureId ?? null);
  const showFlowsOf = useApp((s) => s.showFlowsOf);
  const [scope, setScope] = useState<string>('');
  const [windowSec, setWindowSec] = useState<number | null>(null);
  const { data: report, error } = usePolledRequest(
    'applications.list',
    { ...(scope === '' ? {} : { session: scope }), ...(windowSec === null ? {} : { windowSec }) },
    REFRESH_MS,
    current ?? '',
  );
  const earlier = useEarlierSessions(current);
  const apps = report?.applications ?? [];
  const maxBytes = apps.reduce((m, a) => Math.max(m, a.bytesIn, a.bytesOut), 0);
  const open = (a: ApplicationUsage) => {
    const session = report?.session ?? null;
    // Every session's flows cannot share one table: the current capture's open (the filter stays for others).
    showFlowsOf({ kind: 'application', label: a.label, session: session === ALL ? null : session });
  };
  return (
    <div className="view applications-view">
      <header className="view-head">
        <h1>Applications</h1>
        <label className="session-picker">
          <span>Capture</span>
          <select value={scope} onChange={(e) => setScope(e.target.value)} title="The current capture, an earlier one, or every capture in the history">
            <option value="">Current capture</option>
            <option value={ALL}>All captures in the history</option>
            {earlier.map((s) => (
              <option key={s.id} value={s.id}>
                {sessionLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="session-picker">
          <span>Period</span>
          <select value={windowSec ?? ''} onChange={(e) => setWindowSec(e.target.value === '' ? null : Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w.label} value={w.value ?? ''}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        {report !== null && (
          <p className="muted" data-testid="applications-count">
            {formatCount(apps.length)} {apps.length === 1 ? 'application' : 'applications'}
            {report.omitted > 0 && ` (${formatCount(report.omitted)} more not listed)`}
            {report.unattributed.flows > 0 &&
              ` · ${formatCount(report.unattributed.flows)} ${report.unattributed.flows === 1 ? 'flow' : 'flows'} (${formatBytes(report.unattributed.bytes)}) without a program`}
            {report.truncated && ' · more live flows than a report reads'}
          </p>
        )}
      </header>
      <section className="panel" aria-label="Traffic per application">
        {error !== null ? (
          <p className="empty" role="alert">
            {error}
          </p>
        ) : report === null ? (
          <p className="empty">Loading…</p>
        ) : apps.length === 0 ? (
          <p className="empty" data-testid="applications-empty">
            {emptyReason(report)}
          </p>
        ) : (
          <table className="compact applications" aria-label="Applications">
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col" className="num">Sent</th>
                <th scope="col" className="num">Received</th>
                <th scope="col" className="num">Flows</th>
                <th scope="col">Top hosts</th>
              </tr>
            </thead>
            <tbody>
              {apps.map((a) => (
                <tr key={a.label} data-application={a.label}>
                  <th scope="row">
                    <button type="button" className={`talker-link${a.system ? ' app-system' : ''}`} title={processTip(a)} onClick={() => open(a)}>
                      <span className="talker-label">{a.label}</span>
                      {a.user !== null && !a.system && <span className="muted small"> {a.user}</span>}
                    </button>
                  </th>
                  <td className="num" title={`${formatCount(a.bytesOut)} bytes sent`}>
                    {formatBytes(a.bytesOut)}
                    <Bar value={a.bytesOut} max={maxBytes} kind="out" />
                  </td>
                  <td className="num" title={`${formatCount(a.bytesIn)} bytes received`}>
                    {formatBytes(a.bytesIn)}
                    <Bar value={a.bytesIn} max={maxBytes} kind="in" />
                  </td>
                  <td className="num" title={a.activeFlows > 0 ? `${formatCount(a.activeFlows)} open now` : undefined}>
                    {formatCount(a.flows)}
                  </td>
                  <td className="app-hosts">
                    {a.topHosts.map((h) => (
                      <span key={h.host} className="app-host" title={`${h.name === null ? h.host : `${h.name} (${h.host})`}: ${formatBytes(h.bytes)} in ${formatCount(h.flows)} flows`}>
                        {h.name ?? h.host}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
