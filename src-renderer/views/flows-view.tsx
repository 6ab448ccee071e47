import { useCallback, useEffect, useMemo, useState } from 'react';
import { formatCount } from '../format/units';
import { apiSortOf } from '../state/flow-sort';
import type { WindowQuery } from '../state/flow-window';
import { idsOfQuery, queryKey } from '../state/flow-window';
import { useHosts } from '../state/hosts';
import { selectShownRevision } from '../state/store';
import type { CaptureSession } from '../transport/api-types';
import { useApp, useAppShallow, useController } from './app-context';
import { FlowDetail } from './flow-detail';
import { FlowFilterBar } from './flow-filter-bar';
import { FlowTable } from './flow-table';
import { SessionPicker } from './session-picker';
import { useFlowWindow } from './use-flow-window';

/** The most flows "Select all shown" selects: what one export takes (main's bound). */
export const MAX_SELECT_ALL = 100_000;

export function FlowsView() {
  const current = useApp((s) => s.capture?.captureId ?? null);
  const controller = useController();
  // An earlier capture session picked to read: its logged flows, in place of the current capture's.
  const [past, setPast] = useState<string | null>(null);
  const pickSession = useCallback((session: CaptureSession | null) => setPast(session?.id ?? null), []);
  // Opened on an earlier session's application (the Applications screen): that session's logged flows.
  const takeFlowsSession = useApp((s) => s.takeFlowsSession);
  const wanted = useApp((s) => s.flowsSession);
  useEffect(() => {
    if (wanted === null) return;
    const session = takeFlowsSession();
    // The view opens on the current capture: only an earlier session needs picking.
    // Taken from the store in the effect; shown from the next render, as the picker's choice would be.
    if (session !== null && session !== current) void Promise.resolve(session).then(setPast);
  }, [wanted, current, takeFlowsSession]);
  const { filter, sort, selectedCount, detailId, openDetail, clearSelection, selectAll, setView, setNotice } = useAppShallow((s) => ({
    filter: s.filter,
    sort: s.sort,
    selectedCount: s.selection.selected.size,
    detailId: s.detailId,
    openDetail: s.openDetail,
    clearSelection: s.clearSelection,
    selectAll: s.selectAll,
    setView: s.setView,
    setNotice: s.setNotice,
  }));
  const host = useHosts((s) => s.probe);
  // Main filters and sorts: the current capture's flows live and logged, or an earlier session's logged ones.
  const query = useMemo((): WindowQuery => {
    const session = past === null ? {} : { session: past };
    const probe = host === null ? {} : { probe: host };
    return { scope: past === null ? 'all' : 'finished', filter: { ...filter.query, ...probe, ...session }, sort: apiSortOf(sort) };
  }, [filter, sort, host, past]);
  const filtered = filter.active || host !== null;
  const unfiltered = useMemo((): WindowQuery | null => (filtered ? { ...query, filter: past === null ? {} : { session: past } } : null), [filtered, query, past]);
  const revision = useApp(selectShownRevision);
  // Main lists the current capture's flows once the page knows which capture that is (its first status): the
  // session picker and the selection go by it.
  const statusKnown = useApp((s) => s.capture !== null);
  const { window, unfilteredTotal, error, setVisible } = useFlowWindow(controller, query, unfiltered, revision, statusKnown);
  const total = window?.total ?? 0;

  const [selecting, setSelecting] = useState(false);
  const selectAllShown = useCallback(() => {
    if (selecting) return;
    setSelecting(true);
    void idsOfQuery((q) => controller.queryFlows(q), query, MAX_SELECT_ALL).then((r) => {
      setSelecting(false);
      if (!r.ok) return setNotice({ kind: 'error', text: `Selecting the flows shown: ${r.error.message}` });
      selectAll(r.value.ids);
      if (r.value.more) setNotice({ kind: 'info', text: `Selected the first ${formatCount(MAX_SELECT_ALL)} flows shown, as many as one export takes; narrow the filter for the rest.` });
    });
  }, [selecting, controller, query, selectAll, setNotice]);

  // The count of the rows on screen: it changes with them when a new filter's window arrives.
  let countText = 'Loading flows…';
  if (window !== null) countText = unfilteredTotal !== null ? `${formatCount(total)} of ${formatCount(unfilteredTotal)} flows` : `${formatCount(total)} flows`;
  return (
    <div className="view flows-view">
      <header className="view-head">
        <h1>Flows</h1>
        <SessionPicker current={current} value={past} onChange={pickSession} />
        <p className="muted" aria-live="polite" data-testid="flow-count">
          {countText}
          {error !== null && ` · could not load the flows: ${error}`}
        </p>
        <div className="controls">
          <span className="muted" data-testid="selected-count">
            {selecting ? 'selecting…' : `${formatCount(selectedCount)} selected`}
          </span>
          <button type="button" onClick={selectAllShown} disabled={total === 0 || selecting}>
            Select all shown
          </button>
          <button type="button" onClick={clearSelection} disabled={selectedCount === 0}>
            Clear selection
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => setView('export')}
            disabled={selectedCount === 0}
            title={selectedCount === 0 ? 'Select flows first (click, Ctrl-click, Shift-click)' : 'Save the packets of the selected flows as a capture file'}
          >
            Export selected…
          </button>
        </div>
      </header>
      <FlowFilterBar />
      <div className={`flows-split${detailId ? ' with-detail' : ''}`}>
        <FlowTable total={total} window={window} label="Flows" listKey={queryKey(query)} onRange={setVisible} onSelectAll={selectAllShown} />
        {detailId && <FlowDetail id={detailId} onClose={() => openDetail(null)} />}
      </div>
    </div>
  );
}
