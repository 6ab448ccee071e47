import { useMemo, useState } from 'react';
import type { InterfaceInfo } from '../transport/api-types';
import { Sparkline } from '../charts/sparkline';
import { formatBitRate } from '../format/units';
import { ringToArray } from '../state/ring';
import { useApp, useAppShallow, useController } from './app-context';

function RightsPanel() {
  const { privileges, kind } = useAppShallow((s) => ({ privileges: s.privileges, kind: s.transportKind }));
  const controller = useController();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  if (!privileges || privileges.canCapture) return null;
  return (
    <section className="panel rights" aria-labelledby="rights-title">
      <h2 id="rights-title">{privileges.outdated ? 'Capture rights need updating' : 'Capture rights are missing'}</h2>
      <p>{privileges.reason ?? 'This machine does not let Netmon capture packets yet.'} You can still open capture files below.</p>
      {kind === 'electron' ? (
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void controller.installPrivileges().finally(() => setBusy(false));
          }}
        >
          {busy ? 'Waiting for your password…' : privileges.outdated ? 'Update capture rights (asks for your password)' : 'Grant capture rights (asks for your password once)'}
        </button>
      ) : (
        <div className="command">
          <p>Run this once on the machine where <code>netmon serve</code> runs, then restart it:</p>
          <pre aria-label="Command that grants capture rights">{privileges.grantCommand}</pre>
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(privileges.grantCommand).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy command'}
          </button>
        </div>
      )}
    </section>
  );
}

/**
 * Nothing is captured: what Netmon can do from here. Nothing starts on its own (not even the demo),
 * and why a capture chosen last time did not resume is said here.
 */
function StartPanel() {
  const { capture } = useAppShallow((s) => ({ capture: s.capture }));
  const controller = useController();
  const [busy, setBusy] = useState(false);
  if (capture === null || capture.state === 'running' || capture.state === 'starting' || capture.state === 'stopping') return null;
  const first = capture.captureId === null;
  return (
    <section className="panel start" aria-labelledby="start-title" data-testid="start-panel">
      <h2 id="start-title">{first ? 'Nothing is being captured yet' : 'Not capturing now'}</h2>
      {capture.state === 'idle' && capture.error !== null && (
        <p role="alert" className="notice error">
          {capture.error}
        </p>
      )}
      <p>
        Pick an interface below to watch its live traffic, open a capture file, or play the demo capture to look around. The
        demo&apos;s alerts are shown here and never sent to your channels.
      </p>
      <button
        type="button"
        className="primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void controller.startDemo().then((ok) => {
            setBusy(false);
            if (ok) controller.showOverview();
          });
        }}
      >
        ▶ Play the demo
      </button>
    </section>
  );
}

function InterfaceCard({ iface }: { iface: InterfaceInfo }) {
  const controller = useController();
  const spark = useApp((s) => s.traffic.sparklines[iface.name]);
  const capturing = useApp((s) => {
    const src = s.capture?.source;
    return s.capture?.state === 'running' && src?.kind === 'live' && src.interfaces.includes(iface.name);
  });
  const values = useMemo(() => (spark ? ringToArray(spark) : []), [spark]);
  const current = values.length ? values[values.length - 1] : null;
  const titleId = `iface-${iface.name}`;
  return (
    <li className={`iface-card${capturing ? ' capturing' : ''}`} aria-labelledby={titleId}>
      <div className="iface-head">
        <h3 id={titleId}>{iface.name}</h3>
        <span className={`badge ${iface.up ? 'ok' : 'off'}`}>{iface.up ? 'up' : 'down'}</span>
        {iface.loopback && <span className="badge">loopback</span>}
      </div>
      {iface.description && iface.description !== iface.name && <p className="muted small">{iface.description}</p>}
      <ul className="addresses" aria-label={`Addresses of ${iface.name}`}>
        {iface.addresses.length === 0 && <li className="muted">no addresses</li>}
        {iface.addresses.map((a) => (
          <li key={`${a.address}/${a.prefix}`}>
            <code>
              {a.address}/{a.prefix}
            </code>
          </li>
        ))}
      </ul>
      <div className="iface-foot">
        {values.length > 1 ? (
          <>
            <Sparkline values={values} label={`Traffic on ${iface.name} over the last minute`} />
            <span className="rate">{current !== null ? formatBitRate(current) : ''}</span>
          </>
        ) : (
          <span className="muted small">{capturing ? 'waiting for the first second…' : 'live rate shows while captured'}</span>
        )}
        {capturing ? (
          <span className="badge live">capturing</span>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={!iface.canCapture}
            title={iface.canCapture ? undefined : 'Capture rights are missing for this interface'}
            aria-label={`Capture on ${iface.name}`}
            onClick={() => void controller.startCapture({ kind: 'live', interfaces: [iface.name] }).then((ok) => ok && controller.showOverview())}
          >
            Capture
          </button>
        )}
      </div>
    </li>
  );
}

