/**
 * The one API between main and the dashboard, in the style of GitHub Desktop's
 * ipc-shared.ts: a map of request channels (params → result) and a map of
 * pushed event channels (payload). The Electron preload bridge and the
 * WebSocket transport both derive their signatures from these maps, so a
 * channel cannot be called with the wrong types.
 *
 * Every request resolves to an `ApiResult`: expected failures (bad input,
 * no helper, missing rights) are values; a thrown error is a bug.
 */
import type {
  AlertEvent,
  AlertChannel,
  AlertChannelInput,
  AlertChannelStatus,
  AlertRule,
  AlertRuleInput,
  AlertRuleState,
} from './types/alerts';
import type { ApplicationsQuery, ApplicationsReport } from './types/applications';
import type { CaptureSession, CaptureSource, CaptureStatus, PrivilegeStatus } from './types/capture';
import type { ExportProgress, ExportRequest, ExportSummary } from './types/export';
import type { FlowDelta, FlowDetails, FlowPage, FlowQuery } from './types/flows';
import type { GeoBreakdown } from './types/geo';
import type { InterfaceInfo } from './types/interfaces';
import type { NameEntry } from './types/names';
import type { ProbeStatus } from './types/probes';
import type { ApiResult } from './types/results';
import type { RollupTick } from './types/rollups';
import type { Settings, SettingsInfo, SettingsPatch } from './types/settings';
import type { CounterQuery, CounterSeries, Stats } from './types/stats';
import type { WebSectionWindow, WebSections } from './types/web-sections';

export interface RequestChannels {
  'interfaces.list': { params: Record<string, never>; result: InterfaceInfo[] };
  'capture.start': { params: CaptureSource; result: CaptureStatus };
  'capture.stop': { params: Record<string, never>; result: CaptureStatus };
  'capture.status': { params: Record<string, never>; result: CaptureStatus };
  /** Plays the demo capture shipped with Netmon (real time, once); its alerts stay on this machine. */
  'capture.demo': { params: Record<string, never>; result: CaptureStatus };
  /**
   * Asks the user for a capture file in the desktop app's native dialog and replays it. `netmon serve`
   * answers 'unavailable': there the dashboard uploads the file (`POST /api/capture/upload`). Closing the
   * dialog answers 'conflict' with the message 'no file chosen'.
   */
  'capture.open': { params: { speed: number }; result: CaptureStatus };
  /** Whether this machine lets the helper capture, and the command that grants the rights once. */
  'privileges.status': { params: Record<string, never>; result: PrivilegeStatus };
  /** Runs the one-time elevation (Electron only; serve mode answers 'unavailable' with the command to run). */
  'privileges.install': { params: Record<string, never>; result: PrivilegeStatus };
  'flows.query': { params: FlowQuery; result: FlowPage };
  'flows.details': { params: { id: string }; result: FlowDetails };
  /** Capture sessions in the history, newest first (those started before `beforeMs` when given). */
  'sessions.list': { params: { limit: number; beforeMs?: number }; result: CaptureSession[] };
  'counters.series': { params: CounterQuery; result: CounterSeries };
  /** The last `seconds` (≤ 3600) 1 s ticks kept in memory, oldest first: what a chart needs on open. */
  'rollups.recent': { params: { seconds: number }; result: RollupTick[] };
  'stats.get': { params: Record<string, never>; result: Stats };
  /** The probes `serve --nats` hears (joining, live, lagging, gone) with their gaps; 'unavailable' without the bus. */
  'probes.list': { params: Record<string, never>; result: ProbeStatus[] };
  /** Names learnt for the given addresses (all known names when `ips` is absent, bounded). */
  'names.get': { params: { ips?: string[] }; result: NameEntry[] };
  /** Bytes and flows of the capture per country and per AS (top 20 each); 'unavailable' without geo databases. */
  'geo.breakdown': { params: Record<string, never>; result: GeoBreakdown };
  /** Top hosts of plaintext HTTP and their top sections (first path segments) over the last 10 s, 60 s or the session. */
  'web.sections': { params: { window: WebSectionWindow }; result: WebSections };
  /** Traffic per application (the flows' local processes) over a session or every one, bounded (src-main/core/applications.ts). */
  'applications.list': { params: ApplicationsQuery; result: ApplicationsReport };
  'settings.get': { params: Record<string, never>; result: Settings };
  /** Rejected as a whole with `error.issues` when any field is invalid; returns the settings now in force. */
  'settings.set': { params: SettingsPatch; result: Settings };
  /** Where `settings.set` writes, and the settings it refuses to change. */
  'settings.info': { params: Record<string, never>; result: SettingsInfo };
  'alerts.rules.list': { params: Record<string, never>; result: AlertRuleState[] };
  'alerts.rules.create': { params: AlertRuleInput; result: AlertRule };
  'alerts.rules.update': { params: { id: string; rule: AlertRuleInput }; result: AlertRule };
  'alerts.rules.delete': { params: { id: string }; result: { id: string } };
  'alerts.events.list': { params: { limit: number; beforeMs?: number }; result: AlertEvent[] };
  /** One immediate attempt with a test event: whether it arrived, the receiver's HTTP status (HTTP channels) and the error. */
  'alerts.channels.test': { params: { channelId: string }; result: { delivered: boolean; httpStatus: number | null; error: string | null } };
  'alerts.channels.list': { params: Record<string, never>; result: AlertChannel[] };
  /** Refused with `error.issues` naming each bad field. */
  'alerts.channels.create': { params: AlertChannelInput; result: AlertChannel };
  'alerts.channels.update': { params: { id: string; channel: AlertChannelInput }; result: AlertChannel };
  /** Refused while a rule still notifies the channel. */
  'alerts.channels.delete': { params: { id: string }; result: { id: string } };
  /** Delivery health of every channel (state, last error, failures). */
  'alerts.channels.status': { params: Record<string, never>; result: AlertChannelStatus[] };
  'export.start': { params: ExportRequest; result: ExportSummary };
  'export.cancel': { params: { exportId: string }; result: { exportId: string } };
}

