import type { RequestChannel, RequestParams, RequestResult } from '../api/contract';
import type { ApplicationsReport } from '../api/types/applications';
import type { FlowFilter, FlowPage, FlowQuery, FlowSummary } from '../api/types/flows';
import type { InterfaceInfo } from '../api/types/interfaces';
import type { ApiResult } from '../api/types/results';
import type { Settings } from '../api/types/settings';
import type { CounterSeries, Stats } from '../api/types/stats';
import { netmaskPrefix } from '../../src-shared/ip';
import { alertHandlers } from './alerts-bridge';
import { fail, ok, requireHelper } from './api-result';
import type { CaptureControl } from './capture-control';
import { checkCounterQuery } from './counter-series';
import type { ExportService } from './export-service';
import type { FlowBook } from './flow-book';
import type { GeoTally } from './geo/geo-breakdown';
import type { GeoService } from './geo/geo-service';
import { GeoSettingError } from './geo/geo-service';
import { HelperRequestError } from './helper-client';
import type { HelperPort } from './helper-port';
import type { HistoryDb } from './history-db';
import type { Logger } from './log';
import type { NetmonCoreOptions } from './netmon-core';
import { resolveReplayFile } from './replay-file';
import { MEMORY_SECONDS } from './rollup-memory';
import type { RollupMemory } from './rollup-memory';
import { SerialQueue } from './serial-queue';
import { applyPatch, FILE_ONLY_SETTINGS, refusedPatchFields, SettingsError } from './settings';

/** The command a user runs once to grant capture rights. */
export const GRANT_COMMAND = 'sudo netmon install';

