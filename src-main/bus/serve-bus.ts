import type { NetmonCore } from '../core/netmon-core';
import { ok } from '../core/api-result';
import type { Logger } from '../core/log';
import { BusAggregator } from './bus-aggregator';
import { connectWaiting } from './bus-connect';
import { BusSettingsError, connectionOptions, describeBus, loadBusSettings } from './bus-options';
import { PROBE_NAME } from './wire';

export interface BusConnection {
  aggregator: BusAggregator;
  close(): Promise<void>;
}

/**
 * `serve --nats`: connects to the bus, puts the aggregator of the probes in
 * the helper's place in the core, answers `probes.list`, and starts the
 * aggregation as the core's capture.
 */
export async function connectBus(options: {
  core: NetmonCore; configFile: string | null; url: string; probes: readonly string[]; logger: Logger;
  /** Where to say that serve is still waiting for the NATS server. */
  say: (line: string) => void;
}): Promise<BusConnection> {
  const { core, logger: log } = options;
  const bad = options.probes.find((p) => !PROBE_NAME.test(p));
  if (bad !== undefined) throw new BusSettingsError(`--probe must be 1-64 letters, digits, - or _, got ${JSON.stringify(bad.slice(0, 80))}`);
  const settings = loadBusSettings({ file: options.configFile, env: process.env, url: options.url });
  const described = describeBus(settings);
  log.info(described, 'connecting to NATS');
  let nc;
  try {
    nc = await connectWaiting(connectionOptions(settings, 'netmon-serve'), described.server, options.say);
  } catch (err) {
    throw new Error(`cannot reach NATS at ${described.server}: ${(err as Error).message}`);
  }
  const aggregator = new BusAggregator({ nc, logger: log, probes: options.probes });
  core.attachHelper(aggregator);
  core.provide('probes.list', async () => ok(aggregator.probeStatuses()));
  aggregator.start();
  const started = await core.startCapture({ kind: 'live', interfaces: [described.server] });
  if (!started.ok) log.error({ code: started.error.code }, `aggregation did not start: ${started.error.message}`);
  return {
    aggregator,
    async close() {
      aggregator.close();
      await nc.drain().catch(() => undefined);
    },
  };
}
