import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { EventChannel, RequestChannel } from '../api/contract';
import { EVENT_CHANNELS, isEventChannel, isRequestChannel } from '../api/contract';
import type { ApiError, ApiResult, FlowProto, FlowSortKey, FlowState } from '../api/types';
import type { WsClientMessage, WsServerMessage } from '../api/ws-protocol';
import { isLoopbackHost } from '../core/bind-address';
import type { Logger } from '../core/log';
import type { NetmonCore } from '../core/netmon-core';
import { matchAlertRoute } from './alert-routes';
import { serveExport } from './export-route';
import type { ServerCounters } from './metrics';
import { renderMetrics } from './metrics';
import { checkParams } from './request-params';

/** Largest request body and WebSocket message accepted. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Bytes queued to one WebSocket client beyond which pushed events are dropped for it. */
const MAX_WS_BUFFERED = 4 * 1024 * 1024;
/** Requests of one WebSocket client waiting for an answer at once. */
const MAX_WS_INFLIGHT = 64;

const WS_SUBPROTOCOL = 'netmon.v1';
const WS_TOKEN_PREFIX = 'netmon.token.';
const TOKEN_COOKIE = 'netmon_token';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // React and recharts set style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=()',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface NetmonServerOptions {
  core: NetmonCore;
  host: string;
  port: number;
  /** Empty = no token (refused unless the host is loopback). */
  token: string;
  /** The built dashboard (dist/renderer). */
  staticDir: string;
  logger: Logger;
}

export interface NetmonServer {
  /** `http://host:port` actually bound. */
  url: string;
  port: number;
  counters: ServerCounters;
  close(): Promise<void>;
}

