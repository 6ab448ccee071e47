import type { RequestChannel } from '../api/contract';
import type { FlowSortKey, FlowState } from '../api/types/flows';
import type { FlowProto } from '../api/types/traffic';

/** A request the client got wrong before its params reach the channel's validator (a query value that is not a number). */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  readonly statusCode = 400;
}

export interface RestRequest {
  /** Path parameters, decoded (`:id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; `{}` when there is none. */
  body: unknown;
}

/** One REST route: a request channel and how its params come from the URL and the body. */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  channel: RequestChannel;
  params(req: RestRequest): unknown;
}

const none = (): unknown => ({});
const body = (req: RestRequest): unknown => req.body;

/**
 * The REST face of the API: each route is a request channel, answered by the same
 * `NetmonCore.request` (and so the same validation) as the WebSocket and the Electron bridge.
 * `POST /api/export` and `POST /api/capture/upload` stream, and live in their own modules.
 */
export const REST_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/api/interfaces', channel: 'interfaces.list', params: none },
  { method: 'POST', url: '/api/capture/start', channel: 'capture.start', params: body },
  { method: 'POST', url: '/api/capture/stop', channel: 'capture.stop', params: none },
  { method: 'GET', url: '/api/capture/status', channel: 'capture.status', params: none },
  { method: 'POST', url: '/api/capture/demo', channel: 'capture.demo', params: none },
  { method: 'GET', url: '/api/privileges', channel: 'privileges.status', params: none },
  { method: 'GET', url: '/api/flows', channel: 'flows.query', params: ({ query }) => flowQueryFromUrl(query) },
  { method: 'GET', url: '/api/sessions', channel: 'sessions.list', params: ({ query }) => eventQueryFromUrl(query) },
  { method: 'GET', url: '/api/flows/:id', channel: 'flows.details', params: ({ params }) => ({ id: params.id }) },
  { method: 'GET', url: '/api/counters', channel: 'counters.series', params: ({ query }) => counterQueryFromUrl(query) },
  { method: 'GET', url: '/api/rollups', channel: 'rollups.recent', params: ({ query }) => ({ seconds: numberParam(query.get('seconds'), 'seconds') ?? 60 }) },
  { method: 'GET', url: '/api/stats', channel: 'stats.get', params: none },
  { method: 'GET', url: '/api/geo', channel: 'geo.breakdown', params: none },
  { method: 'GET', url: '/api/web-sections', channel: 'web.sections', params: ({ query }) => ({ window: query.get('window') ?? '10s' }) },
  { method: 'GET', url: '/api/applications', channel: 'applications.list', params: ({ query }) => applicationsQueryFromUrl(query) },
  { method: 'GET', url: '/api/probes', channel: 'probes.list', params: none },
  { method: 'GET', url: '/api/names', channel: 'names.get', params: ({ query }) => (query.has('ip') ? { ips: query.getAll('ip') } : {}) },
  { method: 'GET', url: '/api/settings', channel: 'settings.get', params: none },
  { method: 'PUT', url: '/api/settings', channel: 'settings.set', params: body },
  { method: 'GET', url: '/api/settings/info', channel: 'settings.info', params: none },
  // Alerts (docs/alerts.md).
  { method: 'GET', url: '/api/alerts/rules', channel: 'alerts.rules.list', params: none },
  { method: 'POST', url: '/api/alerts/rules', channel: 'alerts.rules.create', params: body },
  { method: 'PUT', url: '/api/alerts/rules/:id', channel: 'alerts.rules.update', params: (req) => ({ id: req.params.id, rule: req.body }) },
  { method: 'DELETE', url: '/api/alerts/rules/:id', channel: 'alerts.rules.delete', params: ({ params }) => ({ id: params.id }) },
  { method: 'GET', url: '/api/alerts/events', channel: 'alerts.events.list', params: ({ query }) => eventQueryFromUrl(query) },
  { method: 'GET', url: '/api/alerts/channels', channel: 'alerts.channels.list', params: none },
  { method: 'GET', url: '/api/alerts/channels/status', channel: 'alerts.channels.status', params: none },
  { method: 'POST', url: '/api/alerts/channels', channel: 'alerts.channels.create', params: body },
  { method: 'PUT', url: '/api/alerts/channels/:id', channel: 'alerts.channels.update', params: (req) => ({ id: req.params.id, channel: req.body }) },
  { method: 'DELETE', url: '/api/alerts/channels/:id', channel: 'alerts.channels.delete', params: ({ params }) => ({ id: params.id }) },
  { method: 'POST', url: '/api/alerts/channels/:id/test', channel: 'alerts.channels.test', params: ({ params }) => ({ channelId: params.id }) },
];

