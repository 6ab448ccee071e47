import { useEffect, useRef, useState } from 'react';
import { formatLocalDateTime, parseLocalDateTime } from '../../format/time';
import { formatCount } from '../../format/units';
import type { Controller } from '../../state/controller';
import type { ExportProgress, ExportRequest, FlowFilter } from '../../transport/api-types';
import { TOKEN_KEY, tokenStorage } from '../../transport/connect';
import { useAppShallow, useController } from '../app-context';
import type { ExportDone, RunningExport } from './run-export';
import { runExport } from './run-export';

type Scope = 'selected' | 'filtered' | 'all';

/** A typed time bound: absent when empty, milliseconds, or why it cannot be read. */
function boundOf(text: string): number | undefined | { error: string } {
  return text.trim() === '' ? undefined : parseLocalDateTime(text);
}

/** Ids a flow filter may list (main's bound): a larger selection's time span is not looked up. */
const MAX_FILTER_IDS = 10_000;

interface Extent {
  /** Flows the filter keeps. */
  count: number;
  /** Their first and last packet, for the time range's hint. */
  span: { from: number; to: number } | null;
}

/** How many flows of the current capture a filter keeps and when they ran, asked of main (null: not known). */
async function extentOf(controller: Controller, filter: FlowFilter): Promise<Extent | null> {
  const first = await controller.queryFlows({ scope: 'all', filter, sort: { key: 'firstSeen', dir: 'asc' }, offset: 0, limit: 1 });
  const last = await controller.queryFlows({ scope: 'all', filter, sort: { key: 'lastSeen', dir: 'desc' }, offset: 0, limit: 1 });
  if (!first.ok || !last.ok) return null;
  const [a, b] = [first.value.flows[0], last.value.flows[0]];
  return { count: first.value.total, span: a !== undefined && b !== undefined ? { from: a.firstSeenMs, to: b.lastSeenMs } : null };
}

/** `extentOf` as state, asked again when the filter changes (null: no filter to ask about). */
function useExtent(controller: Controller, filter: FlowFilter | null): Extent | null {
  const key = filter === null ? null : JSON.stringify(filter);
  const [extent, setExtent] = useState<{ key: string | null; value: Extent | null }>({ key: null, value: null });
  useEffect(() => {
    if (key === null) return;
    let live = true;
    void extentOf(controller, JSON.parse(key) as FlowFilter).then((value) => {
      if (live) setExtent({ key, value });
    });
    return () => {
      live = false;
    };
  }, [controller, key]);
  return extent.key === key ? extent.value : null;
}

