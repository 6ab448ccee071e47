import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { FlowSummary } from '../transport/api-types';
import type { FlowSort } from '../state/flow-sort';
import type { GridLayout } from './flow-columns';
import { gridLayout, needsDates } from './flow-columns';
import { useApp, useAppShallow, useServices } from './app-context';

export const ROW_HEIGHT = 28;
const HEADER_HEIGHT = 40;

interface Props {
  rows: readonly FlowSummary[];
  order: readonly string[];
  label: string;
}

const rowDomId = (id: string): string => `flow-row-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const Header = memo(function Header({ sort, onSort, layout }: { sort: FlowSort; onSort: (c: FlowSort['column']) => void; layout: GridLayout }) {
  return (
    <div role="rowgroup" className="grid-head">
      <div role="row" aria-rowindex={1} className="grid-row" style={{ gridTemplateColumns: layout.template, minWidth: layout.minWidth }}>
        {layout.columns.map((c) => {
          const sorted = sort.column === c.id;
          return (
            <div
              key={c.id}
              role="columnheader"
              aria-sort={sorted ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
              className={c.numeric ? 'num' : undefined}
              title={c.description}
            >
              <button type="button" className="sort" onClick={() => onSort(c.id)}>
                {c.title}
                <span aria-hidden className="sort-mark">
                  {sorted ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
                </span>
                {c.subtitle && <span className="sub">{` ${c.subtitle}`}</span>}
              </button>
            </div>
          );
        })}
      </div>
    </div>
  );
});

const Row = memo(function Row({
  flow,
  index,
  top,
  selected,
  focused,
  nowMs,
  layout,
  onClick,
}: {
  flow: FlowSummary;
  index: number;
  top: number;
  selected: boolean;
  focused: boolean;
  nowMs: number;
  layout: GridLayout;
  onClick: (e: MouseEvent, id: string) => void;
}) {
  return (
    <div
      role="row"
      id={rowDomId(flow.id)}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-flow-id={flow.id}
      className={`grid-row body${selected ? ' selected' : ''}${focused ? ' focused' : ''}${flow.active ? '' : ' ended'}`}
      style={{ transform: `translateY(${top}px)`, gridTemplateColumns: layout.template, minWidth: layout.minWidth }}
      onMouseDown={(e) => {
        // Shift-click extends the selection; it must not also select the text of the rows.
        if (e.shiftKey) e.preventDefault();
      }}
      onClick={(e) => onClick(e, flow.id)}
    >
      {layout.columns.map((c) => (
        <div key={c.id} role="gridcell" className={[c.numeric ? 'num' : '', c.cellClass?.(flow) ?? ''].join(' ').trim() || undefined} title={c.tip(flow, nowMs)}>
          {c.cell(flow, nowMs)}
        </div>
      ))}
    </div>
  );
});

/** An element's inner width in px, kept up to date as it resizes (0 before it is laid out). */
function useElementWidth(ref: { current: HTMLElement | null }): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (el === null || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** The flow table: an ARIA grid whose body renders only the rows in view, so 100k flows cost what 40 do. */
export function FlowTable({ rows, order, label }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { store } = useServices();
  const { sort, selection, sortBy, clickRow, moveFocus, toggleFocused, selectAll, clearSelection, openDetail } = useAppShallow((s) => ({
    sort: s.sort,
    selection: s.selection,
    sortBy: s.sortBy,
    clickRow: s.clickRow,
    moveFocus: s.moveFocus,
    toggleFocused: s.toggleFocused,
    selectAll: s.selectAll,
    clearSelection: s.clearSelection,
    openDetail: s.openDetail,
  }));
  // "Today" for the seen columns is the capture's latest second (a replayed file may be years old).
  const [openedAt] = useState(() => Date.now());
  const nowMs = useApp((s) => s.traffic.latest?.tsMs ?? openedAt);
  const withDates = useMemo(() => needsDates(rows, nowMs), [rows, nowMs]);
  const width = useElementWidth(scrollRef);
  const layout = useMemo(() => gridLayout(withDates, width), [withDates, width]);
  // The virtualizer is a mutable object by design; the rows below are derived from it on each render.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey: (i) => rows[i].id,
    // The sticky header sits above the rows inside the same scroller.
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
  });

  const focusIndex = selection.focus === null ? -1 : order.indexOf(selection.focus);
  useEffect(() => {
    if (focusIndex >= 0) virtualizer.scrollToIndex(focusIndex, { align: 'auto' });
  }, [focusIndex, virtualizer]);

  const onRowClick = useCallback(
    (e: MouseEvent, id: string) => {
      clickRow(order, id, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
      openDetail(id);
      scrollRef.current?.focus({ preventScroll: true });
    },
    [clickRow, openDetail, order],
  );

  const pageRows = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
  const onKeyDown = (e: KeyboardEvent): void => {
    const move = (delta: number): void => {
      e.preventDefault();
      moveFocus(order, delta, e.shiftKey);
      const next = store.getState().selection.focus;
      if (next !== null) openDetail(next);
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(1);
      case 'ArrowUp':
        return move(-1);
      case 'PageDown':
        return move(pageRows);
      case 'PageUp':
        return move(-pageRows);
      case 'Home':
        return move(-order.length);
      case 'End':
        return move(order.length);
      case ' ':
        e.preventDefault();
        toggleFocused();
        return;
      case 'Enter':
        if (selection.focus) openDetail(selection.focus);
        return;
      case 'Escape':
        clearSelection();
        return;
      case 'a':
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          selectAll(order);
        }
        return;
      default:
        return;
    }
  };

  const items = virtualizer.getVirtualItems();
  const activeId = selection.focus !== null && focusIndex >= 0 ? rowDomId(selection.focus) : undefined;
  return (
    <div
      ref={scrollRef}
      role="grid"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      aria-colcount={layout.columns.length}
      aria-multiselectable
      aria-activedescendant={activeId}
      aria-describedby="flow-grid-keys"
      tabIndex={0}
      className="flow-grid"
      onKeyDown={onKeyDown}
    >
      <Header sort={sort} onSort={sortBy} layout={layout} />
      <div role="rowgroup" className="grid-body" style={{ height: virtualizer.getTotalSize(), minWidth: layout.minWidth }}>
        {items.map((item) => {
          const flow = rows[item.index];
          return (
            <Row
              key={item.key}
              flow={flow}
              index={item.index}
              top={item.start - HEADER_HEIGHT}
              selected={selection.selected.has(flow.id)}
              focused={selection.focus === flow.id}
              nowMs={nowMs}
              layout={layout}
              onClick={onRowClick}
            />
          );
        })}
      </div>
      {rows.length === 0 && <p className="empty">No flows match.</p>}
      <p id="flow-grid-keys" hidden>
        Arrows move, Shift extends the selection, Space toggles a row, Ctrl+A selects all, Escape clears.
      </p>
    </div>
  );
}
