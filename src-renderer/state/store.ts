import { createStore } from 'zustand/vanilla';
import type { StateCreator } from 'zustand/vanilla';
import type { CaptureStatus, FlowDelta, InterfaceInfo, PrivilegeStatus, RollupTick, Stats } from '../transport/api-types';
import type { ConnectionStatus } from '../transport/transport';
import type { CompiledFilter, FilterErrors, FlowFilterInput } from './flow-filter';
import { compileFilter, EMPTY_FILTER } from './flow-filter';
import type { FlowColumn, FlowSort } from './flow-sort';
import { DEFAULT_SORT, nextSort } from './flow-sort';
import type { Ring } from './ring';
import type { ClickModifiers, Selection } from './selection';
import { clickRow, EMPTY_SELECTION, moveFocus, selectAll, toggleFocused } from './selection';
import type { TrafficState } from './traffic';
import { applyTick, emptyTraffic } from './traffic';

export type ViewName = 'interfaces' | 'overview' | 'flows' | 'applications' | 'alerts' | 'export' | 'settings';
/** What a click elsewhere (a top host or flow on the Overview, an application) opens the flow table on; an
 *  application's flows of an earlier capture session open that session's table. */
export type FlowsTarget =
  | { kind: 'host'; ip: string }
  | { kind: 'flow'; id: string; label: string }
  | { kind: 'application'; label: string; session: string | null };
export type ThemePreference = 'system' | 'light' | 'dark';
/** Seconds averaged into one chart point, and how far back the chart looks. */
export type ChartResolution = 1 | 10 | 60;
export type ChartSpan = 60 | 300 | 900 | 3600;

export interface ConnectionSlice {
  transportKind: 'electron' | 'websocket';
  connection: ConnectionStatus;
  setConnection(c: ConnectionStatus): void;
}

export interface CaptureSlice {
  interfaces: InterfaceInfo[];
  interfacesError: string | null;
  privileges: PrivilegeStatus | null;
  capture: CaptureStatus | null;
  /** Main's own totals since the capture started: exact even when the page opened late. */
  stats: Stats | null;
  /** The latest problem to show the user (failed request, capture error). */
  notice: { kind: 'error' | 'info'; text: string } | null;
  setInterfaces(list: InterfaceInfo[] | { error: string }): void;
  setPrivileges(p: PrivilegeStatus): void;
  setCapture(c: CaptureStatus): void;
  setStats(s: Stats): void;
  setNotice(n: CaptureSlice['notice']): void;
}

export interface TrafficSlice {
  traffic: TrafficState;
  /** While paused, views show this snapshot; live data keeps arriving underneath. */
  frozen: TrafficState | null;
  receiveTick(t: RollupTick): void;
  loadTicks(ticks: RollupTick[]): void;
}

export interface FlowsSlice {
  /** Counts the changes to the current capture's flows (a delta, the capture ending): the Flows view asks main for
   *  its window again when it moves. The flows themselves stay in main; the views hold only the rows they show. */
  flowsRevision: number;
  /** The revision shown while paused. */
  frozenRevision: number | null;
  filterInput: FlowFilterInput;
  /** The last valid filter; a field with an error leaves it in force. */
  filter: CompiledFilter & { ok: true };
  filterErrors: FilterErrors;
  sort: FlowSort;
  selection: Selection;
  detailId: string | null;
  /** An earlier capture session the Flows view is asked to open (it takes the request and clears it). */
  flowsSession: string | null;
  takeFlowsSession(): string | null;
  receiveFlowDelta(d: FlowDelta): void;
  /** The flows changed in a way no delta tells (a new capture, every flow ended): views ask again. */
  flowsChanged(): void;
  setFilterInput(patch: Partial<FlowFilterInput>): void;
  sortBy(column: FlowColumn): void;
  clickRow(order: readonly string[], id: string, mods: ClickModifiers): void;
  moveFocus(order: readonly string[], delta: number, extend: boolean): void;
  toggleFocused(): void;
  /** Selects exactly these flows (Select all shown: the ids main lists for the filter). */
  selectAll(order: readonly string[]): void;
  clearSelection(): void;
  openDetail(id: string | null): void;
  /** Opens the flow table filtered to a host, or to one flow selected with its details open. */
  showFlowsOf(target: FlowsTarget): void;
  /** Selects exactly these flows and opens the Export screen on them. */
  exportFlows(ids: readonly string[]): void;
}