/** Cut a pcap/pcapng of the selected flows, the flows the filter shows, or the whole capture. */
export function ExportView() {
  const controller = useController();
  const { selected, filter } = useAppShallow((s) => ({ selected: s.selection.selected, filter: s.filter }));
  const [scope, setScope] = useState<Scope>(selected.size > 0 ? 'selected' : 'all');
  const [format, setFormat] = useState<'pcapng' | 'pcap'>('pcapng');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [result, setResult] = useState<ExportDone | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<RunningExport | null>(null);
  const [busy, setBusy] = useState(false);

  // Main holds the flows: the counts and time spans of the choices are asked of it.
  const filteredExtent = useExtent(controller, filter.query);
  const selectedExtent = useExtent(controller, scope === 'selected' && selected.size > 0 && selected.size <= MAX_FILTER_IDS ? { ids: [...selected] } : null);
  const wholeExtent = useExtent(controller, scope === 'all' ? {} : null);
  const scopedCount = scope === 'selected' ? selected.size : scope === 'filtered' ? filteredExtent?.count ?? null : null;
  const span = (scope === 'selected' ? selectedExtent : scope === 'filtered' ? filteredExtent : wholeExtent)?.span ?? null;
  const fromMs = boundOf(from);
  const toMs = boundOf(to);
  const rangeError =
    typeof fromMs === 'number' && typeof toMs === 'number' && fromMs > toMs ? '"From" is after "To": nothing falls between them' : null;
  const fieldsOk = typeof fromMs !== 'object' && typeof toMs !== 'object' && rangeError === null;
  const canStart = !busy && fieldsOk && scopedCount !== 0;

  const start = () => {
    if (typeof fromMs === 'object' || typeof toMs === 'object') return;
    const request: ExportRequest = {
      format,
      // The selected flows by id, exactly; the filtered ones as the filter, which main resolves to the flows it keeps.
      ...(scope === 'selected' ? { flowIds: [...selected] } : scope === 'filtered' ? { filter: filter.query } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
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

  const choices: ReadonlyArray<{ value: Scope; title: string; detail: string; count: number | null }> = [
    { value: 'selected', title: 'Selected flows', detail: 'the rows selected in the flow table', count: selected.size },
    { value: 'filtered', title: 'Flows the filter shows', detail: filter.active ? 'the rows the flow table filter keeps' : 'no filter: every flow', count: filteredExtent?.count ?? null },
    { value: 'all', title: 'Whole capture', detail: 'every packet still in the spool', count: null },
  ];
  const total = progress?.packetsTotal ?? 0;
  return (
    <div className="view export-view">
      <header className="view-head">
        <h1>Export</h1>
      </header>
      <section className="panel form-panel" aria-labelledby="export-title">
        <h2 id="export-title">Save packets as a capture file</h2>
        <p className="muted">The packets come from the capture helper's spool of recent traffic; what already left it is counted in the summary.</p>
        <fieldset className="choices">
          <legend>Packets of</legend>
          {choices.map((c) => (
            <label key={c.value} className="choice">
              <input type="radio" name="scope" checked={scope === c.value} onChange={() => setScope(c.value)} />
              <span className="choice-title">
                {c.title}
                {c.count !== null && ` (${formatCount(c.count)})`}
              </span>
              <span className="muted small">{c.detail}</span>
            </label>
          ))}
        </fieldset>
        <div className="form-grid">
          <label>
            <span>Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value === 'pcap' ? 'pcap' : 'pcapng')} aria-label="Format" aria-describedby="format-hint">
              <option value="pcapng">pcapng</option>
              <option value="pcap">pcap</option>
            </select>
            <span id="format-hint" className="muted small">
              {format === 'pcapng' ? "Wireshark's default; keeps interface names" : 'the classic format every tool reads'}
            </span>
          </label>
          <TimeField id="export-from" label="From (optional)" value={from} onChange={setFrom} parsed={fromMs} />
          <TimeField id="export-to" label="To (optional)" value={to} onChange={setTo} parsed={toMs} />
        </div>
        <p className="muted small" data-testid="export-span">
          Local time, as the app shows it.
          {span && ` These flows ran from ${formatLocalDateTime(span.from)} to ${formatLocalDateTime(span.to)}.`}
        </p>
        {rangeError && (
          <p className="field-error" role="alert">
            {rangeError}
          </p>
        )}
        <div className="row">
          <button type="button" className="primary" disabled={!canStart} onClick={start}>
            Export
          </button>
          {busy && (
            <button type="button" onClick={() => running.current?.cancel()}>
              Cancel
            </button>
          )}
          {scopedCount === 0 && <span className="muted">No flow to export: pick another choice above.</span>}
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

/** A local date and time typed as ISO text, checked as it is typed. */
function TimeField({ id, label, value, onChange, parsed }: { id: string; label: string; value: string; onChange: (v: string) => void; parsed: number | undefined | { error: string } }) {
  const bad = typeof parsed === 'object';
  return (
    <label>
      <span>{label}</span>
      <input
        type="text"
        inputMode="numeric"
        value={value}
        placeholder="YYYY-MM-DD HH:MM:SS"
        spellCheck={false}
        aria-invalid={bad}
        aria-describedby={bad ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {bad && (
        <em id={`${id}-error`} className="field-error">
          {parsed.error}
        </em>
      )}
    </label>
  );
}
