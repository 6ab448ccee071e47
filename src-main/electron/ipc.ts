import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { REQUEST_CHANNELS, EVENT_CHANNELS } from '../api/contract';
import type { EventChannel, NetmonApi, RequestChannel } from '../api/contract';
import type { ApiResult } from '../api/types';
import { isTrustedSenderUrl } from './security-policy';

/** Answers the dashboard's requests with the core and forwards the core's events to the window. */
export function connectDashboard(
  core: NetmonApi,
  window: BrowserWindow,
  dashboardDirUrl: string,
  overrides: Partial<Record<RequestChannel, (params: unknown) => Promise<ApiResult<unknown>>>>,
): () => void {
  const trusted = (event: IpcMainInvokeEvent): boolean =>
    event.sender === window.webContents && event.senderFrame !== null &&
    event.senderFrame === window.webContents.mainFrame && isTrustedSenderUrl(event.senderFrame.url, dashboardDirUrl);

  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(`netmon:${channel}`, async (event, params: unknown): Promise<ApiResult<unknown>> => {
      if (!trusted(event)) return { ok: false, error: { code: 'permission', message: 'request from an untrusted frame' } };
      const override = overrides[channel];
      if (override) return override(params);
      // The core validates params of every channel: they come from the renderer.
      return (core.request as (c: RequestChannel, p: unknown) => Promise<ApiResult<unknown>>)(channel, params);
    });
  }
  const unsubscribes = EVENT_CHANNELS.map((channel: EventChannel) =>
    core.on(channel, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(`netmon:${channel}`, payload);
    }),
  );
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(`netmon:${channel}`);
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
