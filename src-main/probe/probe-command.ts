import os from 'node:os';
import type { BusSettings } from '../bus/bus-options';
import { connectWaiting } from '../bus/bus-connect';
import { BusSettingsError, connectionOptions, describeBus, loadBusSettings } from '../bus/bus-options';
import { PROBE_NAME } from '../bus/wire';
import { preferredHelperLaunch } from '../core/helper-path';
import type { CaptureHandoff } from '../core/helper-supervisor';
import { HelperSupervisor } from '../core/helper-supervisor';
import { parseCommandLine, UsageError } from '../cli/command-line';
import { createLogger } from '../core/log';
import { loadSettings, SettingsError } from '../core/settings';
import { ProbePublisher } from './probe-publisher';

export const PROBE_USAGE = `usage: netmon probe --iface IF [--iface IF ...] --nats URL [--name NAME] [--bpf FILTER] [--config FILE]

Captures on this host and publishes each second's counters, protocol rollups, top talkers,
flow deltas and drops to NATS under netmon.<NAME>.… (docs/nats.md); 'netmon serve --nats URL'
shows every probe in one dashboard and fetches exports from this probe's spool.

  --iface IF     interface to capture (repeat for several)
  --nats URL     the NATS server (nats://host:port or tls://host:port); credentials come from the
                 settings file's bus section or NETMON_BUS_* variables, never from the address
  --name NAME    this probe's name on the bus (default: the host name); letters, digits, - and _
  --bpf FILTER   capture filter
  --config FILE  settings file (capture settings, and the bus section for credentials and TLS)`;

export interface ProbeArgs {
  ifaces: string[];
  nats: string | null;
  name: string;
  bpf: string | null;
  config: string | null;
  help: boolean;
}

export function defaultProbeName(): string {
  const host = os.hostname().split('.')[0].replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return PROBE_NAME.test(host) ? host : 'probe';
}

export function parseProbeArgs(argv: readonly string[]): ProbeArgs {
  const { values: v } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      iface: { type: 'string', multiple: true },
      nats: { type: 'string' },
      name: { type: 'string' },
      bpf: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args: ProbeArgs = {
    ifaces: v.iface ?? [], nats: v.nats ?? null, name: v.name ?? defaultProbeName(), bpf: v.bpf ?? null, config: v.config ?? null, help: v.help === true,
  };
  if (!args.help) {
    if (args.ifaces.length === 0) throw new UsageError('give at least one --iface');
    if (!PROBE_NAME.test(args.name)) throw new UsageError(`--name must be 1-64 letters, digits, - or _, got ${JSON.stringify(args.name.slice(0, 80))}`);
  }
  return args;
}

export async function runProbeCommand(argv: string[], rights: { captureHandoff?: CaptureHandoff } = {}): Promise<number> {
  let args: ProbeArgs;
  let bus: BusSettings;
  let settings;
  try {
    args = parseProbeArgs(argv);
    if (args.help) {
      process.stdout.write(`${PROBE_USAGE}\n`);
      return 0;
    }
    settings = loadSettings({ file: args.config ?? undefined, env: process.env, flags: {} });
    bus = loadBusSettings({ file: args.config, env: process.env, url: args.nats });
  } catch (err) {
    if (err instanceof UsageError || err instanceof BusSettingsError || err instanceof SettingsError) {
      process.stderr.write(`netmon probe: ${err.message}\n\n${PROBE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger({ level: settings.log.level }).child({ probe: args.name });
  let options;
  try {
    options = connectionOptions(bus, `netmon-probe-${args.name}`);
  } catch (err) {
    process.stderr.write(`netmon probe: ${(err as Error).message}\n`);
    return 2;
  }
  log.info(describeBus(bus), 'connecting to NATS');
  const nc = await connectWaiting(options, describeBus(bus).server, (line) => process.stderr.write(`netmon probe: ${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`netmon probe: cannot reach NATS at ${describeBus(bus).server}: ${(err as Error).message}\n`);
    return null;
  });
  if (nc === null) return 1;

  const supervisor = new HelperSupervisor({
    launch: rights.captureHandoff ? { ...preferredHelperLaunch(), captureHandoff: rights.captureHandoff } : preferredHelperLaunch(),
    onStderr: (line) => log.warn({ component: 'helper' }, line),
  });
  supervisor.on('log', (record) => log.child({ component: 'helper', ...(record.fields ?? {}) })[record.level](record.msg));
  const publisher = new ProbePublisher({ name: args.name, helper: supervisor, nc, logger: log, bufferBytes: bus.bufferBytes });
  try {
    await supervisor.start();
    const bpf = args.bpf ?? settings.capture.bpf;
    const session = await publisher.start({
      source: { kind: 'live', interfaces: args.ifaces },
      ...(bpf !== '' ? { bpf } : {}),
      snaplen: settings.capture.snaplen,
      promisc: settings.capture.promiscuous,
      bufferSize: settings.capture.bufferMb * 1024 * 1024,
    });
    process.stdout.write(`netmon probe: ${args.name} capturing on ${args.ifaces.join(', ')} (session ${session}), publishing to ${describeBus(bus).server}\n`);
  } catch (err) {
    process.stderr.write(`netmon probe: the capture did not start: ${(err as Error).message}\n`);
    await publisher.stop();
    await supervisor.stop();
    await nc.close();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info({ signal }, 'shutting down');
      setTimeout(() => process.exit(1), 10_000).unref();
      void (async () => {
        await publisher.stop();
        await nc.drain().catch(() => undefined);
        await supervisor.stop();
        resolve(0);
      })();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}
