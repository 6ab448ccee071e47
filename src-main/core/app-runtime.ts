import os from 'node:os';
import path from 'node:path';
import { AlertService } from './alerts/alert-service';
import type { AlertsSection } from './alerts/alerts-settings';
import { preferredHelperLaunch } from './helper-path';
import { HelperSupervisor } from './helper-supervisor';
import type { HelperSupervisorOptions } from './helper-supervisor';
import { GeoService, GeoSettingError } from './geo/geo-service';
import { HistoryDb } from './history-db';
import { demoCapturePath } from './demo-capture';
import { InstanceLock } from './instance-lock';
import { rememberChosenInterfaces } from './capture-choice';
import { keepPrivate, makePrivateDir } from './private-files';
import type { Logger } from './log';
import { NetmonCore } from './netmon-core';
import type { DesktopNotifier } from './notifiers/desktop-notifier';
import type { Settings } from '../api/types/settings';
import { saveSettingsPatch } from './settings';

/** Everything a face of the app (serve mode, the Electron shell) runs on. */
export interface AppRuntime {
  core: NetmonCore;
  supervisor: HelperSupervisor;
  alerts: AlertService;
  history: HistoryDb;
  /** Stops the helper and closes the stores, in that order. */
  close(): Promise<void>;
}

export interface AppRuntimeOptions {
  settings: Settings;
  /** The settings file the settings screen writes; flags and environment stay overrides on top of it. */
  configFile: string | null;
  /** Settings the environment or flags set for this run: never written into the file. */
  overriddenSettings?: readonly string[];
  logger: Logger;
  desktop?: DesktopNotifier;
  /** The settings file's validated `alerts` section: replaces the stored rules and channels. */
  alerts?: AlertsSection | null;
  helperLaunch?: HelperSupervisorOptions['launch'];
  /** The demo capture `capture.demo` plays (default: the one shipped with Netmon; null: none). */
  demoCapture?: string | null;
}

/** Netmon's own data directory ($XDG_DATA_HOME/netmon), kept 0700. */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'netmon');
}

/** The settings file `netmon serve` reads and writes when no --config is given ($XDG_CONFIG_HOME/netmon/settings.yaml). */
export function defaultServeSettingsFile(): string {
  const base = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config');
  return path.join(base, 'netmon', 'settings.yaml');
}

export function defaultDbPath(): string {
  return path.join(defaultDataDir(), 'history.sqlite');
}

/**
 * The country and AS databases of the settings; when a configured file cannot
 * be used the shipped ones serve, and the log says why.
 */
async function openGeo(settings: Settings, log: Logger): Promise<GeoService | undefined> {
  try {
    return await GeoService.open(settings.geo);
  } catch (err) {
    if (!(err instanceof GeoSettingError)) throw err;
    log.error({ setting: err.setting }, `${err.message}; using the shipped country and AS databases`);
  }
  try {
    return await GeoService.open({ countryDb: '', asnDb: '' });
  } catch (err) {
    if (!(err instanceof GeoSettingError)) throw err;
    log.error(`${err.message}; flows carry no country or AS`);
    return undefined;
  }
}

/**
 * Opens the history, the alert engine and the core, and attaches a helper supervisor (not yet started).
 * Throws InstanceLockedError when another running Netmon holds the same history database.
 */
export function createAppRuntime(options: AppRuntimeOptions): AppRuntime {
  const { settings, configFile, logger: log } = options;
  const dbPath = settings.history.dbPath === '' ? defaultDbPath() : settings.history.dbPath;
  if (settings.history.dbPath === '') {
    makePrivateDir(defaultDataDir());
    keepPrivate(defaultDataDir());
  }
  makePrivateDir(path.dirname(path.resolve(dbPath)));
  const lock = InstanceLock.acquire(path.resolve(dbPath));
  let history: HistoryDb;
  try {
    history = new HistoryDb(dbPath);
  } catch (err) {
    lock.release();
    throw err;
  }
  const alerts = new AlertService({ db: history.database, desktop: options.desktop });
  if (options.alerts) {
    const applied = alerts.applySettings(options.alerts);
    if (!applied.ok) {
      alerts.close();
      history.close();
      lock.release();
      throw new Error(`alerts settings rejected: ${applied.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    }
    log.info(applied.value, 'alert rules and channels from the settings file');
  }
  const core = new NetmonCore({
    alerts,
    settings,
    history,
    logger: log.child({ component: 'core' }),
    saveSettings: configFile === null ? undefined : (patch) => saveSettingsPatch(configFile, patch),
    settingsFile: configFile === null ? null : path.resolve(configFile),
    overriddenSettings: options.overriddenSettings,
    demoCapture: options.demoCapture === undefined ? demoCapturePath() : options.demoCapture,
  });
  rememberChosenInterfaces(core, log);
  const supervisor = new HelperSupervisor({
    launch: options.helperLaunch ?? preferredHelperLaunch(),
    onStderr: (line) => log.warn({ component: 'helper' }, line),
  });
  core.attachHelper(supervisor);
  // Reading the AS ranges takes seconds, in slices: the dashboard and the API answer meanwhile, flows get their
  // country and AS once it is done.
  let closed = false;
  openGeo(settings, log).then(
    (geo) => {
      if (geo !== undefined && !closed) core.useGeo(geo);
    },
    (err: unknown) => log.error({ err }, 'the country and AS databases did not open; flows carry no country or AS'),
  );
  supervisor.on('log', (record) => {
    const child = log.child({ component: 'helper', ...(record.fields ?? {}) });
    child[record.level](record.msg);
  });
  return {
    core,
    supervisor,
    alerts,
    history,
    async close() {
      closed = true;
      core.close();
      await supervisor.stop();
      await alerts.idle();
      alerts.close();
      history.close();
      lock.release();
    },
  };
}
