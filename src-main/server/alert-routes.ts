import type { RequestChannel } from '../api/contract';

/** A REST route of the alerts API: the request channel it maps to and how to build its params. */
export interface AlertRoute {
  channel: RequestChannel;
  /** `body` reads the request's JSON body; only routes that take one call it. */
  params(body: () => Promise<unknown>): Promise<unknown>;
}

const RULE = /^\/api\/alerts\/rules\/([^/]+)$/;
const CHANNEL = /^\/api\/alerts\/channels\/([^/]+)$/;
const CHANNEL_TEST = /^\/api\/alerts\/channels\/([^/]+)\/test$/;

const fixed = (channel: RequestChannel, value: unknown): AlertRoute => ({ channel, params: async () => value });

/** Milliseconds since the epoch, or an ISO 8601 date; anything else is left for the params check to refuse. */
function timeOrRaw(value: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : t;
}

/**
 * The alerts REST surface (docs/alerts.md), mapped onto the same request
 * channels as the WebSocket and the Electron bridge:
 *
 *   GET    /api/alerts/rules              alerts.rules.list
 *   POST   /api/alerts/rules              alerts.rules.create (body: rule)
 *   PUT    /api/alerts/rules/:id          alerts.rules.update (body: rule)
 *   DELETE /api/alerts/rules/:id          alerts.rules.delete
 *   GET    /api/alerts/events?limit&before alerts.events.list (newest first; before = ms or ISO date)
 *   GET    /api/alerts/channels           alerts.channels.list
 *   GET    /api/alerts/channels/status    alerts.channels.status
 *   POST   /api/alerts/channels           alerts.channels.create (body: channel)
 *   PUT    /api/alerts/channels/:id       alerts.channels.update (body: channel)
 *   DELETE /api/alerts/channels/:id       alerts.channels.delete
 *   POST   /api/alerts/channels/:id/test  alerts.channels.test
 *
 * Returns null for any other method and path.
 */
export function matchAlertRoute(method: string, pathname: string, query: URLSearchParams): AlertRoute | null {
  if (!pathname.startsWith('/api/alerts/')) return null;
  switch (`${method} ${pathname}`) {
    case 'GET /api/alerts/rules':
      return fixed('alerts.rules.list', {});
    case 'POST /api/alerts/rules':
      return { channel: 'alerts.rules.create', params: (body) => body() };
    case 'GET /api/alerts/events': {
      const limit = query.get('limit');
      const before = query.get('before');
      return fixed('alerts.events.list', {
        limit: limit === null || limit === '' ? 100 : Number(limit),
        ...(before === null || before === '' ? {} : { beforeMs: timeOrRaw(before) }),
      });
    }
    case 'GET /api/alerts/channels':
      return fixed('alerts.channels.list', {});
    case 'GET /api/alerts/channels/status':
      return fixed('alerts.channels.status', {});
    case 'POST /api/alerts/channels':
      return { channel: 'alerts.channels.create', params: (body) => body() };
    default:
      break;
  }
  const test = CHANNEL_TEST.exec(pathname);
  if (test !== null) return method === 'POST' ? fixed('alerts.channels.test', { channelId: decodeURIComponent(test[1]) }) : null;
  const rule = RULE.exec(pathname);
  if (rule !== null) {
    const id = decodeURIComponent(rule[1]);
    if (method === 'PUT') return { channel: 'alerts.rules.update', params: async (body) => ({ id, rule: await body() }) };
    if (method === 'DELETE') return fixed('alerts.rules.delete', { id });
    return null;
  }
  const channel = CHANNEL.exec(pathname);
  if (channel !== null) {
    const id = decodeURIComponent(channel[1]);
    if (method === 'PUT') return { channel: 'alerts.channels.update', params: async (body) => ({ id, channel: await body() }) };
    if (method === 'DELETE') return fixed('alerts.channels.delete', { id });
    return null;
  }
  return null;
}
