import { useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { formatCount } from '../format/units';
import { filterFlows } from '../state/flow-filter';
import { sortFlows } from '../state/flow-sort';
import { flowOfHost, useHosts } from '../state/hosts';
import type { FlowTable as FlowTableState } from '../state/flows';
import { replaceFlows } from '../state/flows';
import { selectShownTable } from '../state/store';
import type { CaptureSession } from '../transport/api-types';
import { useApp, useAppShallow, useController } from './app-context';
import { FlowDetail } from './flow-detail';
import { FlowFilterBar } from './flow-filter-bar';
import { FlowTable } from './flow-table';
import { SessionPicker } from './session-picker';

export function FlowsView() {
  const liveTable = useApp(selectShownTable);
  const current = useApp((s) => s.capture?.captureId ?? null);
  const controller = useController();
  // An earlier capture session picked to read: its logged flows, in place of the current capture's.
  const [past, setPast] = useState<{ id: string; table: FlowTableState } | null>(null);
  const pickSession = useCallback(
    (session: CaptureSession | null) => {
      if (session === null) {
        setPast(null);
        return;
      }
      void controller.sessionFlows(session.id).then((flows) => {
        if (flows !== null) setPast({ id: session.id, table: replaceFlows(session.id, flows) });
      });
    },
    [controller],
  );
  // Opened on an earlier session's application (the Applications screen): that session's logged flows.
  const takeFlowsSession = useApp((s) => s.takeFlowsSession);
  const wanted = useApp((s) => s.flowsSession);
  useEffect(() => {
    if (wanted === null) return;
    const session = takeFlowsSession();
    // The view opens on the current capture: only an earlier session needs loading.
    if (session === null || session === current) return;
    void controller.sessionFlows(session).then((flows) => {
      if (flows !== null) setPast({ id: session, table: replaceFlows(session, flows) });
    });
  }, [wanted, current, controller, takeFlowsSession]);
  const table = past?.table ?? liveTable;
  const { filter, sort, selectedCount, detailId, openDetail, clearSelection, selectAll, setView } = useAppShallow((s) => ({
    filter: s.filter,
    sort: s.sort,
    selectedCount: s.selection.selected.size,
    detailId: s.detailId,
    openDetail: s.openDetail,
    clearSelection: s.clearSelection,
    selectAll: s.selectAll,
    setView: s.setView,
  }));
  // Typing, scrolling and selecting stay responsive with 100k flows: React filters and sorts the new rows when it
  // has time, and keeps showing the previous ones meanwhile.
  const host = useHosts((s) => s.probe);
  const deferredFilter = useDeferredValue(filter);
  const deferredTable = useDeferredValue(table);
  const filtered = useMemo(
    () => filterFlows(deferredTable.flows.values(), deferredFilter).filter((f) => flowOfHost(f, host)),
    [deferredTable, deferredFilter, host],
  );
  const rows = useMemo(() => sortFlows(filtered, sort), [filtered, sort]);
  const order = useMemo(() => rows.map((r) => r.id), [rows]);
  return (
    <div className="view flows-view">
      <header className="view-head">
        <h1>Flows</h1>
        <SessionPicker current={current} value={past?.id ?? null} onChange={pickSession} />
        <p className="muted" aria-live="polite" data-testid="flow-count">
          {filter.active || host !== null ? `${formatCount(rows.length)} of ${formatCount(table.flows.size)} flows` : `${formatCount(table.flows.size)} flows`}
          {table.dropped > 0 && ` · ${formatCount(table.dropped)} older flows let go to stay within memory`}
        </p>
        <div className="controls">
          <span className="muted" data-testid="selected-count">
            {formatCount(selectedCount)} selected
          </span>
          <button type="button" onClick={() => selectAll(order)} disabled={rows.length === 0}>
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
        <FlowTable rows={rows} order={order} label="Flows" />
        {detailId && <FlowDetail id={detailId} onClose={() => openDetail(null)} />}
      </div>
    </div>
  );
}
