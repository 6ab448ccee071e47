import fs from 'node:fs';
import path from 'node:path';
import type { CaptureStatus } from '../api/types/capture';
import type { ApiResult } from '../api/types/results';
import { isLoopbackHost, parseBindAddress } from '../core/bind-address';
import type { AppRuntime } from '../core/app-runtime';
import { createAppRuntime, defaultServeSettingsFile } from '../core/app-runtime';
import { resumeRememberedCapture } from '../core/capture-choice';
import { InstanceLockedError } from '../core/instance-lock';
import { preferredHelperLaunch } from '../core/helper-path';
import type { CaptureHandoff } from '../core/helper-supervisor';
import type { Logger } from '../core/log';
import { createLogger } from '../core/log';
import type { NetmonCore } from '../core/netmon-core';
import { loadSettingsWithAlerts, SettingsError } from '../core/settings';
import type { LoadedSettings } from '../core/settings';
import type { BusConnection } from '../bus/serve-bus';
import { parseCommandLine, UsageError } from '../cli/command-line';
import { startNetmonServer } from './http-server';
import { makeToken, tokenFilePath, writeTokenFile } from './token-file';

export const SERVE_USAGE = `usage: netmon serve [--iface IF ... | --replay FILE [--speed X] | --demo | --nats URL [--probe NAME ...]] [--bind HOST:PORT]
                   [--token T | --no-auth] [--replay-dir DIR] [--db PATH] [--config FILE]

Headless daemon: web dashboard, REST and WebSocket API, Prometheus metrics.

  --iface IF        capture live on IF (repeat for several interfaces)
  --replay FILE     play a pcap/pcapng file through the capture helper
  --speed X         replay speed: 1 = real time (default), 10 = ten times faster, 0 = as fast as possible
  --demo            play the demo capture shipped with netmon (real time, once); its alerts are shown, never sent
  --bind H:P        address to serve on (default 127.0.0.1:8080; port 0 picks a free port)
  --token T         the token every route but the dashboard's files and /ws require (also NETMON_SERVER_TOKEN;
                    16-256 characters of A-Z a-z 0-9 - _ . ~); mandatory beyond loopback. Without one, serve
                    makes a random token at each start, prints the dashboard's address with it and keeps it
                    in $XDG_RUNTIME_DIR/netmon/serve-PORT.token (else in the data directory), mode 0600
  --no-auth         no token at all (loopback only): any program or user of this machine can then use it
  --nats URL        show the probes publishing to this NATS server ('netmon probe'); credentials and TLS come
                    from the settings file's bus section or NETMON_BUS_* variables (docs/nats.md)
  --probe NAME      only this probe (repeat for several; default: every probe on the bus)
  --replay-dir DIR  the directory API clients may name replay files in (default: none; the dashboard uploads)
  --db PATH         SQLite history file (default: $XDG_DATA_HOME/netmon/history.sqlite)
  --config FILE     settings file (YAML or JSON; must not be writable by others; default
                    $XDG_CONFIG_HOME/netmon/settings.yaml); NETMON_* variables and these flags override it

With no capture option, serve resumes the interfaces chosen last time (the settings' capture.interfaces,
written when a capture is started from the dashboard) when this machine grants capture rights, and
otherwise waits: the dashboard offers the interfaces, a capture file and the demo. One netmon at a time
uses a history database; a second one on the same --db is refused.`;

export interface ServeArgs {
  ifaces: string[];
  replay: string | null;
  demo: boolean;
  speed: number;
  bind: string | null;
  token: string | null;
  noAuth: boolean;
  replayDir: string | null;
  db: string | null;
  config: string | null;
  nats: string | null;
  probes: string[];
  help: boolean;
}

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const { values: v } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      iface: { type: 'string', multiple: true },
      replay: { type: 'string' },
      demo: { type: 'boolean' },
      speed: { type: 'string' },
      bind: { type: 'string' },
      token: { type: 'string' },
      'no-auth': { type: 'boolean' },
      'replay-dir': { type: 'string' },
      db: { type: 'string' },
      config: { type: 'string' },
      nats: { type: 'string' },
      probe: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args: ServeArgs = {
    ifaces: v.iface ?? [],
    replay: v.replay ?? null,
    demo: v.demo === true,
    speed: v.speed === undefined ? 1 : parseSpeed(v.speed),
    bind: v.bind ?? null,
    token: v.token ?? null,
    noAuth: v['no-auth'] === true,
    replayDir: v['replay-dir'] === undefined ? null : path.resolve(v['replay-dir']),
    db: v.db ?? null,
    config: v.config ?? null,
    nats: v.nats ?? null,
    probes: v.probe ?? [],
    help: v.help === true,
  };
  const speedGiven = v.speed !== undefined;
  if (args.replay !== null && args.ifaces.length > 0) throw new UsageError('use either --iface or --replay, not both');
  if (args.demo && (args.replay !== null || args.ifaces.length > 0)) throw new UsageError('--demo plays the demo capture: leave out --iface and --replay');
  if (speedGiven && args.replay === null) throw new UsageError('--speed applies to --replay only');
  if (args.nats !== null && (args.replay !== null || args.ifaces.length > 0 || args.demo)) throw new UsageError('--nats shows the probes\' captures: use it without --iface, --replay or --demo');
  if (args.probes.length > 0 && args.nats === null) throw new UsageError('--probe applies to --nats only');
  if (args.noAuth && args.token !== null) throw new UsageError('use either --token or --no-auth, not both');
  return args;
}

