/**
 * The dashboard's only door to main: one function per request channel and one
 * subscription function for pushed events, exposed as `window.netmon`.
 *
 * A sandboxed preload cannot load local modules, so the channel names are
 * written out here; the type checks below fail the build if they drift from
 * src-main/api/contract.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { EventChannel, EventPayload, RequestChannel, RequestParams, RequestResult } from '../api/contract';
import type { ApiResult } from '../api/types/results';

const requestChannels = [
  'interfaces.list', 'capture.start', 'capture.stop', 'capture.status', 'capture.demo', 'capture.open', 'privileges.status', 'privileges.install',
  'flows.query', 'flows.details', 'sessions.list', 'counters.series', 'rollups.recent', 'stats.get', 'probes.list', 'names.get', 'geo.breakdown', 'web.sections', 'applications.list', 'settings.get',
  'settings.set', 'settings.info', 'alerts.rules.list', 'alerts.rules.create', 'alerts.rules.update', 'alerts.rules.delete',
  'alerts.events.list', 'alerts.channels.test', 'alerts.channels.list', 'alerts.channels.create',
  'alerts.channels.update', 'alerts.channels.delete', 'alerts.channels.status', 'export.start', 'export.cancel',
] as const satisfies readonly RequestChannel[];

const eventChannels = [
  'rollup.tick', 'flows.delta', 'capture.status', 'capture.error', 'alerts.event', 'export.progress',
] as const satisfies readonly EventChannel[];

const _everyRequestExposed: Exclude<RequestChannel, (typeof requestChannels)[number]> extends never ? true : never = true;
const _everyEventExposed: Exclude<EventChannel, (typeof eventChannels)[number]> extends never ? true : never = true;

type Bridge = {
  [C in RequestChannel]: (params: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>>;
} & {
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
};

const bridge: Record<string, unknown> = {};
for (const channel of requestChannels) {
  bridge[channel] = (params: unknown) => ipcRenderer.invoke(`netmon:${channel}`, params);
}
bridge.on = (channel: EventChannel, listener: (payload: unknown) => void) => {
  if (!(eventChannels as readonly string[]).includes(channel)) throw new Error(`unknown event channel ${String(channel)}`);
  // The listener never sees the IPC event object (it would expose `sender`).
  const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(`netmon:${channel}`, wrapped);
  return () => {
    ipcRenderer.removeListener(`netmon:${channel}`, wrapped);
  };
};

contextBridge.exposeInMainWorld('netmon', bridge as Bridge);