function httpStatusOf(error: ApiError): number {
  switch (error.code) {
    case 'invalid':
      return 400;
    case 'not-found':
      return 404;
    case 'permission':
      return 403;
    case 'conflict':
      return 409;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
    default: {
      const never: never = error.code;
      return never;
    }
  }
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function tokenMatches(expected: Buffer, given: string | undefined | null): boolean {
  if (given === undefined || given === null) return false;
  const buf = Buffer.from(given);
  return buf.length === expected.length && timingSafeEqual(buf, expected);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Host names a loopback-only server answers to (blocks DNS rebinding of a page onto 127.0.0.1). */
function hostAllowed(hostHeader: string | undefined, bindHost: string): boolean {
  if (hostHeader === undefined) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d+$/, '');
  return isLoopbackHost(host) || host === bindHost;
}

/**
 * `netmon serve`'s HTTP face: the built dashboard, the REST routes, `/ws`
 * (the API contract over a WebSocket), health and Prometheus metrics. Every
 * route and the WebSocket check the bearer token when one is set.
 *
 * Token sources, in order: `Authorization: Bearer T`; for the WebSocket the
 * subprotocol `netmon.token.T`; `?token=T` in the URL (a browser opening the
 * dashboard), after which an HttpOnly SameSite=Strict cookie carries it.
 */
export async function startNetmonServer(options: NetmonServerOptions): Promise<NetmonServer> {
  const { core, logger: log } = options;
  if (options.token === '' && !isLoopbackHost(options.host)) {
    throw new Error(`refusing to serve on ${options.host} without a token: bind to 127.0.0.1 or set --token`);
  }
  const expected = Buffer.from(options.token);
  const counters: ServerCounters = { wsClients: 0, wsEventsDropped: 0, httpRequests: 0, httpUnauthorized: 0 };
  const dashboardBuilt = fs.existsSync(path.join(options.staticDir, 'index.html'));

  function authorized(req: http.IncomingMessage, url: URL): { ok: boolean; viaQuery: boolean } {
    if (options.token === '') return { ok: true, viaQuery: false };
    const auth = req.headers.authorization;
    if (auth !== undefined && /^Bearer /i.test(auth) && tokenMatches(expected, auth.slice(7).trim())) return { ok: true, viaQuery: false };
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const fromProtocol = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX));
    if (fromProtocol !== undefined && tokenMatches(expected, fromProtocol.slice(WS_TOKEN_PREFIX.length))) return { ok: true, viaQuery: false };
    if (tokenMatches(expected, url.searchParams.get('token'))) return { ok: true, viaQuery: true };
    if (tokenMatches(expected, cookieValue(req.headers.cookie, TOKEN_COOKIE))) return { ok: true, viaQuery: false };
    return { ok: false, viaQuery: false };
  }

  function send(res: http.ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function sendJson(res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
    send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', { 'Cache-Control': 'no-store', ...extra });
  }

  function sendResult<T>(res: http.ServerResponse, result: ApiResult<T>): void {
    if (result.ok) sendJson(res, 200, result.value);
    else sendJson(res, httpStatusOf(result.error), { error: result.error });
  }

  async function call<C extends RequestChannel>(res: http.ServerResponse, channel: C, raw: unknown): Promise<void> {
    const params = checkParams(channel, raw);
    if (!params.ok) return sendResult(res, params);
    sendResult(res, await core.request(channel, params.value));
  }

  async function readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return {};
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch (err) {
      throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const p = url.pathname;
    const q = url.searchParams;
    const key = `${method} ${p}`;
    switch (key) {
      case 'GET /healthz':
        return sendJson(res, 200, { status: 'ok' });
      case 'GET /readyz': {
        const status = core.captureStatus();
        const ready = status.helper === 'connected';
        return sendJson(res, ready ? 200 : 503, { ready, helper: status.helper, capture: status.state });
      }
      case 'GET /metrics': {
        const stats = await core.request('stats.get', {});
        if (!stats.ok) return sendResult(res, stats);
        return send(res, 200, renderMetrics(stats.value, counters), 'text/plain; version=0.0.4; charset=utf-8', { 'Cache-Control': 'no-store' });
      }
      case 'GET /api/interfaces':
        return call(res, 'interfaces.list', {});
      case 'POST /api/capture/start':
        return call(res, 'capture.start', await readJson(req));
      case 'POST /api/capture/stop':
        return call(res, 'capture.stop', {});
      case 'GET /api/capture/status':
        return call(res, 'capture.status', {});
      case 'GET /api/privileges':
        return call(res, 'privileges.status', {});
      case 'GET /api/flows':
        return call(res, 'flows.query', flowQueryFromUrl(q));
      case 'GET /api/counters': {
        const now = Date.now();
        const to = timeParam(q.get('to'), 'to') ?? now;
        const from = timeParam(q.get('from'), 'from') ?? to - 3_600_000;
        return call(res, 'counters.series', {
          fromMs: from,
          toMs: to,
          stepSec: numberParam(q.get('step'), 'step') ?? 60,
          ...(q.get('iface') !== null ? { iface: q.get('iface') } : {}),
        });
      }
      case 'GET /api/rollups':
        return call(res, 'rollups.recent', { seconds: numberParam(q.get('seconds'), 'seconds') ?? 60 });
      case 'GET /api/stats':
        return call(res, 'stats.get', {});
      case 'GET /api/names':
        return call(res, 'names.get', q.has('ip') ? { ips: q.getAll('ip') } : {});
      case 'GET /api/settings':
        return call(res, 'settings.get', {});
      case 'PUT /api/settings':
        return call(res, 'settings.set', await readJson(req));
      case 'POST /api/export':
        return serveExport(core.exports, res, await readJson(req), SECURITY_HEADERS, httpStatusOf);
      default:
        break;
    }
    const flowMatch = /^\/api\/flows\/([^/]+)$/.exec(p);
    if (flowMatch !== null && method === 'GET') return call(res, 'flows.details', { id: decodeURIComponent(flowMatch[1]) });
    const alertRoute = matchAlertRoute(method, p, q);
    if (alertRoute !== null) return call(res, alertRoute.channel, await alertRoute.params(() => readJson(req)));
    if (p.startsWith('/api/') || p === '/ws') throw new HttpError(p.startsWith('/api/') ? 404 : 426, `no route ${method} ${p}`);
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here`);
    return serveStatic(res, p);
  }

  function serveStatic(res: http.ServerResponse, urlPath: string): void {
    if (!dashboardBuilt) {
      return send(res, 200, NOT_BUILT_PAGE, 'text/html; charset=utf-8', { 'Cache-Control': 'no-store' });
    }
    const root = path.resolve(options.staticDir);
    let file = path.resolve(root, `.${decodeURIComponent(urlPath)}`);
    if (file !== root && !file.startsWith(`${root}${path.sep}`)) throw new HttpError(404, 'not found');
    let stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      file = path.join(file, 'index.html');
      stat = fs.statSync(file, { throwIfNoEntry: false });
    }
    // Client-side routes fall back to the app; a missing asset with an extension is a real 404.
    if (stat === undefined || !stat.isFile()) {
      if (path.extname(file) !== '') throw new HttpError(404, 'not found');
      file = path.join(root, 'index.html');
    }
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600';
    send(res, 200, fs.readFileSync(file), type, { 'Cache-Control': cache });
  }

  const server = http.createServer((req, res) => {
    counters.httpRequests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.token === '' && !hostAllowed(req.headers.host, options.host)) {
      return sendJson(res, 421, { error: { code: 'invalid', message: 'this server answers to localhost only' } });
    }
    const auth = authorized(req, url);
    if (!auth.ok) {
      counters.httpUnauthorized++;
      return sendJson(res, 401, { error: { code: 'permission', message: 'missing or wrong token' } }, { 'WWW-Authenticate': 'Bearer realm="netmon"' });
    }
    // A browser that opened the dashboard with ?token= keeps it in a cookie that scripts cannot read.
    if (auth.viaQuery) res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`);
    route(req, res, url).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: { code: 'invalid', message: err.message } });
      log.error({ err, url: url.pathname }, 'request failed');
      sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BODY_BYTES,
    // The token subprotocol is never echoed back.
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return reject(404, 'Not Found');
    if (options.token === '' && !hostAllowed(req.headers.host, options.host)) return reject(421, 'Misdirected Request');
    // A page of another site must not drive this API (cross-site WebSocket hijacking).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        return reject(403, 'Forbidden');
      }
      if (originHost !== req.headers.host) return reject(403, 'Forbidden');
    }
    if (!authorized(req, url).ok) {
      counters.httpUnauthorized++;
      return reject(401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws));
  });

  function attachClient(ws: WebSocket): void {
    counters.wsClients++;
    let subscribed = new Set<EventChannel>(EVENT_CHANNELS);
    let dropped = 0;
    let inflight = 0;
    const write = (message: WsServerMessage) => ws.send(JSON.stringify(message));
    const unsubscribe = EVENT_CHANNELS.map((channel) =>
      core.on(channel, (payload) => {
        if (!subscribed.has(channel) || ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > MAX_WS_BUFFERED) {
          dropped++;
          counters.wsEventsDropped++;
          return;
        }
        if (dropped > 0) {
          write({ type: 'dropped', events: dropped });
          dropped = 0;
        }
        write({ type: 'event', channel, payload } as WsServerMessage);
      }),
    );
    ws.on('message', (data, isBinary) => {
      let msg: Partial<WsClientMessage> & Record<string, unknown>;
      try {
        if (isBinary) throw new Error('binary messages are not part of the protocol');
        msg = JSON.parse(String(data)) as typeof msg;
        if (typeof msg !== 'object' || msg === null) throw new Error('expected a JSON object');
      } catch (err) {
        return write({ type: 'error', id: null, message: (err as Error).message });
      }
      const id = typeof msg.id === 'number' && Number.isInteger(msg.id) ? msg.id : null;
      if (msg.type === 'subscribe') {
        const channels = Array.isArray(msg.channels) ? msg.channels : null;
        if (channels === null || !channels.every(isEventChannel)) return write({ type: 'error', id, message: 'subscribe: channels must list event channels' });
        subscribed = new Set(channels);
        return;
      }
      if (msg.type !== 'request' || id === null) return write({ type: 'error', id, message: "expected {type:'request', id, channel, params} or {type:'subscribe', channels}" });
      const channel = msg.channel;
      if (!isRequestChannel(channel)) return write({ type: 'error', id, message: `unknown channel ${JSON.stringify(channel)?.slice(0, 64)}` });
      if (inflight >= MAX_WS_INFLIGHT) {
        return write({ type: 'response', id, channel, result: { ok: false, error: { code: 'unavailable', message: `more than ${MAX_WS_INFLIGHT} requests in flight` } } } as WsServerMessage);
      }
      inflight++;
      void answer(channel, msg.params).then((result) => {
        inflight--;
        if (ws.readyState === ws.OPEN) write({ type: 'response', id, channel, result } as WsServerMessage);
      });
    });
    ws.on('close', () => {
      counters.wsClients--;
      for (const off of unsubscribe) off();
    });
    ws.on('error', (err) => log.debug({ err }, 'websocket client error'));
  }

  async function answer(channel: RequestChannel, raw: unknown): Promise<ApiResult<unknown>> {
    const params = checkParams(channel, raw);
    if (!params.ok) return params;
    return core.request(channel, params.value as never);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ url: `http://${hostText}:${address.port}`, token: options.token !== '', dashboard: dashboardBuilt }, 'serving');
  return {
    url: `http://${hostText}:${address.port}`,
    port: address.port,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function numberParam(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name}: expected a number, got ${JSON.stringify(value.slice(0, 64))}`);
  return n;
}

/** Milliseconds since the epoch, or an ISO 8601 date. */
function timeParam(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new HttpError(400, `${name}: expected milliseconds since the epoch or an ISO 8601 date`);
  return t;
}

function listParam<T extends string>(q: URLSearchParams, name: string): T[] | undefined {
  const values = q.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '');
  return values.length === 0 ? undefined : (values as T[]);
}

/** `GET /api/flows?limit&offset&sort&dir&proto&ip&port&name&state&text&iface&from&to&scope` as a flows.query. */
function flowQueryFromUrl(q: URLSearchParams): unknown {
  const filter: Record<string, unknown> = {};
  const proto = listParam<FlowProto>(q, 'proto');
  if (proto !== undefined) filter.proto = proto;
  const state = listParam<FlowState>(q, 'state');
  if (state !== undefined) filter.state = state;
  for (const name of ['ip', 'name', 'text', 'iface'] as const) {
    const v = q.get(name);
    if (v !== null && v !== '') filter[name] = v;
  }
  const port = numberParam(q.get('port'), 'port');
  if (port !== undefined) filter.port = port;
  const from = timeParam(q.get('from'), 'from');
  if (from !== undefined) filter.fromMs = from;
  const to = timeParam(q.get('to'), 'to');
  if (to !== undefined) filter.toMs = to;
  return {
    scope: q.get('scope') ?? 'all',
    filter,
    sort: { key: (q.get('sort') ?? 'bytes') as FlowSortKey, dir: q.get('dir') ?? 'desc' },
    offset: numberParam(q.get('offset'), 'offset') ?? 0,
    limit: numberParam(q.get('limit'), 'limit') ?? 100,
  };
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Netmon</title></head>
<body>
<h1>Netmon is running</h1>
<p>The dashboard has not been built in this installation. Build it with <code>npm run build</code>.</p>
<p>The API works: <a href="/api/stats">/api/stats</a>, <a href="/api/flows">/api/flows</a>, <a href="/metrics">/metrics</a>, WebSocket at <code>/ws</code>.</p>
</body></html>
`;
