import { useEffect } from 'react';
import { formatCount } from '../format/units';
import { useHosts } from '../state/hosts';
import type { ProbeStatus } from '../transport/api-types';
import { useController } from './app-context';

/** How often the probes' states (joining, live, lagging, gone) and gaps are asked for. */
const PROBES_INTERVAL_MS = 2000;

function probeTitle(p: ProbeStatus): string {
  const parts = [`${p.name}: ${p.state}`, `capture ${p.captureState}`, `${formatCount(p.packets)} packets`];
  if (p.lagMs >= 1000) parts.push(`${(p.lagMs / 1000).toFixed(1)} s behind`);
  parts.push(`${p.gaps} gaps (${p.missedMessages} messages lost on the bus)`, `${p.silences} silences`);
  if (p.probeDropped > 0) parts.push(`${p.probeDropped} messages dropped by the probe while disconnected`);
  if (p.restarts > 0) parts.push(`${p.restarts} restarts`);
  if (p.lastError !== null) parts.push(`last error: ${p.lastError}`);
  return parts.join(' · ');
}

/**
 * `serve --nats`: pick all hosts or one, and see every probe's state and the
 * gaps in what it sent. Shows nothing when serve hears no probes.
 */
export function HostPicker() {
  const controller = useController();
  const { probe, probes, setProbe, setProbes } = useHosts();
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const r = await controller.transport.request('probes.list', {}).catch(() => null);
      if (!stopped && r !== null) setProbes(r.ok ? r.value : []);
    };
    void poll();
    const timer = setInterval(() => void poll(), PROBES_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [controller, setProbes]);
  if (probes.length === 0) return null;
  return (
    <div className="hosts" data-testid="host-picker">
      <label className="inline">
        <span>Host</span>
        <select aria-label="Host" value={probe ?? ''} onChange={(e) => setProbe(e.target.value === '' ? null : e.target.value)}>
          <option value="">All hosts ({probes.length})</option>
          {probes.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} ({p.state})
            </option>
          ))}
        </select>
      </label>
      <ul className="probe-list" aria-label="Probes">
        {probes.map((p) => (
          <li key={p.name} className={`pill probe ${p.state}`} title={probeTitle(p)} data-testid={`probe-${p.name}`}>
            {p.name} · {p.state}
            {p.gaps + p.silences > 0 && ` · ${p.gaps} gaps, ${p.silences} silences`}
          </li>
        ))}
      </ul>
    </div>
  );
}