export interface EventChannels {
  /** Once a second while a capture runs. */
  'rollup.tick': RollupTick;
  /** With each tick: flows that changed or ended during that second (bounded). */
  'flows.delta': FlowDelta;
  /** Whenever the capture or the helper changes state. */
  'capture.status': CaptureStatus;
  /** A capture problem the user should see (bad BPF, vanished interface, helper crash). */
  'capture.error': { captureId: string | null; code: string; message: string };
  'alerts.event': AlertEvent;
  'export.progress': ExportProgress;
}

export type RequestChannel = keyof RequestChannels;
export type EventChannel = keyof EventChannels;
export type RequestParams<C extends RequestChannel> = RequestChannels[C]['params'];
export type RequestResult<C extends RequestChannel> = RequestChannels[C]['result'];
export type EventPayload<E extends EventChannel> = EventChannels[E];

/** What both transports offer the dashboard. */
export interface NetmonApi {
  request<C extends RequestChannel>(channel: C, params: RequestParams<C>): Promise<ApiResult<RequestResult<C>>>;
  /** Returns the function that unsubscribes. */
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Runtime lists of the channels (for the preload bridge and for validating WebSocket input). */
export const REQUEST_CHANNELS = [
  'interfaces.list',
  'capture.start',
  'capture.stop',
  'capture.status',
  'capture.demo',
  'capture.open',
  'privileges.status',
  'privileges.install',
  'flows.query',
  'flows.details',
  'sessions.list',
  'counters.series',
  'rollups.recent',
  'stats.get',
  'probes.list',
  'names.get',
  'geo.breakdown',
  'web.sections',
  'applications.list',
  'settings.get',
  'settings.set',
  'settings.info',
  'alerts.rules.list',
  'alerts.rules.create',
  'alerts.rules.update',
  'alerts.rules.delete',
  'alerts.events.list',
  'alerts.channels.test',
  'alerts.channels.list',
  'alerts.channels.create',
  'alerts.channels.update',
  'alerts.channels.delete',
  'alerts.channels.status',
  'export.start',
  'export.cancel',
] as const satisfies readonly RequestChannel[];

export const EVENT_CHANNELS = [
  'rollup.tick',
  'flows.delta',
  'capture.status',
  'capture.error',
  'alerts.event',
  'export.progress',
] as const satisfies readonly EventChannel[];

// Compile-time check that the runtime lists name every channel of the maps.
type Missing<All, Listed> = Exclude<All, Listed>;
const _allRequestsListed: Missing<RequestChannel, (typeof REQUEST_CHANNELS)[number]> extends never ? true : never = true;
const _allEventsListed: Missing<EventChannel, (typeof EVENT_CHANNELS)[number]> extends never ? true : never = true;

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && (REQUEST_CHANNELS as readonly string[]).includes(value);
}

export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && (EVENT_CHANNELS as readonly string[]).includes(value);
}
