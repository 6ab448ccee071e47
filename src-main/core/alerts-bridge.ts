import type { RequestChannel, RequestParams, RequestResult } from '../api/contract';
import type { AlertChannel } from '../api/types/alerts';
import type { CaptureSource } from '../api/types/capture';
import type { FlowSummary } from '../api/types/flows';
import type { ApiError, ApiResult } from '../api/types/results';
import type { RollupTick } from '../api/types/rollups';
import type { AlertService } from './alerts/alert-service';
import { alertSampleFromTick } from './alerts/sample-from-tick';
import type { Result } from './alerts/validation';
import type { HelperPort } from './helper-port';
import type { Logger } from './log';

/** What the core uses of the alert feature: the AlertService (src-main/core/alerts/alert-service.ts). */
export type AlertsPort = Pick<
  AlertService,
  | 'listRules' | 'createRule' | 'updateRule' | 'deleteRule' | 'listEvents'
  | 'listChannels' | 'createChannel' | 'updateChannel' | 'deleteChannel' | 'channelStatus' | 'testChannel'
  | 'onSample' | 'resetTimeline' | 'holdDelivery' | 'on'
>;

type AlertChannelName = Extract<RequestChannel, `alerts.${string}`>;
type AlertHandlers = { [C in AlertChannelName]: (params: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>> };

function unavailable<T>(): ApiResult<T> {
  return { ok: false, error: { code: 'unavailable', message: 'alerts are not enabled' } };
}

/** The alert engine's field errors as the API's 'invalid' error; an unknown id is 'not-found'. */
function fromAlerts<T>(result: Result<T>): ApiResult<T> {
  if (result.ok) return { ok: true, value: result.value };
  const issues = result.errors.map((e) => ({ path: e.field, message: e.message }));
  const message = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
  const code: ApiError['code'] = result.forbidden === true
    ? 'permission'
    : issues.length === 1 && issues[0].path === 'id' && /^no (rule|channel) with id/.test(issues[0].message)
      ? 'not-found'
      : 'invalid';
  return { ok: false, error: { code, message, issues } };
}

/**
 * The request handlers of every `alerts.*` channel, answering 'unavailable'
 * when the core runs without alerts. `port` is read at call time (the core
 * builds its handler table before its constructor has run).
 */
export function alertHandlers(port: () => AlertsPort | undefined): AlertHandlers {
  const use = <T>(fn: (a: AlertsPort) => ApiResult<T> | Promise<ApiResult<T>>): Promise<ApiResult<T>> => {
    const alerts = port();
    return Promise.resolve(alerts === undefined ? unavailable<T>() : fn(alerts));
  };
  return {
    'alerts.rules.list': () => use((a) => ({ ok: true, value: a.listRules() })),
    'alerts.rules.create': (rule) => use((a) => fromAlerts(a.createRule(rule))),
    'alerts.rules.update': ({ id, rule }) => use((a) => fromAlerts(a.updateRule(id, rule))),
    'alerts.rules.delete': ({ id }) => use((a) => fromAlerts(a.deleteRule(id))),
    'alerts.events.list': ({ limit, beforeMs }) =>
      use((a) => ({ ok: true, value: a.listEvents(beforeMs === undefined ? { limit } : { limit, beforeTs: beforeMs }) })),
    'alerts.channels.list': () => use((a) => ({ ok: true, value: a.listChannels() as AlertChannel[] })),
    'alerts.channels.create': (channel) => use((a) => fromAlerts(a.createChannel(channel))),
    'alerts.channels.update': ({ id, channel }) => use((a) => fromAlerts(a.updateChannel(id, channel))),
    'alerts.channels.delete': ({ id }) => use((a) => fromAlerts(a.deleteChannel(id))),
    'alerts.channels.status': () => use((a) => ({ ok: true, value: a.channelStatus() })),
    'alerts.channels.test': ({ channelId }) =>
      use(async (a) => {
        if (!a.listChannels().some((c) => c.id === channelId)) {
          return { ok: false, error: { code: 'not-found', message: `no channel with id '${channelId}'` } };
        }
        const result = await a.testChannel(channelId);
        const httpStatus = result.httpStatus ?? null;
        return { ok: true, value: result.ok ? { delivered: true, httpStatus, error: null } : { delivered: false, httpStatus, error: result.error } };
      }),
  };
}

/** Most addresses kept for one live capture (the interfaces' own addresses). */
const MAX_LOCAL_ADDRESSES = 1024;

/**
 * Feeds the alert engine from the core's rollup ticks: resets its timeline
 * when a capture starts and knows the capturing host's addresses (live
 * capture), so top flows are told local and remote the helper's way.
 */
export class AlertFeed {
  private localAddresses = new Set<string>();
  /** Addresses of a live capture's interfaces left out beyond MAX_LOCAL_ADDRESSES. */
  droppedLocalAddresses = 0;
  /** Ticks whose evaluation threw; counted so a rule bug never stops the core's tick handling. */
  sampleErrors = 0;
  private pending: { tick: RollupTick; flow: (id: string) => FlowSummary | undefined } | null = null;

  constructor(private readonly alerts: AlertsPort | undefined, private readonly log: Logger) {}

  /**
   * A new capture: windows and firing states start afresh; a live capture learns its interfaces' addresses.
   * The demo's alerts are about nobody's traffic: they stay on this machine.
   */
  captureStarted(source: CaptureSource, helper: HelperPort, demo: boolean): void {
    this.alerts?.resetTimeline();
    this.alerts?.holdDelivery(demo ? 'demo' : null);
    this.localAddresses = new Set();
    if (this.alerts === undefined || source.kind !== 'live') return;
    const wanted = new Set(source.interfaces);
    helper.request('interfaces', {}).then(({ interfaces }) => {
      const local = new Set<string>();
      for (const i of interfaces) {
        if (!wanted.has(i.name)) continue;
        for (const a of i.addresses) {
          if (a.family === 'link') continue;
          if (local.size >= MAX_LOCAL_ADDRESSES) this.droppedLocalAddresses++;
          // Link-local IPv6 addresses come with a zone (fe80::1%eth0); flows carry the bare address.
          else local.add(a.address.replace(/%.*$/, '').toLowerCase());
        }
      }
      this.localAddresses = local;
    }).catch((err: unknown) => this.log.warn({ err }, 'cannot read the interface addresses; alert flows use the initiator as local side'));
  }

  /**
   * Holds the second until `flush`: the helper sends a second's flow deltas
   * after its rollup, and the tick's top flows are looked up in the flow book.
   * A tick still held when the next arrives (its deltas were dropped) goes first.
   */
  tick(tick: RollupTick, flow: (id: string) => FlowSummary | undefined): void {
    if (this.alerts === undefined) return;
    this.flush();
    this.pending = { tick, flow };
  }

  /** Evaluates the held second, once the flow book has taken that second's deltas (or the capture ends). */
  flush(): void {
    const held = this.pending;
    if (held === null || this.alerts === undefined) return;
    this.pending = null;
    try {
      this.alerts.onSample(alertSampleFromTick(held.tick, { flow: held.flow, localAddresses: this.localAddresses }));
    } catch (err) {
      this.sampleErrors++;
      this.log.error({ err }, 'alert evaluation failed for one second');
    }
  }
}