/** A capture file the user picks: the desktop app's file dialog, or a file sent from this browser to `netmon serve`. */
function OpenFilePanel() {
  const controller = useController();
  const { capture } = useAppShallow((s) => ({ capture: s.capture }));
  const [file, setFile] = useState<File | null>(null);
  const [speed, setSpeed] = useState('0');
  const [busy, setBusy] = useState(false);
  const inElectron = controller.transport.kind === 'electron';
  const replaying = capture?.source?.kind === 'replay' && (capture.state === 'running' || capture.state === 'starting');
  const progress = capture?.source?.kind === 'replay' ? capture.progress : null;
  return (
    <section className="panel" aria-labelledby="open-title">
      <h2 id="open-title">Open a capture file</h2>
      <p className="muted">Analyse a pcap or pcapng file instead of live traffic. No capture rights needed.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void controller.openCaptureFile(file, Number(speed)).then((ok) => {
            setBusy(false);
            if (ok) controller.showOverview();
          });
        }}
      >
        {!inElectron && (
          <label className="grow">
            <span>Capture file (sent to the server)</span>
            <input type="file" accept=".pcap,.pcapng,.cap" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
        )}
        <label>
          <span>Speed</span>
          <select value={speed} onChange={(e) => setSpeed(e.target.value)}>
            <option value="0">as fast as possible</option>
            <option value="1">real time</option>
            <option value="10">10× real time</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy || (!inElectron && file === null)}>
          {inElectron ? 'Choose a file…' : busy ? 'Sending…' : 'Open'}
        </button>
      </form>
      {progress !== null && (
        <div className="progress-row">
          <progress max={1} value={progress} aria-label="Capture file progress" />
          <span>{replaying ? `${Math.round(progress * 100)} %` : 'done'}</span>
        </div>
      )}
    </section>
  );
}

export function InterfacesView() {
  const { interfaces, error } = useAppShallow((s) => ({ interfaces: s.interfaces, error: s.interfacesError }));
  const controller = useController();
  // Interfaces that are up and have addresses are the ones people pick; keep the system's order otherwise.
  const sorted = useMemo(() => {
    const rank = (i: InterfaceInfo): number => (i.up ? 0 : 2) + (i.addresses.length > 0 ? 0 : 1);
    return interfaces.map((iface, n) => ({ iface, n })).sort((x, y) => rank(x.iface) - rank(y.iface) || x.n - y.n).map((x) => x.iface);
  }, [interfaces]);
  return (
    <div className="view">
      <header className="view-head">
        <h1>Interfaces</h1>
        <button type="button" onClick={() => void controller.refreshInterfaces()}>
          Refresh
        </button>
      </header>
      <StartPanel />
      <RightsPanel />
      {error && (
        <p role="alert" className="notice error">
          Could not list interfaces: {error}
        </p>
      )}
      <ul className="iface-grid" aria-label="Network interfaces">
        {sorted.map((i) => (
          <InterfaceCard key={i.name} iface={i} />
        ))}
      </ul>
      <OpenFilePanel />
    </div>
  );
}
