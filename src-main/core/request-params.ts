import type { Validator } from '../../src-capture-helper/protocol/schema';
import { arr, bool, copied, int, num, obj, oneOf, optional, record, str, tagged, ValidationError } from '../../src-capture-helper/protocol/schema';
import { Type, type TSchema } from '../../src-shared/schema';
import type { RequestChannel, RequestParams } from '../api/contract';
import type { FlowFilter } from '../api/types/flows';
import type { ApiResult } from '../api/types/results';
import { FLOW_SORT_KEYS } from '../../src-shared/flow-query';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';

/**
 * Checks the params of a request: a fresh value with only the known fields, or
 * an 'invalid' error naming the first bad field. `NetmonCore.request` runs it
 * on every request, so every transport (WebSocket, REST, the Electron bridge)
 * goes through the same checks.
 */

const protos = oneOf(FLOW_PROTOCOLS);
const states = oneOf(['syn', 'established', 'fin', 'rst', 'closed', 'active'] as const);
const sortKeys = oneOf(FLOW_SORT_KEYS);
const shownStates = oneOf(['syn', 'established', 'fin', 'rst', 'closed', 'active', 'ended'] as const);
const port = int(0, 65535);
const portRange = Type.Tuple([port, port], { description: '[low, high]' });
const cursorValue = Type.Union([str({ max: 1024 }), num()], { description: 'a finite number or a string of at most 1024 characters' });
const empty = obj({});

export const flowFilter: Validator<FlowFilter> = obj({
  text: optional(str({ max: 256 })),
  proto: optional(arr(protos, 5)),
  ip: optional(str({ max: 64 })),
  port: optional(port),
  ports: optional(arr(portRange, 64)),
  name: optional(str({ max: 256 })),
  state: optional(arr(states, 6)),
  shown: optional(arr(shownStates, 7)),
  ids: optional(arr(str({ min: 1, max: 256 }), 10_000)),
  iface: optional(str({ max: 256 })),
  country: optional(str({ min: 1, max: 32 })),
  asn: optional(int(0, 0xffffffff)),
  application: optional(str({ min: 1, max: 256 })),
  probe: optional(str({ max: 64 })),
  session: optional(str({ min: 1, max: 64 })),
  fromMs: optional(num()),
  toMs: optional(num()),
});

const flowQuery = obj({
  scope: oneOf(['active', 'finished', 'all'] as const),
  filter: flowFilter,
  sort: obj({ key: sortKeys, dir: oneOf(['asc', 'desc'] as const) }),
  offset: int(0, 1 << 30),
  limit: int(1, 1000),
  after: optional(obj({ value: cursorValue, id: str({ min: 1, max: 256 }) })),
});

const captureSource = tagged('kind', {
  live: obj({
    interfaces: arr(str({ min: 1, max: 256 }), 64),
    bpf: optional(str({ max: 8192 })),
    snaplen: optional(int(64, 262_144)),
    promiscuous: optional(bool),
  }),
  replay: obj({ file: str({ min: 1, max: 4096 }), speed: num(0, 10_000) }),
});

/** Settings patches are checked field by field by the settings module; here only their outline. */
const settingsPatch = record(record(Type.Unknown(), 32), 16);

/** Alert payloads are validated by the alert engine with its own messages; here only their outline (kept whole). */
const anyObject = Type.Object({}, { additionalProperties: true });

const id = str({ min: 1, max: 256 });

const VALIDATORS: { [C in RequestChannel]: TSchema } = {
  'interfaces.list': empty,
  'capture.start': captureSource,
  'capture.stop': empty,
  'capture.status': empty,
  'capture.demo': empty,
  'capture.open': obj({ speed: num(0, 10_000) }),
  'privileges.status': empty,
  'privileges.install': empty,
  'flows.query': flowQuery,
  'flows.details': obj({ id }),
  'sessions.list': obj({ limit: int(1, 1000), beforeMs: optional(num()) }),
  'counters.series': obj({ fromMs: num(), toMs: num(), stepSec: int(1, 31_536_000), iface: optional(str({ max: 256 })) }),
  'rollups.recent': obj({ seconds: int(0, 3600) }),
  'stats.get': empty,
  'probes.list': empty,
  'names.get': obj({ ips: optional(arr(str({ max: 64 }), 10_000)) }),
  'geo.breakdown': empty,
  'web.sections': obj({ window: oneOf(['10s', '60s', 'session'] as const) }),
  // A window up to the longest history kept (10 years).
  'applications.list': obj({ session: optional(str({ min: 1, max: 64 })), windowSec: optional(int(1, 315_360_000)) }),
  'settings.get': empty,
  'settings.set': settingsPatch,
  'settings.info': empty,
  'alerts.rules.list': empty,
  'alerts.rules.create': anyObject,
  'alerts.rules.update': obj({ id, rule: anyObject }),
  'alerts.rules.delete': obj({ id }),
  'alerts.events.list': obj({ limit: int(1, 1000), beforeMs: optional(num()) }),
  'alerts.channels.test': obj({ channelId: id }),
  'alerts.channels.list': empty,
  'alerts.channels.create': anyObject,
  'alerts.channels.update': obj({ id, channel: anyObject }),
  'alerts.channels.delete': obj({ id }),
  'alerts.channels.status': empty,
  'export.start': obj({
    format: oneOf(['pcapng', 'pcap'] as const),
    flowIds: optional(arr(id, 100_000)),
    filter: optional(flowFilter),
    fromMs: optional(num()),
    toMs: optional(num()),
  }),
  'export.cancel': obj({ exportId: id }),
};

export function checkParams<C extends RequestChannel>(channel: C, params: unknown): ApiResult<RequestParams<C>> {
  try {
    return { ok: true, value: copied(VALIDATORS[channel], params ?? {}, 'params') as RequestParams<C> };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const [path, ...rest] = err.message.split(': ');
    return { ok: false, error: { code: 'invalid', message: err.message, issues: [{ path, message: rest.join(': ') }] } };
  }
}
