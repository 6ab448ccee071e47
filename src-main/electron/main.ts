/**
 * The Electron app: one window on the same core that `netmon serve` runs.
 * Everything below this file (core, helper, API) runs and is tested under
 * plain Node; this layer only adds the window, the preload bridge, the tray,
 * desktop notifications, native dialogs and the one-time elevation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { app, dialog, Menu } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AppRuntime } from '../core/app-runtime';
import { createAppRuntime } from '../core/app-runtime';
import { resumeRememberedCapture } from '../core/capture-choice';
import { exportToFile } from '../core/export-file';
import { createLogger } from '../core/log';
import { loadSettingsWithAlerts } from '../core/settings';
import { ElectronDesktopNotifier } from './desktop-notifier';
import { installCaptureRights } from './elevation';
import { connectDashboard } from './ipc';
import { createTray } from './tray';
import { createDashboardWindow } from './window';

const distDir = path.join(__dirname, '..', '..');

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) return app.quit();
  await app.whenReady();

  // The settings screen writes this file; NETMON_* variables override it as in serve mode.
  const settingsFile = path.join(app.getPath('userData'), 'settings.yaml');
  // eslint-disable-next-line no-restricted-syntax -- the settings are read at start, before any window or request
  const { settings, alerts, overridden } = loadSettingsWithAlerts({ file: fs.existsSync(settingsFile) ? settingsFile : undefined, env: process.env, flags: {} });
  const log = createLogger({ level: settings.log.level });
  let window: BrowserWindow | null = null;
  const showWindow = () => {
    if (window === null || window.isDestroyed()) openWindow();
    else window.show();
    window?.focus();
  };
  const runtime: AppRuntime = createAppRuntime({
    settings,
    configFile: settingsFile,
    overriddenSettings: overridden,
    alerts,
    logger: log,
    desktop: new ElectronDesktopNotifier(showWindow),
  });
  await runtime.supervisor.start();
  // The interfaces chosen last time, when rights allow; otherwise the dashboard invites to pick one (or the demo).
  const resumed = await resumeRememberedCapture(runtime.core);
  if (resumed.message !== null) log.warn(resumed.message);

  // What only the desktop app can do: elevation, and files through native dialogs. The core checks the params first.
  runtime.core.provide('privileges.install', async () => {
    const outcome = await installCaptureRights(path.join(distDir, 'bin'));
    if (!outcome.ok) return { ok: false, error: { code: 'permission', message: outcome.message } };
    // Membership of the capture group applies to new logins: the installed netmon-capture is used from then on.
    const status = await runtime.core.request('privileges.status', {});
    if (!status.ok || status.value.canCapture) return status;
    return { ok: true, value: { ...status.value, reason: 'Capture rights are installed. Log out and back in, then restart Netmon to use them.' } };
  });
  // Main writes the file the user chose; the helper only streams the packets.
  runtime.core.provide('export.start', async (request) => {
    const plan = runtime.core.exports.plan(request);
    if (!plan.ok) return plan;
    const picked = await dialog.showSaveDialog({
      title: 'Export packets',
      defaultPath: path.join(app.getPath('downloads'), plan.value.fileName),
      filters: [{ name: request.format === 'pcapng' ? 'pcapng' : 'pcap', extensions: [request.format] }],
    });
    if (picked.canceled || picked.filePath === undefined) return { ok: false, error: { code: 'conflict', message: 'export cancelled' } };
    return exportToFile(runtime.core.exports, plan.value, picked.filePath);
  });
  // The dashboard's "Open a capture file": the user picks the file; the renderer never names a path.
  runtime.core.provide('capture.open', async ({ speed }) => {
    const file = await pickCaptureFile();
    if (file === null) return { ok: false, error: { code: 'conflict', message: 'no file chosen' } };
    return runtime.core.startCapture({ kind: 'replay', file, speed });
  });

  let disconnect = () => undefined as void;
  function openWindow(): void {
    const created = createDashboardWindow(distDir);
    window = created.window;
    disconnect = connectDashboard(runtime.core, created.window, created.dashboardDirUrl);
    created.window.on('closed', () => {
      disconnect();
      window = null;
    });
  }
  openWindow();

  Menu.setApplicationMenu(Menu.buildFromTemplate([
    {
      label: 'File',
      submenu: [
        { label: 'Open Capture…', accelerator: 'CmdOrCtrl+O', click: () => void openCapture() },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
  ]));

  async function pickCaptureFile(): Promise<string | null> {
    const picked = await dialog.showOpenDialog({ title: 'Open a capture', properties: ['openFile'], filters: [{ name: 'Captures', extensions: ['pcap', 'pcapng', 'cap'] }, { name: 'All files', extensions: ['*'] }] });
    return picked.canceled ? null : picked.filePaths[0] ?? null;
  }

  /** File > Open: offline analysis, the file going through the helper's reader as fast as the engine goes. */
  async function openCapture(): Promise<void> {
    const file = await pickCaptureFile();
    if (file === null) return;
    const started = await runtime.core.startCapture({ kind: 'replay', file, speed: 0 });
    if (!started.ok) dialog.showErrorBox('Cannot open the capture', started.error.message);
  }

  const tray = createTray(path.join(distDir, '..', 'assets', 'icon.png'), { show: showWindow, quit: () => app.quit() });
  runtime.core.on('rollup.tick', (tick) => tray.update(tick));

  // Closing the window keeps monitoring in the tray; Quit in the tray ends it.
  app.on('window-all-closed', () => undefined);
  app.on('second-instance', showWindow);
  app.on('before-quit', (event) => {
    event.preventDefault();
    app.removeAllListeners('before-quit');
    tray.destroy();
    void runtime.close().finally(() => app.exit(0));
  });
}

main().catch((err: unknown) => {
  dialog.showErrorBox('Netmon could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