function numberParam(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BadRequestError(`${name}: expected a number, got ${JSON.stringify(value.slice(0, 64))}`);
  return n;
}

/** Milliseconds since the epoch, or an ISO 8601 date. */
function timeParam(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new BadRequestError(`${name}: expected milliseconds since the epoch or an ISO 8601 date`);
  return t;
}

function listParam<T extends string>(q: URLSearchParams, name: string): T[] | undefined {
  const values = q.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '');
  return values.length === 0 ? undefined : (values as T[]);
}

/** A JSON value in the URL (a page cursor), checked by the channel's validator. */
function jsonParam(value: string, name: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new BadRequestError(`${name}: expected JSON, as a page's "next" gives it`);
  }
}

/** `GET /api/flows?limit&offset&sort&dir&proto&ip&port&name&state&text&iface&probe&country&asn&application&session&from&to&scope&after` as a
 *  flows.query (`after`: the JSON cursor of the page before, its `next`). */
function flowQueryFromUrl(q: URLSearchParams): unknown {
  const filter: Record<string, unknown> = {};
  const proto = listParam<FlowProto>(q, 'proto');
  if (proto !== undefined) filter.proto = proto;
  const state = listParam<FlowState>(q, 'state');
  if (state !== undefined) filter.state = state;
  for (const name of ['ip', 'name', 'text', 'iface', 'probe', 'country', 'application', 'session'] as const) {
    const v = q.get(name);
    if (v !== null && v !== '') filter[name] = v;
  }
  const port = numberParam(q.get('port'), 'port');
  if (port !== undefined) filter.port = port;
  const asn = numberParam(q.get('asn'), 'asn');
  if (asn !== undefined) filter.asn = asn;
  const from = timeParam(q.get('from'), 'from');
  if (from !== undefined) filter.fromMs = from;
  const to = timeParam(q.get('to'), 'to');
  if (to !== undefined) filter.toMs = to;
  const after = q.get('after');
  return {
    ...(after === null || after === '' ? {} : { after: jsonParam(after, 'after') }),
    scope: q.get('scope') ?? 'all',
    filter,
    sort: { key: (q.get('sort') ?? 'bytes') as FlowSortKey, dir: q.get('dir') ?? 'desc' },
    offset: numberParam(q.get('offset'), 'offset') ?? 0,
    limit: numberParam(q.get('limit'), 'limit') ?? 100,
  };
}

/** `GET /api/applications?session=ID|*&window=3600|90s|15m|24h|7d`: the current session and all time by default. */
function applicationsQueryFromUrl(q: URLSearchParams): unknown {
  const session = q.get('session');
  const window = q.get('window');
  return { ...(session === null || session === '' ? {} : { session }), ...(window === null || window === '' ? {} : { windowSec: durationParam(window, 'window') }) };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds, bare or with a unit (`90s`, `15m`, `24h`, `7d`); the channel's validator bounds them. */
function durationParam(value: string, name: string): number {
  const m = /^(\d{1,12})([smhd]?)$/.exec(value);
  if (m === null) throw new BadRequestError(`${name}: expected seconds or a duration such as 15m, 24h or 7d, got ${JSON.stringify(value.slice(0, 64))}`);
  return Number(m[1]) * DURATION_UNITS[m[2] === '' ? 's' : m[2]];
}

/** `GET /api/counters?from&to&step&iface`: the last hour in 1 min steps by default. */
function counterQueryFromUrl(q: URLSearchParams): unknown {
  const to = timeParam(q.get('to'), 'to') ?? Date.now();
  const from = timeParam(q.get('from'), 'from') ?? to - 3_600_000;
  const iface = q.get('iface');
  return { fromMs: from, toMs: to, stepSec: numberParam(q.get('step'), 'step') ?? 60, ...(iface !== null ? { iface } : {}) };
}

/** `GET /api/alerts/events?limit&before` and `GET /api/sessions?limit&before` (before: ms or an ISO date), newest first. */
function eventQueryFromUrl(q: URLSearchParams): unknown {
  const before = timeParam(q.get('before'), 'before');
  return { limit: numberParam(q.get('limit'), 'limit') ?? 100, ...(before === undefined ? {} : { beforeMs: before }) };
}
