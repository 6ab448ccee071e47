import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, session, shell } from 'electron';
import { DASHBOARD_CSP, isSafeExternalUrl } from './security-policy';

export interface DashboardWindow {
  window: BrowserWindow;
  /** file:// URL of the folder the dashboard is loaded from; IPC from anywhere else is refused. */
  dashboardDirUrl: string;
}

/** The one window: sandboxed, isolated, no Node, strict CSP, no navigation or new windows. */
export function createDashboardWindow(distDir: string): DashboardWindow {
  const dashboardDir = path.join(distDir, 'renderer');
  const dashboardDirUrl = pathToFileURL(dashboardDir + path.sep).href;

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DASHBOARD_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, allow) => allow(permission === 'notifications'));

  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Netmon',
    show: false,
    webPreferences: {
      preload: path.join(distDir, 'src-main', 'electron', 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadFile(path.join(dashboardDir, 'index.html'));
  return { window, dashboardDirUrl };
}
