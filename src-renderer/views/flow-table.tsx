import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';
import { flushSync } from 'react-dom';
import type { FlowSummary } from '../transport/api-types';
import type { FlowSort } from '../state/flow-sort';
import type { LoadedWindow } from '../state/flow-window';
import type { GridLayout } from './flow-columns';
import { gridLayout, needsDates } from './flow-columns';
import type { TextWidth } from './cell-fit';
import { canvasTextWidth, mustClip } from './cell-fit';
import { useApp, useAppShallow, useServices } from './app-context';

export const ROW_HEIGHT = 28;
const HEADER_HEIGHT = 40;

/** The tallest body the table lays out; a longer list maps the scroll range onto its rows (browsers stop laying out
 *  elements at 17-33 million px, and a million flows are 28 million). */
export const MAX_BODY_PX = 8_000_000;
/** Rows rendered beyond each edge of the view, for the browser to scroll into before the table draws again. */
const OVERSCAN = 10;
/** The same for a list mapped onto a shorter body: the table places every frame's rows itself as the view scrolls
 *  (the browser moves the body less than the rows move), so rows beyond the view are never shown ahead of it. */
const MAPPED_OVERSCAN = 2;
/** The pointer acts on rows again once the view has not scrolled for this long. */
const SCROLL_IDLE_MS = 150;

interface Props {
  /** Rows the list has (main's count for the query). */
  total: number;
  /** The rows held: a run of the list from one index; the rest of the list is fetched as it scrolls into view. */
  window: LoadedWindow | null;
  label: string;
  /** Changes when the list starts over (another filter or sort): the table goes back to its top. */
  listKey: string;
  /** The rows in view changed: [first, last). */
  onRange: (first: number, last: number) => void;
  /** Ctrl+A: every flow the list shows, as the button does. */
  onSelectAll: () => void;
}

/** Where the rows in view start in the list, for a scroll offset: 1:1 while the body fits, mapped beyond. */
export function scrollGeometry(
  total: number,
  scrollTop: number,
  viewHeight: number,
): { bodyHeight: number; mapped: boolean; scale: number; offset: number; first: number; last: number } {
  const full = total * ROW_HEIGHT;
  const mapped = full > MAX_BODY_PX;
  const bodyHeight = Math.min(full, MAX_BODY_PX);
  // List pixels one scroll pixel moves through: 1, or more for a list mapped onto a shorter body.
  const scale = mapped ? Math.max(0, full - viewHeight) / Math.max(1, bodyHeight - viewHeight) : 1;
  const offset = !mapped ? scrollTop : Math.min(scrollTop, Math.max(1, bodyHeight - viewHeight)) * scale;
  const first = Math.max(0, Math.min(total, Math.floor(offset / ROW_HEIGHT)));
  const last = Math.max(first, Math.min(total, Math.ceil((offset + viewHeight) / ROW_HEIGHT)));
  return { bodyHeight, mapped, scale, offset, first, last };
}

/** The scroll offset that shows a row at the top of the view (the inverse of `scrollGeometry`). */
export function scrollTopOf(total: number, index: number, viewHeight: number): number {
  const { mapped, scale } = scrollGeometry(total, 0, viewHeight);
  const target = index * ROW_HEIGHT;
  return mapped ? Math.min(target, total * ROW_HEIGHT - viewHeight) / scale : target;
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
  textWidth,
  onClick,
}: {
  flow: FlowSummary;
  index: number;
  top: number;
  selected: boolean;
  focused: boolean;
  nowMs: number;
  layout: GridLayout;
  textWidth: TextWidth;
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
      style={{ top, gridTemplateColumns: layout.template, minWidth: layout.minWidth }}
      onMouseDown={(e) => {
        // Shift-click extends the selection; it must not also select the text of the rows.
        if (e.shiftKey) e.preventDefault();
      }}
      onClick={(e) => onClick(e, flow.id)}
    >
      {layout.columns.map((c, i) => {
        const text = c.cell(flow, nowMs);
        const classes = [c.numeric ? 'num' : '', mustClip(text, layout.widths[i], textWidth) ? 'cut' : '', c.cellClass?.(flow) ?? ''];
        return (
          <div key={c.id} role="gridcell" className={classes.join(' ').trim() || undefined} title={c.tip(flow, nowMs)}>
            {text}
          </div>
        );
      })}
    </div>
  );
});

