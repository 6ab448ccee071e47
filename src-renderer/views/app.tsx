import { useEffect, useState } from 'react';
import type { ViewName } from '../state/store';
import type { CaptureSource, CaptureStatus } from '../transport/api-types';
import { formatDuration } from '../format/time';
import { assertNever } from '../util/assert-never';
import { useApp, useAppShallow, useController } from './app-context';
import { AlertsView } from './alerts/alerts-view';
import { ApplicationsView } from './applications-view';
import { FlowsView } from './flows-view';
import { InterfacesView } from './interfaces-view';
import { OverviewView } from './overview-view';
import { ExportView } from './export/export-view';
import { HostPicker } from './host-picker';
import { SettingsView } from './settings/settings-view';
import { resolveTheme, useSystemDark } from './theme';
import { ThemeChoice } from './theme-choice';

const NAV: ReadonlyArray<{ view: ViewName; label: string; icon: string }> = [
  { view: 'interfaces', label: 'Interfaces', icon: '⇄' },
  { view: 'overview', label: 'Overview', icon: '◔' },
  { view: 'flows', label: 'Flows', icon: '≡' },
  { view: 'applications', label: 'Applications', icon: '▤' },
  { view: 'alerts', label: 'Alerts', icon: '!' },
  { view: 'export', label: 'Export', icon: '⤓' },
  { view: 'settings', label: 'Settings', icon: '⚙' },
];

const fileName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

function captureLabel(c: CaptureStatus | null): string {
  if (!c || !c.source) return 'Not capturing';
  const what = c.source.kind === 'live' ? c.source.interfaces.join(', ') : fileName(c.source.file);
  switch (c.state) {
    case 'idle':
      return 'Not capturing';
    case 'starting':
      return `Starting ${what}…`;
    case 'running':
      return c.source.kind === 'live' ? `Live on ${what}` : `Replaying ${what}${c.progress !== null ? ` (${Math.round(c.progress * 100)} %)` : ''}`;
    case 'finished':
      return `Finished ${what}`;
    case 'stopping':
      return `Stopping ${what}…`;
    case 'error':
      return `Capture failed: ${c.error ?? 'unknown error'}`;
    default:
      return assertNever(c.state);
  }
}

/** The button that starts the last capture again, named after what it starts. */
function restartLabel(source: CaptureSource): { text: string; title: string } {
  if (source.kind === 'live') {
    const where = source.interfaces.join(', ');
    return { text: `▶ Start ${where}`, title: `Capture on ${where} again (a new capture: counters start from zero)` };
  }
  return { text: `▶ Replay ${fileName(source.file)}`, title: `Read ${source.file} again (a new capture: counters start from zero)` };
}

function CaptureStatusBar() {
  const { capture, paused, setPaused } = useAppShallow((s) => ({ capture: s.capture, paused: s.paused, setPaused: s.setPaused }));
  const controller = useController();
  const [busy, setBusy] = useState(false);
  const running = capture?.state === 'running' || capture?.state === 'starting';
  const restart = !running && capture?.state !== 'stopping' && capture?.source ? restartLabel(capture.source) : null;
  return (
    <div className="status">
      <span className={`pill ${capture?.state ?? 'idle'}`} role="status" data-testid="capture-status" title={captureLabel(capture)}>
        {captureLabel(capture)}
      </span>
      {capture?.demo === true && (
        <span className="pill demo" data-testid="demo-pill" title="The demo capture shipped with Netmon: its alerts are shown, never sent">
          demo: alerts not sent
        </span>
      )}
      {capture && capture.helper !== 'connected' && <span className="pill error">capture helper {capture.helper}</span>}
      {running && (
        <button type="button" onClick={() => void controller.stopCapture()}>
          ■ Stop
        </button>
      )}
      {restart && (
        <button
          type="button"
          className="primary"
          disabled={busy}
          title={restart.title}
          onClick={() => {
            setBusy(true);
            void controller.restartCapture().finally(() => setBusy(false));
          }}
        >
          {restart.text}
        </button>
      )}
      <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)} title="Freeze the charts and table; data keeps arriving">
        {paused ? '▶ Resume' : '❚❚ Pause'}
      </button>
    </div>
  );
}

function ConnectionBanner({ onToken }: { onToken: (t: string) => void }) {
  const connection = useApp((s) => s.connection);
  const [token, setToken] = useState('');
  if (connection.state === 'open') return null;
  if (connection.state === 'connecting') {
    return (
      <div className="banner" role="status">
        Connecting to Netmon{connection.attempt > 1 ? ` (attempt ${connection.attempt})` : ''}…
      </div>
    );
  }
  return (
    <div className="banner error" role="alert">
      <span>
        {connection.everOpened ? 'Lost the connection to Netmon' : 'Cannot reach Netmon'}: {connection.reason}. Retrying in{' '}
        {formatDuration(connection.retryInMs)}.
      </span>
      {/* A restarted `netmon serve` has a new token: the form is offered after a loss too. */}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <label className="inline">
          <span>Token (netmon serve prints the address with it):</span>
          <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
        </label>
        <button type="submit">Connect</button>
      </form>
    </div>
  );
}

function Notice() {
  const { notice, setNotice } = useAppShallow((s) => ({ notice: s.notice, setNotice: s.setNotice }));
  if (!notice) return null;
  return (
    <div className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button type="button" aria-label="Dismiss" onClick={() => setNotice(null)}>
        ✕
      </button>
    </div>
  );
}

function CurrentView({ view }: { view: ViewName }) {
  switch (view) {
    case 'interfaces':
      return <InterfacesView />;
    case 'overview':
      return <OverviewView />;
    case 'flows':
      return <FlowsView />;
    case 'applications':
      return <ApplicationsView />;
    case 'alerts':
      return <AlertsView />;
    case 'export':
      return <ExportView />;
    case 'settings':
      return <SettingsView />;
    default:
      return assertNever(view);
  }
}

export function App({ onToken }: { onToken: (t: string) => void }) {
  const { view, setView, theme, paused } = useAppShallow((s) => ({ view: s.view, setView: s.setView, theme: s.theme, paused: s.paused }));
  const systemDark = useSystemDark();
  const resolved = resolveTheme(theme, systemDark);
  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
    document.documentElement.style.colorScheme = resolved;
  }, [resolved]);
  return (
    <div className={`app${paused ? ' paused' : ''}`}>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◉
          </span>{' '}
          Netmon
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.view}>
              <button type="button" className="nav-item" aria-current={view === n.view ? 'page' : undefined} onClick={() => setView(n.view)}>
                <span aria-hidden className="nav-icon">
                  {n.icon}
                </span>
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <ThemeChoice />
        </div>
      </nav>
      <div className="main">
        <div className="topbar">
          <CaptureStatusBar />
          <HostPicker />
        </div>
        <ConnectionBanner onToken={onToken} />
        <Notice />
        <main>
          <CurrentView view={view} />
        </main>
      </div>
    </div>
  );
}