export interface UiSlice {
  view: ViewName;
  /** The person picked a screen: the app no longer picks one for them. */
  viewChosen: boolean;
  theme: ThemePreference;
  paused: boolean;
  chartResolution: ChartResolution;
  chartSpan: ChartSpan;
  setView(v: ViewName): void;
  /** The screen to open on when the person has not picked one yet (a capture already running: its numbers). */
  suggestView(v: ViewName): void;
  setTheme(t: ThemePreference): void;
  setPaused(p: boolean): void;
  setChartResolution(r: ChartResolution): void;
  setChartSpan(s: ChartSpan): void;
}

export type AppState = ConnectionSlice & CaptureSlice & TrafficSlice & FlowsSlice & UiSlice;
type Slice<T> = StateCreator<AppState, [], [], T>;

const EMPTY_COMPILED = compileFilter(EMPTY_FILTER) as CompiledFilter & { ok: true };

/** A snapshot that survives further pushes into the shared ring buffers. */
function freezeRing<T>(r: Ring<T>): Ring<T> {
  return { ...r, buffer: r.buffer.slice() };
}

export function freezeTraffic(t: TrafficState): TrafficState {
  const sparklines: Record<string, Ring<number>> = {};
  for (const [k, v] of Object.entries(t.sparklines)) sparklines[k] = freezeRing(v);
  return { ...t, series: freezeRing(t.series), recent: freezeRing(t.recent), sparklines };
}

const connectionSlice =
  (kind: 'electron' | 'websocket'): Slice<ConnectionSlice> =>
  (set) => ({
    transportKind: kind,
    connection: { state: 'connecting', attempt: 1 },
    setConnection: (connection) => set({ connection }),
  });

const captureSlice: Slice<CaptureSlice> = (set, get) => ({
  interfaces: [],
  interfacesError: null,
  privileges: null,
  capture: null,
  stats: null,
  notice: null,
  setInterfaces: (list) =>
    set(Array.isArray(list) ? { interfaces: list, interfacesError: null } : { interfacesError: list.error }),
  setPrivileges: (privileges) => set({ privileges }),
  setCapture: (capture) => {
    const previous = get().capture;
    // A new capture starts a fresh overview and flow table; events of the old one are stale from now on. The first
    // status after the page opened names the capture the table may already show: its selection stays.
    if (capture.captureId !== null && capture.captureId !== previous?.captureId) {
      const replaced = previous !== null && previous.captureId !== null;
      set({ capture, traffic: emptyTraffic(capture.captureId), flowsRevision: get().flowsRevision + 1, ...(replaced ? { selection: EMPTY_SELECTION, detailId: null } : {}) });
    } else set({ capture });
  },
  setStats: (stats) => set({ stats }),
  setNotice: (notice) => set({ notice }),
});

const trafficSlice: Slice<TrafficSlice> = (set, get) => ({
  traffic: emptyTraffic(),
  frozen: null,
  receiveTick: (t) => {
    const current = get().capture?.captureId;
    if (current && t.captureId !== current) return;
    set({ traffic: applyTick(get().traffic, t) });
  },
  loadTicks: (ticks) => {
    let traffic = get().traffic;
    for (const t of ticks) traffic = applyTick(traffic, t);
    set({ traffic });
  },
});

