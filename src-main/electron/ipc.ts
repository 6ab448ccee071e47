import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { REQUEST_CHANNELS, EVENT_CHANNELS } from '../api/contract';
import type { EventChannel } from '../api/contract';
import type { ApiResult } from '../api/types/results';
import type { NetmonCore } from '../core/netmon-core';
import { isTrustedSenderUrl } from './security-policy';

/**
 * Answers the dashboard's requests with the core and forwards the core's events to the window.
 * The bridge adds nothing of its own: the sender is checked here, the params by `core.request`,
 * the same path as the WebSocket and REST take (the shell's own handlers are `core.provide`d).
 */
export function connectDashboard(core: NetmonCore, window: BrowserWindow, dashboardDirUrl: string): () => void {
  const trusted = (event: IpcMainInvokeEvent): boolean =>
    event.sender === window.webContents && event.senderFrame !== null &&
    event.senderFrame === window.webContents.mainFrame && isTrustedSenderUrl(event.senderFrame.url, dashboardDirUrl);

  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(`netmon:${channel}`, async (event, params: unknown): Promise<ApiResult<unknown>> => {
      if (!trusted(event)) return { ok: false, error: { code: 'permission', message: 'request from an untrusted frame' } };
      return core.request(channel, params);
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