export type RequestHandler<C extends RequestChannel> = (params: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>>;
export type Handlers = { [C in RequestChannel]: RequestHandler<C> };

/** Prefix length of a netmask (`255.255.255.0` → 24, `ffff:ffff::` → 32); `full` when absent or not contiguous. */
export function prefixLength(netmask: string | null, full: number): number {
  if (netmask === null) return full;
  return netmaskPrefix(netmask) ?? full;
}

/** What the handlers read and drive: the core's parts and the queries it answers from them. */
export interface HandlerHost {
  readonly options: NetmonCoreOptions;
  readonly capture: CaptureControl;
  readonly flows: FlowBook;
  readonly history: HistoryDb;
  readonly memory: RollupMemory;
  readonly geoTally: GeoTally;
  readonly exports: ExportService;
  readonly log: Logger;
  settings(): Settings;
  /** `settings.set` accepted a change: these are in force from now on. */
  replaceSettings(settings: Settings): void;
  helper(): HelperPort | null;
  geo(): GeoService | undefined;
  /** Gives the flows held the country and AS of the geo databases now in use. */
  useGeo(geo: GeoService): void;
  now(): number;
  withGeo(flow: FlowSummary): FlowSummary;
  sessionFilter(filter: FlowFilter): FlowFilter;
  queryFlows(q: FlowQuery): FlowPage;
  counterSeries(q: { fromMs: number; toMs: number; stepSec: number; iface?: string }): CounterSeries;
  stats(): Promise<Stats>;
  applications(session: string | null, fromMs: number | null): ApplicationsReport;
}

/**
 * The handler of every request channel, whose params `NetmonCore.request` has checked.
 * A face of the app replaces a few (`NetmonCore.provide`): those that need a dialog or a terminal.
 */
export function requestHandlers(host: HandlerHost): Handlers {
  // A change reads the settings in force, waits for the file and replaces them: changes take turns, so none is lost.
  const settingsChanges = new SerialQueue();
  return {
    'interfaces.list': async () => {
      const helper = requireHelper(host.helper());
      if (!helper.ok) return helper;
      const { interfaces } = await helper.value.request('interfaces', {});
      return ok(interfaces.map((i): InterfaceInfo => ({
        name: i.name,
        description: i.description ?? '',
        addresses: i.addresses.flatMap((a) => a.family === 'link' ? [] : [{
          address: a.address,
          prefix: prefixLength(a.netmask, a.family === 'IPv6' ? 128 : 32),
          family: a.family === 'IPv6' ? 'ipv6' as const : 'ipv4' as const,
        }]),
        up: i.up,
        loopback: i.loopback,
        linkType: i.linkType,
        canCapture: i.canCapture,
      })));
    },
    'capture.start': async (source) => {
      if (source.kind !== 'replay') return host.capture.beginCapture(source);
      // Reading the file of the last capture again names nothing new: the user chose it (flag, dialog, upload).
      const last = host.capture.captureStatus().source;
      if (last?.kind === 'replay' && source.file === last.file) return host.capture.beginCapture(source);
      // Otherwise a client names files only inside the replay directory the user configured.
      const file = await resolveReplayFile(host.settings().capture.replayDir, source.file);
      return file.ok ? host.capture.beginCapture({ ...source, file: file.value }) : file;
    },
    'capture.demo': async () => {
      const file = host.options.demoCapture ?? null;
      if (file === null) return fail('unavailable', 'this installation of Netmon has no demo capture');
      return host.capture.beginCapture({ kind: 'replay', file, speed: 1 });
    },
    'capture.open': async () => fail('unavailable', 'upload the capture file from the dashboard (netmon serve has no file dialog)'),
    'capture.stop': async () => host.capture.stopCapture(),
    'capture.status': async () => ok(host.capture.captureStatus()),
    'privileges.status': async () => {
      const helper = requireHelper(host.helper());
      if (!helper.ok) return ok({ canCapture: false, grantCommand: GRANT_COMMAND, reason: 'the capture helper is not running', outdated: false });
      const { interfaces, rights, rightsMessage } = await helper.value.request('interfaces', {});
      const allowed = rights === 'ready' && interfaces.some((i) => i.canCapture);
      const reason = allowed ? null : rightsMessage ?? interfaces.find((i) => i.reason !== null)?.reason ?? 'no interface can be captured with the current rights';
      return ok({ canCapture: allowed, grantCommand: GRANT_COMMAND, reason, outdated: rights === 'stale' });
    },
    'privileges.install': async () => fail('unavailable', `granting capture rights needs a terminal here: run '${GRANT_COMMAND}'`),
    'flows.query': async (query) => {
      const page = host.queryFlows({ ...query, filter: host.sessionFilter(query.filter) });
      return ok({ ...page, flows: page.flows.map(host.withGeo) });
    },
    'sessions.list': async ({ limit, beforeMs }) => ok(host.history.sessions(limit, beforeMs)),
    'flows.details': async ({ id }) => {
      // An ended flow comes from the finished-flow log, with its rates while main still keeps them.
      const flow = host.flows.get(id) ?? host.history.findFlow(id);
      if (flow !== undefined) return ok({ flow: host.withGeo(flow), series: host.flows.seriesOf(id) });
      return fail('not-found', `no flow with id ${JSON.stringify(id)}, live or in the history`);
    },
    'counters.series': async (q) => {
      const issues = checkCounterQuery(q);
      if (issues.length > 0) return fail('invalid', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
      return ok(host.counterSeries(q));
    },
    'rollups.recent': async ({ seconds }) => ok(host.memory.recent(Math.min(Math.max(0, seconds), MEMORY_SECONDS))),
    'stats.get': async () => ok(await host.stats()),
    // `serve --nats` provides it (src-main/bus/).
    'probes.list': async () => fail('unavailable', 'this process hears no probes: start netmon serve with --nats URL'),
    'names.get': async ({ ips }) => {
      const list = ips ?? [...host.flows.names.keys()].slice(0, 10_000);
      return ok(list.flatMap((ip) => {
        const name = host.flows.names.get(ip);
        return name === undefined ? [] : [{ ip, names: [{ name, source: 'dns' as const }] }];
      }));
    },
    'geo.breakdown': async () => {
      const geo = host.geo();
      if (geo === undefined) return fail('unavailable', 'the country and AS databases are not loaded');
      return ok(host.geoTally.breakdown(host.flows.activeFlows(), host.withGeo, geo.sources));
    },
    'web.sections': async ({ window }) => {
      const sessionId = host.capture.captureId;
      const empty = { window, toMs: null, requests: 0, dropped: 0, hosts: [], moreHosts: 0, encryptedHellos: 0 };
      const helper = host.helper();
      if (helper === null || sessionId === null) return ok(empty);
      try {
        const r = await helper.request('webSections', { sessionId, window });
        return ok({ ...r, toMs: r.toSecond === null ? null : r.toSecond * 1000 });
      } catch (err) {
        // A session the helper no longer keeps (it restarted, or kept newer ones) has nothing to show.
        if (err instanceof HelperRequestError && err.code === 'not-found') return ok(empty);
        throw err;
      }
    },
    'applications.list': async ({ session, windowSec }) => {
      const id = session ?? host.capture.captureId;
      const fromMs = windowSec === undefined ? null : host.now() - windowSec * 1000;
      return ok(host.applications(id, fromMs));
    },
    'settings.get': async () => ok(host.settings()),
    'settings.set': (patch) => settingsChanges.run(async () => {
      const refused = refusedPatchFields(patch, host.options.overriddenSettings ?? []);
      if (refused.length > 0) return fail('permission', `settings rejected: ${refused.map((i) => `${i.path} ${i.message}`).join('; ')}`, refused);
      const result = applyPatch(host.settings(), patch);
      if (!result.ok) return fail('invalid', `settings rejected: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, result.issues);
      const geo = host.geo();
      if (patch.geo !== undefined && geo !== undefined) {
        // A file that cannot be used rejects the change; the databases in use stay.
        try {
          await geo.replace(result.settings.geo);
          host.useGeo(geo);
        } catch (err) {
          if (!(err instanceof GeoSettingError)) throw err;
          return fail('invalid', `settings rejected: ${err.setting}: ${err.message}`, [{ path: err.setting, message: err.message }]);
        }
      }
      try {
        await host.options.saveSettings?.(patch);
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        return fail('conflict', `the settings file was not changed: ${err.message}`, err.issues);
      }
      host.replaceSettings(result.settings);
      host.flows.setMaxFlows(result.settings.flows.maxFlows);
      host.log.info({ changed: Object.keys(patch) }, 'settings changed');
      return ok(host.settings());
    }),
    'settings.info': async () =>
      ok({ file: host.options.settingsFile ?? null, fileOnly: [...FILE_ONLY_SETTINGS], overridden: [...(host.options.overriddenSettings ?? [])] }),
    ...alertHandlers(() => host.options.alerts),
    // The file needs a destination: the desktop app's save dialog or serve mode's POST /api/export download.
    'export.start': async () => fail('unavailable', 'export needs a destination: use the desktop app or POST /api/export'),
    'export.cancel': async ({ exportId }) => host.exports.cancel(exportId),
  };
}