const flowsSlice: Slice<FlowsSlice> = (set, get) => ({
  flowsRevision: 0,
  frozenRevision: null,
  filterInput: EMPTY_FILTER,
  filter: EMPTY_COMPILED,
  filterErrors: {},
  sort: DEFAULT_SORT,
  selection: EMPTY_SELECTION,
  detailId: null,
  flowsSession: null,
  takeFlowsSession: () => {
    const session = get().flowsSession;
    if (session !== null) set({ flowsSession: null });
    return session;
  },
  receiveFlowDelta: (d) => {
    // A delta of another capture is stale.
    const current = get().capture?.captureId;
    if (current && d.captureId !== current) return;
    set({ flowsRevision: get().flowsRevision + 1 });
  },
  flowsChanged: () => set({ flowsRevision: get().flowsRevision + 1 }),
  setFilterInput: (patch) => {
    const filterInput = { ...get().filterInput, ...patch };
    const compiled = compileFilter(filterInput);
    if (compiled.ok) set({ filterInput, filter: compiled, filterErrors: {} });
    else set({ filterInput, filterErrors: compiled.errors });
  },
  sortBy: (column) => set({ sort: nextSort(get().sort, column) }),
  clickRow: (order, id, mods) => set({ selection: clickRow(get().selection, order, id, mods) }),
  moveFocus: (order, delta, extend) => set({ selection: moveFocus(get().selection, order, delta, extend) }),
  toggleFocused: () => set({ selection: toggleFocused(get().selection) }),
  selectAll: (order) => set({ selection: selectAll(order) }),
  clearSelection: () => set({ selection: EMPTY_SELECTION }),
  openDetail: (detailId) => set({ detailId }),
  showFlowsOf: (target) => {
    const filterInput: FlowFilterInput =
      target.kind === 'host'
        ? { ...EMPTY_FILTER, cidr: target.ip }
        : target.kind === 'application'
          ? { ...EMPTY_FILTER, application: target.label }
          : { ...EMPTY_FILTER, flow: { id: target.id, label: target.label } };
    const filter = compileFilter(filterInput);
    if (!filter.ok) return;
    if (target.kind === 'host') set({ filterInput, filter, filterErrors: {}, view: 'flows' });
    else if (target.kind === 'application') set({ filterInput, filter, filterErrors: {}, view: 'flows', flowsSession: target.session });
    else set({ filterInput, filter, filterErrors: {}, view: 'flows', selection: selectAll([target.id]), detailId: target.id });
  },
  exportFlows: (ids) => set({ selection: selectAll(ids), view: 'export' }),
});

const uiSlice: Slice<UiSlice> = (set, get) => ({
  view: 'interfaces',
  viewChosen: false,
  theme: 'system',
  paused: false,
  chartResolution: 1,
  chartSpan: 300,
  setView: (view) => set({ view, viewChosen: true }),
  suggestView: (view) => {
    if (!get().viewChosen) set({ view });
  },
  setTheme: (theme) => set({ theme }),
  setPaused: (paused) => {
    if (paused === get().paused) return;
    set(paused ? { paused, frozen: freezeTraffic(get().traffic), frozenRevision: get().flowsRevision } : { paused, frozen: null, frozenRevision: null });
  },
  setChartResolution: (chartResolution) => set({ chartResolution }),
  setChartSpan: (chartSpan) => set({ chartSpan }),
});

/** One store of slices. Tests create their own; the app creates one at start. */
export function createAppStore(kind: 'electron' | 'websocket') {
  return createStore<AppState>()((...a) => ({
    ...connectionSlice(kind)(...a),
    ...captureSlice(...a),
    ...trafficSlice(...a),
    ...flowsSlice(...a),
    ...uiSlice(...a),
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;

/** What the views show: the frozen snapshot while paused, the live state otherwise. */
export const selectShownTraffic = (s: AppState): TrafficState => s.frozen ?? s.traffic;
export const selectShownRevision = (s: AppState): number => s.frozenRevision ?? s.flowsRevision;