/** An element's inner size in px, kept up to date as it resizes (0 before it is laid out). */
function useElementSize(ref: { current: HTMLElement | null }): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (el === null || typeof ResizeObserver === 'undefined') return;
    const measure = (): void => setSize((s) => (s.width === el.clientWidth && s.height === el.clientHeight ? s : { width: el.clientWidth, height: el.clientHeight }));
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    measure();
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/**
 * The flow table: an ARIA grid over a list main holds. It renders only the rows in view, from the window of rows
 * the Flows view fetched, so a million flows cost what 40 do; rows have one fixed height, so a scroll offset names
 * its rows without measuring.
 */
export function FlowTable({ total, window, label, listKey, onRange, onSelectAll }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { store } = useServices();
  const { sort, selection, sortBy, clickRow, moveFocus, toggleFocused, clearSelection, openDetail } = useAppShallow((s) => ({
    sort: s.sort,
    selection: s.selection,
    sortBy: s.sortBy,
    clickRow: s.clickRow,
    moveFocus: s.moveFocus,
    toggleFocused: s.toggleFocused,
    clearSelection: s.clearSelection,
    openDetail: s.openDetail,
  }));
  const rows = useMemo(() => window?.flows ?? [], [window]);
  // The loaded rows in list order: what Shift ranges and arrow keys move over.
  const order = useMemo(() => rows.map((r) => r.id), [rows]);
  const start = window?.start ?? 0;
  // "Today" for the seen columns is the capture's latest second (a replayed file may be years old).
  const [openedAt] = useState(() => Date.now());
  const nowMs = useApp((s) => s.traffic.latest?.tsMs ?? openedAt);
  const withDates = useMemo(() => needsDates(rows, nowMs), [rows, nowMs]);
  const { width, height } = useElementSize(scrollRef);
  const layout = useMemo(() => gridLayout(withDates, width), [withDates, width]);
  // The rows' font (app.css: 12px in the page's family), to tell which cells must clip their text.
  const [textWidth] = useState(() => canvasTextWidth(`12px ${getComputedStyle(document.body).fontFamily}`));
  const viewHeight = Math.max(ROW_HEIGHT, (height || ROW_HEIGHT * 20) - HEADER_HEIGHT);

  const [scrollTop, setScrollTop] = useState(0);
  // Another filter or sort: the list starts over from its top.
  const [listed, setListed] = useState(listKey);
  if (listed !== listKey) {
    setListed(listKey);
    setScrollTop(0);
  }
  useLayoutEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [listKey]);
  const geometry = scrollGeometry(total, scrollTop, viewHeight);
  const { first, last } = geometry;
  useEffect(() => onRange(first, last), [first, last, onRange]);

  // A list mapped onto a shorter body: the wheel still moves it by its own pixels, row by row, as a short list moves
  // (the scroll bar covers the whole list).
  const { mapped, scale } = geometry;
  useEffect(() => {
    const el = scrollRef.current;
    if (el === null || !mapped) return;
    const onWheel = (e: WheelEvent): void => {
      if (e.ctrlKey || e.deltaY === 0) return;
      e.preventDefault();
      const pixels = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? e.deltaY * ROW_HEIGHT : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? e.deltaY * viewHeight : e.deltaY;
      el.scrollTop += pixels / scale;
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [mapped, scale, viewHeight]);

  const scrollToRow = useCallback(
    (index: number) => {
      const el = scrollRef.current;
      if (el === null) return;
      const g = scrollGeometry(total, el.scrollTop, viewHeight);
      if (index >= g.first && index < g.last - 1) return;
      const top = index < g.first ? index : index - Math.floor(viewHeight / ROW_HEIGHT) + 1;
      el.scrollTop = scrollTopOf(total, Math.max(0, top), viewHeight);
    },
    [total, viewHeight],
  );

  const focusIndex = selection.focus === null ? -1 : order.indexOf(selection.focus);
  const focusRow = focusIndex >= 0 ? start + focusIndex : -1;
  useEffect(() => {
    if (focusRow >= 0) scrollToRow(focusRow);
  }, [focusRow, scrollToRow]);

  // Home and End go to the list's ends, which may not be loaded yet: the focus moves once they are.
  const pendingEdge = useRef<{ edge: 'home' | 'end'; extend: boolean } | null>(null);
  useEffect(() => {
    const pending = pendingEdge.current;
    if (pending === null || window === null || rows.length === 0) return;
    const reached = pending.edge === 'home' ? window.start === 0 : window.start + rows.length >= window.total;
    if (!reached) return;
    pendingEdge.current = null;
    moveFocus(order, pending.edge === 'home' ? -order.length : order.length, pending.extend);
    const next = store.getState().selection.focus;
    if (next !== null) openDetail(next);
  }, [window, rows, order, moveFocus, openDetail, store]);

  // Read at the click: one handler for every row, so a new window does not draw the rows it kept again.
  const orderRef = useRef(order);
  useLayoutEffect(() => {
    orderRef.current = order;
  }, [order]);
  const onRowClick = useCallback(
    (e: MouseEvent, id: string) => {
      clickRow(orderRef.current, id, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
      openDetail(id);
      scrollRef.current?.focus({ preventScroll: true });
    },
    [clickRow, openDetail],
  );

  // While the view scrolls, rows pass under a still pointer: no hover to restyle and hit-test on every frame.
  const hoverTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const holdHover = useCallback((grid: HTMLElement) => {
    if (hoverTimer.current === null) grid.classList.add('scrolling');
    else clearTimeout(hoverTimer.current);
    hoverTimer.current = setTimeout(() => {
      hoverTimer.current = null;
      grid.classList.remove('scrolling');
    }, SCROLL_IDLE_MS);
  }, []);
  useEffect(
    () => () => {
      if (hoverTimer.current !== null) clearTimeout(hoverTimer.current);
    },
    [],
  );

  const pageRows = Math.max(1, Math.floor(viewHeight / ROW_HEIGHT) - 1);
  const onKeyDown = (e: KeyboardEvent): void => {
    const move = (delta: number): void => {
      e.preventDefault();
      moveFocus(order, delta, e.shiftKey);
      const next = store.getState().selection.focus;
      if (next !== null) openDetail(next);
    };
    const toEdge = (edge: 'home' | 'end'): void => {
      e.preventDefault();
      pendingEdge.current = { edge, extend: e.shiftKey };
      if (scrollRef.current) scrollRef.current.scrollTop = edge === 'home' ? 0 : scrollRef.current.scrollHeight;
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
        return toEdge('home');
      case 'End':
        return toEdge('end');
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
          onSelectAll();
        }
        return;
      default:
        return;
    }
  };

  // Rows sit in a block placed where the view is, each at its distance from the block's first row: positions stay
  // small however long the list, and the rows keep their place (and their rendering) while the view scrolls 1:1.
  const overscan = geometry.mapped ? MAPPED_OVERSCAN : OVERSCAN;
  const from = Math.max(first - overscan, start);
  const to = Math.min(last + overscan, start + rows.length);
  // Each row element is kept for the list index it shows modulo the most rows ever shown at once: a row scrolling in
  // takes over the element of the one that scrolled out, changing its text, rather than a new element being built
  // (and the old one collected) for every row passing through the view.
  const slots = Math.ceil(viewHeight / ROW_HEIGHT) + 1 + 2 * overscan;
  const blockRow = Math.floor(first / 1000) * 1000;
  const blockTop = blockRow * ROW_HEIGHT + (scrollTop - geometry.offset);
  const shown: FlowSummary[] = [];
  for (let i = from; i < to; i++) shown.push(rows[i - start]);
  const activeId = selection.focus !== null && focusIndex >= 0 ? rowDomId(selection.focus) : undefined;
  return (
    <div
      ref={scrollRef}
      role="grid"
      aria-label={label}
      aria-rowcount={total + 1}
      aria-colcount={layout.columns.length}
      aria-multiselectable
      aria-activedescendant={activeId}
      aria-describedby="flow-grid-keys"
      tabIndex={0}
      className="flow-grid"
      onKeyDown={onKeyDown}
      onScroll={(e) => {
        // Drawn in the frame that scrolled: a mapped list's rows move with the body, not a frame after it.
        const top = e.currentTarget.scrollTop;
        holdHover(e.currentTarget);
        flushSync(() => setScrollTop(top));
      }}
    >
      <Header sort={sort} onSort={sortBy} layout={layout} />
      <div role="rowgroup" className="grid-body" style={{ height: geometry.bodyHeight, minWidth: layout.minWidth }}>
        <div className="grid-block" style={{ transform: `translateY(${blockTop}px)` }}>
          {shown.map((flow, k) => (
            <Row
              key={(from + k) % slots}
              flow={flow}
              index={from + k}
              top={(from + k - blockRow) * ROW_HEIGHT}
              selected={selection.selected.has(flow.id)}
              focused={selection.focus === flow.id}
              nowMs={nowMs}
              layout={layout}
              textWidth={textWidth}
              onClick={onRowClick}
            />
          ))}
        </div>
      </div>
      {total === 0 && window !== null && <p className="empty">No flows match.</p>}
      <p id="flow-grid-keys" hidden>
        Arrows move, Shift extends the selection, Space toggles a row, Ctrl+A selects all, Escape clears.
      </p>
    </div>
  );
}
