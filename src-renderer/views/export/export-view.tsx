import { useMemo, useRef, useState } from 'react';
import { formatCount } from '../../format/units';
import { filterFlows } from '../../state/flow-filter';
import { selectShownTable } from '../../state/store';
import type { ExportProgress, ExportRequest } from '../../transport/api-types';
import { TOKEN_KEY, tokenStorage } from '../../transport/connect';
import { useApp, useAppShallow, useController } from '../app-context';
import type { ExportDone, RunningExport } from './run-export';
import { runExport } from './run-export';

type Scope = 'selected' | 'filtered' | 'all';

/** The form's labels stack their text above the control; a radio choice reads on one line. */
const CHOICE = { display: 'flex', flexDirection: 'row', alignItems: 'center', gap: '0.5em' } as const;

/** A `datetime-local` value as milliseconds since the epoch; absent when empty. */
function timeOf(value: string): number | undefined {
  if (value === '') return undefined;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** Cut a pcap/pcapng of the selected flows, the flows the filter shows, or the whole capture. */
export function ExportView() {
  const controller = useController();
  const table = useApp(selectShownTable);
  const { selected, filter } = useAppShallow((s) => ({ selected: s.selection.selected, filter: s.filter }));
  const filteredIds = useMemo(() => filterFlows(table.flows.values(), filter).map((f) => f.id), [table, filter]);
  const selectedIds = useMemo(() => [...selected].filter((id) => table.flows.has(id)), [selected, table]);
  const [scope, setScope] = useState<Scope>(selectedIds.length > 0 ? 'selected' : 'all');
  const [format, setFormat] = useState<'pcapng' | 'pcap'>('pcapng');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [result, setResult] = useState<ExportDone | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<RunningExport | null>(null);
  const [busy, setBusy] = useState(false);

  const ids = scope === 'selected' ? selectedIds : scope === 'filtered' ? filteredIds : null;
  const canStart = !busy && (ids === null || ids.length > 0);

  const start = () => {
    const request: ExportRequest = {
      format,
      ...(ids !== null ? { flowIds: ids } : {}),
      ...(timeOf(from) !== undefined ? { fromMs: timeOf(from) } : {}),
      ...(timeOf(to) !== undefined ? { toMs: timeOf(to) } : {}),
    };
    setBusy(true);
    setProgress(null);
    setResult(null);
    setError(null);
    const run = runExport(controller.transport, request, tokenStorage()?.getItem(TOKEN_KEY) ?? null, setProgress);
    running.current = run;
    void run.done.then((r) => {
      running.current = null;
      setBusy(false);
      if (r.ok) setResult(r.value);
      else setError(r.error.message);
    });
  };

  const total = progress?.packetsTotal ?? 0;
  return (
    <div className="view export-view">
      <header className="view-head">
        <h1>Export</h1>
      </header>
      <section className="panel" aria-labelledby="export-title">
        <h2 id="export-title">Save packets as a capture file</h2>
        <p className="muted">The packets come from the capture helper's spool of recent traffic; what already left it is counted in the summary.</p>
        <fieldset className="export-scope">
          <legend>Packets of</legend>
          <label style={CHOICE}>
            <input type="radio" name="scope" checked={scope === 'selected'} onChange={() => setScope('selected')} />
            the selected flows ({formatCount(selectedIds.length)})
          </label>
          <label style={CHOICE}>
            <input type="radio" name="scope" checked={scope === 'filtered'} onChange={() => setScope('filtered')} />
            the flows the filter shows ({formatCount(filteredIds.length)})
          </label>
          <label style={CHOICE}>
            <input type="radio" name="scope" checked={scope === 'all'} onChange={() => setScope('all')} />
            the whole capture
          </label>
        </fieldset>
        <div className="row">
          <label>
            <span>Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value === 'pcap' ? 'pcap' : 'pcapng')} aria-label="Format">
              <option value="pcapng">pcapng</option>
              <option value="pcap">pcap</option>
            </select>
          </label>
          <label>
            <span>From (optional)</span>
            <input type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From" />
          </label>
          <label>
            <span>To (optional)</span>
            <input type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To" />
          </label>
          <button type="button" className="primary" disabled={!canStart} onClick={start}>
            Export
          </button>
          {busy && (
            <button type="button" onClick={() => running.current?.cancel()}>
              Cancel
            </button>
          )}
        </div>
        {busy && (
          <div className="progress-row">
            <progress max={total > 0 ? total : 1} value={total > 0 ? Math.min(progress?.packets ?? 0, total) : undefined} aria-label="Export progress" />
            <span>{progress === null ? 'starting…' : `${formatCount(progress.packets)} of ${formatCount(total)} packets`}</span>
          </div>
        )}
        {error !== null && (
          <p role="alert" className="notice error">
            Export failed: {error}
          </p>
        )}
        {result !== null && (
          <p role="status" className="notice info export-summary">
            {result.cancelled
              ? 'Export cancelled.'
              : `Saved ${formatCount(result.packets)} packets (${formatCount(result.bytes)} bytes) to ${result.location}.` +
                (result.missingPackets > 0 ? ` ${formatCount(result.missingPackets)} packets had already left the spool and are not in the file.` : ' Every packet was still in the spool.')}
          </p>
        )}
      </section>
    </div>
  );
}