function parseSpeed(text: string): number {
  const speed = Number(text);
  if (text.trim() === '' || !Number.isFinite(speed) || speed < 0 || speed > 10_000) {
    throw new UsageError(`--speed must be a number from 0 to 10000, got ${JSON.stringify(text)}`);
  }
  return speed;
}

/** The built dashboard, next to the compiled main process. */
function staticDir(): string {
  for (const up of [['..', '..'], ['..', '..', 'dist']]) {
    const candidate = path.join(__dirname, ...up, 'renderer');
    // eslint-disable-next-line no-restricted-syntax -- found once, at start
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return path.join(__dirname, '..', '..', 'renderer');
}

/**
 * The capture serve starts by itself: the one the flags name, the demo when asked for, else the
 * interfaces chosen last time (when rights allow). Started by the process, not as a client.
 */
async function startChosenCapture(args: ServeArgs, core: NetmonCore, log: Logger): Promise<void> {
  let started: ApiResult<CaptureStatus> | null = null;
  if (args.replay !== null) started = await core.startCapture({ kind: 'replay', file: path.resolve(args.replay), speed: args.speed });
  else if (args.ifaces.length > 0) started = await core.startCapture({ kind: 'live', interfaces: args.ifaces });
  else if (args.demo) started = await core.request('capture.demo', {});
  if (started !== null) {
    if (!started.ok) log.error({ code: started.error.code }, `capture did not start: ${started.error.message}`);
    return;
  }
  const resumed = await resumeRememberedCapture(core);
  if (resumed.message !== null) process.stderr.write(`netmon serve: ${resumed.message}\n`);
  if (!resumed.started) log.info('not capturing: pick an interface, open a capture file or play the demo in the dashboard');
}

export async function runServeCommand(argv: string[], rights: { captureHandoff?: CaptureHandoff } = {}): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (err) {
    process.stderr.write(`netmon serve: ${(err as Error).message}\n\n${SERVE_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const flags: Record<string, Record<string, unknown>> = {};
  if (args.bind !== null) (flags.server ??= {}).bind = args.bind;
  if (args.token !== null) (flags.server ??= {}).token = args.token;
  if (args.replayDir !== null) (flags.capture ??= {}).replayDir = args.replayDir;
  if (args.db !== null) (flags.history ??= {}).dbPath = args.db;
  if (args.ifaces.length > 0) (flags.capture ??= {}).interfaces = args.ifaces;
  // The settings file is read if it exists and written by the dashboard's changes (a chosen interface too).
  const configFile = args.config ?? defaultServeSettingsFile();
  let loaded: LoadedSettings;
  try {
    // eslint-disable-next-line no-restricted-syntax -- the settings are read at start, before anything is served
    loaded = loadSettingsWithAlerts({ file: args.config ?? (fs.existsSync(configFile) ? configFile : undefined), env: process.env, flags });
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`netmon serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { settings } = loaded;
  const log = createLogger({ level: settings.log.level });
  const bind = parseBindAddress(settings.server.bind);
  if (!bind.ok) throw new Error(bind.error); // loadSettings has checked it
  if (args.noAuth && settings.server.token !== '') {
    process.stderr.write('netmon serve: --no-auth, but a token is set (NETMON_SERVER_TOKEN or the settings file): use one or the other\n');
    return 2;
  }
  if (args.noAuth && !isLoopbackHost(bind.host)) {
    process.stderr.write(`netmon serve: --no-auth is for loopback binds only, not ${settings.server.bind}\n`);
    return 2;
  }
  // Authenticated by default, on loopback too: other users and other sites' pages reach loopback as well.
  const generatedToken = settings.server.token === '' && !args.noAuth ? makeToken() : null;
  const token = args.noAuth ? null : generatedToken ?? settings.server.token;

  let runtime: AppRuntime;
  try {
    runtime = createAppRuntime({
      settings,
      alerts: loaded.alerts,
      configFile,
      overriddenSettings: loaded.overridden,
      logger: log,
      ...(rights.captureHandoff ? { helperLaunch: { ...preferredHelperLaunch(), captureHandoff: rights.captureHandoff } } : {}),
    });
  } catch (err) {
    if (err instanceof InstanceLockedError) {
      process.stderr.write(`netmon serve: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`netmon serve: cannot open the history database: ${(err as Error).message}\n`);
    return 1;
  }
  const { core, supervisor } = runtime;

  let server;
  try {
    server = await startNetmonServer({
      core,
      host: bind.host,
      port: bind.port,
      token,
      staticDir: staticDir(),
      uploadDir: path.join(path.dirname(path.resolve(runtime.history.file)), 'uploads'),
      maxUploadBytes: settings.server.maxUploadMb * 1024 * 1024,
      logger: log.child({ component: 'server' }),
    });
  } catch (err) {
    process.stderr.write(`netmon serve: ${(err as Error).message}\n`);
    await runtime.close();
    return 1;
  }
  let tokenFile: string | null = null;
  if (generatedToken !== null) {
    tokenFile = tokenFilePath(server.port);
    try {
      writeTokenFile(tokenFile, generatedToken);
    } catch (err) {
      log.warn({ err, file: tokenFile }, 'cannot keep the token in a file; use the address printed here');
      tokenFile = null;
    }
  }
  let bus: BusConnection | null = null;
  // Signals are handled before the address is printed (a client may stop serve at once) and while the
  // helper starts: the graceful path releases the database.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal does not wait for the graceful path.
        log.warn({ signal }, 'forced exit');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      setTimeout(() => {
        log.error('shutdown took longer than 10 s; exiting');
        process.exit(1);
      }, 10_000).unref();
      void (async () => {
        await server.close();
        await bus?.close();
        await runtime.close();
        // eslint-disable-next-line no-restricted-syntax -- at exit, after the server closed
        if (tokenFile !== null) fs.rmSync(tokenFile, { force: true });
        resolve(0);
      })();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });

  process.stdout.write(`netmon serve: listening on ${server.url}${token === null ? ' (no authentication)' : ' (token required)'}\n`);
  if (generatedToken !== null) {
    process.stdout.write(`netmon serve: open the dashboard at ${server.url}/#token=${generatedToken}\n`);
    if (tokenFile !== null) process.stdout.write(`netmon serve: the token is in ${tokenFile} (readable by you only)\n`);
  }
  if (token === null) {
    process.stderr.write('netmon serve: WARNING: --no-auth: every program and every user of this machine can use this server, its API and its command channels\n');
  }

  if (args.nats !== null) {
    // Loaded only for --nats: serve without it never loads the NATS client.
    const { connectBus } = await import('../bus/serve-bus');
    const { BusSettingsError } = await import('../bus/bus-options');
    try {
      // eslint-disable-next-line no-restricted-syntax -- at start, as the bus connects
      const connecting = connectBus({ core, configFile: args.config ?? (fs.existsSync(configFile) ? configFile : null), url: args.nats, probes: args.probes, logger: log.child({ component: 'bus' }),
        say: (line) => process.stderr.write(`netmon serve: ${line}\n`) });
      const first = await Promise.race([connecting, stopped.then((code) => ({ stoppedWith: code }))]);
      // Stopped while still waiting for NATS: the client's first-connect retries cannot be cancelled, so end here.
      if ('stoppedWith' in first) process.exit(first.stoppedWith);
      bus = first;
    } catch (err) {
      process.stderr.write(`netmon serve: ${(err as Error).message}\n`);
      await server.close();
      await runtime.close();
      // eslint-disable-next-line no-restricted-syntax -- at exit, after the server closed
      if (tokenFile !== null) fs.rmSync(tokenFile, { force: true });
      return err instanceof BusSettingsError ? 2 : 1;
    }
    return stopped;
  }
  try {
    await supervisor.start();
    // A capture that ends stays ended, its numbers on screen, until the person starts another.
    await startChosenCapture(args, core, log);
  } catch (err) {
    log.error({ err }, 'the capture helper did not start; serving history only');
  }
  return stopped;
}
