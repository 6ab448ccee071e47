import fs from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ApiError, ApiResult } from '../api/types/results';
import { isLoopbackHost } from '../core/bind-address';
import type { Logger } from '../core/log';
import type { NetmonCore } from '../core/netmon-core';
import { checkParams } from '../core/request-params';
import { crossOriginReason, hostAllowed, mediaType, presentedToken, tokenMatches, WS_SUBPROTOCOL } from './access';
import { serveExport } from './export-route';
import type { ServerCounters } from './metrics';
import { newServerCounters, renderMetrics } from './metrics';
import type { RestRequest } from './rest-routes';
import { REST_ROUTES } from './rest-routes';
import { tooLarge, UploadStore } from './upload-route';
import { serveWsClient } from './ws-client';

/** Largest JSON request body and WebSocket message accepted. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A request (headers and body, an upload included) must arrive within this. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

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

const ALL_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export interface NetmonServerOptions {
  core: NetmonCore;
  host: string;
  port: number;
  /** Required on every route but the dashboard's files; null = no authentication (`--no-auth`, loopback only). */
  token: string | null;
  /** The built dashboard (dist/renderer). */
  staticDir: string;
  /** Private directory for uploaded captures. */
  uploadDir: string;
  maxUploadBytes: number;
  logger: Logger;
}

export interface NetmonServer {
  /** `http://host:port` actually bound. */
  url: string;
  port: number;
  counters: ServerCounters;
  close(): Promise<void>;
}

/** What a route lets through before authentication, and the body type it takes. */
interface RouteAccess {
  /** The dashboard's own files: no token (they are the same for everyone), still only under the right host name. */
  public?: boolean;
  /** The media type a state-changing request must declare. */
  bodyType?: 'application/json' | 'application/octet-stream';
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

function errorBody(code: ApiError['code'], message: string): { error: ApiError } {
  return { error: { code, message } };
}

/**
 * `netmon serve`'s HTTP face on fastify: the built dashboard, the REST routes, `/ws` (the API
 * contract over a WebSocket), health and Prometheus metrics. Who may use it is decided in one
 * hook that every request and every WebSocket upgrade passes (rules in ./access.ts); malformed
 * requests, unknown routes and methods, wrong body types and oversized bodies are answered by
 * the framework's error path with a 4xx, never by a crash.
 */
export async function startNetmonServer(options: NetmonServerOptions): Promise<NetmonServer> {
  const { core, logger: log } = options;
  if (options.token === null && !isLoopbackHost(options.host)) {
    throw new Error(`refusing to serve on ${options.host} without authentication: bind to 127.0.0.1 or use a token`);
  }
  const expected = options.token === null ? null : Buffer.from(options.token);
  const counters = newServerCounters();
  const dashboardBuilt = await fs.promises.access(path.join(options.staticDir, 'index.html')).then(() => true, () => false);
  const uploads = new UploadStore(options.uploadDir, options.maxUploadBytes);
  await uploads.open();

  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    forceCloseConnections: true,
    routerOptions: {
      maxParamLength: 256,
      // URLSearchParams decodes leniently and never throws on a bad escape.
      querystringParser: (text) => new URLSearchParams(text) as unknown as Record<string, string>,
    },
    // A path with a bad percent-escape (`/%`): no route can be chosen for it.
    frameworkErrors: (err, _request, reply: FastifyReply) => {
      counters.httpMalformed++;
      void reply.code(400).headers(SECURITY_HEADERS).send(errorBody('invalid', `malformed request: ${err.message}`));
    },
    // A request Node cannot even parse (request line, headers): 400 and the connection closes.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      counters.httpMalformed++;
      if (!socket.writable) return socket.destroy();
      const body = JSON.stringify(errorBody('invalid', `malformed request: ${err.code ?? err.message}`));
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  });

  // Only JSON bodies (empty = {}); the upload route adds its own stream parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text as string));
    } catch (err) {
      done(Object.assign(new Error(`request body is not valid JSON: ${(err as Error).message}`), { statusCode: 400 }), undefined);
    }
  });

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: MAX_BODY_BYTES,
      // The token subprotocol is never echoed back.
      handleProtocols: (protocols: Set<string>) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    },
  });
  await app.register(fastifyStatic, { root: path.resolve(options.staticDir), serve: false, cacheControl: false });

  const refuse = (reply: FastifyReply, status: number, code: ApiError['code'], message: string, headers: Record<string, string> = {}) =>
    reply.code(status).headers(headers).send(errorBody(code, message));

  app.addHook('onRequest', async (request, reply) => {
    counters.httpRequests++;
    const headers = request.headers;
    if (!hostAllowed(headers.host, options.host)) {
      counters.httpCrossOrigin++;
      return refuse(reply, 421, 'invalid', 'this server answers to its loopback address only');
    }
    const access = (request.routeOptions.config ?? {}) as RouteAccess;
    const upgrade = headers.upgrade !== undefined;
    if (upgrade && request.routeOptions.url !== '/ws') return refuse(reply, 404, 'not-found', 'WebSocket upgrades are served on /ws only');
    if (access.public === true) return;
    const crossOrigin = crossOriginReason(headers);
    if (crossOrigin !== null) {
      counters.httpCrossOrigin++;
      return refuse(reply, 403, 'permission', `refused: ${crossOrigin}`);
    }
    if (expected !== null && !tokenMatches(expected, presentedToken(headers, upgrade))) {
      counters.httpUnauthorized++;
      return refuse(reply, 401, 'permission', 'missing or wrong token', { 'WWW-Authenticate': 'Bearer realm="netmon"' });
    }
    if (access.bodyType !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      const type = mediaType(headers['content-type']);
      if (type !== access.bodyType) {
        return refuse(reply, 415, 'invalid', `${request.method} ${request.routeOptions.url} needs Content-Type: ${access.bodyType}, got ${type ?? 'none'}`);
      }
    }
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  app.setNotFoundHandler((request, reply) =>
    refuse(reply, 404, 'not-found', `no route ${request.method} ${request.url.split('?')[0].slice(0, 200)}`, { 'Cache-Control': 'no-store' }));

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      log.error({ err, url: request.url.slice(0, 200) }, 'request failed');
      return refuse(reply, 500, 'internal', 'internal error');
    }
    counters.httpMalformed++;
    return refuse(reply, status, status === 404 ? 'not-found' : 'invalid', err.message, { 'Cache-Control': 'no-store' });
  });

  const sendResult = (reply: FastifyReply, result: ApiResult<unknown>) =>
    result.ok ? reply.header('Cache-Control', 'no-store').send(result.value) : reply.code(httpStatusOf(result.error)).send({ error: result.error });

  /** Every method a path does not serve answers 405 with the ones it does (never a CORS preflight answer). */
  const methodsByUrl = new Map<string, Set<HTTPMethods>>();
  const route = (method: HTTPMethods, url: string, access: RouteAccess, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
    const bodyType = method === 'GET' ? undefined : access.bodyType ?? 'application/json';
    app.route({ method, url, config: { ...access, bodyType }, handler });
    const methods = methodsByUrl.get(url) ?? new Set<HTTPMethods>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
    methodsByUrl.set(url, methods);
  };

  route('GET', '/healthz', {}, async () => ({ status: 'ok' }));
  route('GET', '/readyz', {}, async (_request, reply) => {
    const status = core.captureStatus();
    const ready = status.helper === 'connected';
    return reply.code(ready ? 200 : 503).send({ ready, helper: status.helper, capture: status.state });
  });
  route('GET', '/metrics', {}, async (_request, reply) => {
    const stats = await core.request('stats.get', {});
    if (!stats.ok) return sendResult(reply, stats);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').header('Cache-Control', 'no-store').send(renderMetrics(stats.value, counters));
  });

  for (const rest of REST_ROUTES) {
    route(rest.method, rest.url, {}, async (request, reply) => {
      const req: RestRequest = { params: request.params as Record<string, string>, query: request.query as URLSearchParams, body: request.body ?? {} };
      return sendResult(reply, await core.request(rest.channel, rest.params(req)));
    });
  }

  route('POST', '/api/export', {}, async (request, reply) => {
    reply.hijack();
    await serveExport(core.exports, reply.raw, request.body ?? {}, SECURITY_HEADERS, httpStatusOf);
  });

  // Uploads stream to disk: this scope reads application/octet-stream bodies as a stream, capped by the store.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_req, body, done) => done(null, body));
    const upload = async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as URLSearchParams;
      // The same checks as a replay named through capture.start, on the uploaded file's name and the speed.
      const asked = checkParams('capture.start', { kind: 'replay', file: query.get('name') ?? 'upload.pcap', speed: Number(query.get('speed') ?? '0') });
      if (!asked.ok) return sendResult(reply, asked);
      const { file: name, speed } = asked.value as { file: string; speed: number };
      const state = core.captureStatus().state;
      if (state === 'running' || state === 'starting') return sendResult(reply, { ok: false, error: { code: 'conflict', message: 'a capture is already running; stop it first' } });
      if (Number(request.headers['content-length']) > uploads.maxBytes) return reply.code(413).header('Connection', 'close').send({ error: tooLarge(uploads.maxBytes).error });
      const received = await uploads.receive(request.body as Readable, name);
      if (!received.ok) return reply.code(413).header('Connection', 'close').send({ error: received.error });
      const started = await core.startCapture({ kind: 'replay', file: received.value, speed });
      await (started.ok ? uploads.keep(received.value) : uploads.discard(received.value));
      return sendResult(reply, started);
    };
    scope.route({ method: 'POST', url: '/api/capture/upload', config: { bodyType: 'application/octet-stream' }, bodyLimit: options.maxUploadBytes, handler: upload });
    methodsByUrl.set('/api/capture/upload', new Set(['POST']));
  });

  app.route({
    method: 'GET',
    url: '/ws',
    handler: async (_request, reply) => refuse(reply, 426, 'invalid', 'GET /ws is a WebSocket: send an upgrade request', { Upgrade: 'websocket' }),
    wsHandler: (socket) => serveWsClient(socket, core, counters, log),
  });
  methodsByUrl.set('/ws', new Set(['GET', 'HEAD']));

  for (const [url, methods] of methodsByUrl) {
    const others = ALL_METHODS.filter((m) => !methods.has(m));
    const allow = [...methods].join(', ');
    app.route({ method: others as HTTPMethods[], url, handler: async (request, reply) => refuse(reply, 405, 'invalid', `${request.method} is not allowed on ${url}; allowed: ${allow}`, { Allow: allow }) });
  }

  // The dashboard: files of the build, and index.html for the app's own paths (no extension).
  app.route({
    method: 'GET',
    url: '/*',
    config: { public: true } satisfies RouteAccess,
    handler: async (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      if (file.startsWith('api/')) return refuse(reply, 404, 'not-found', `no route GET /${file.slice(0, 200)}`);
      if (!dashboardBuilt) return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(NOT_BUILT_PAGE);
      if (path.extname(file) === '') return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
      // Vite names assets by their content: they never change under a name.
      return reply.header('Cache-Control', file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(file);
    },
  });

  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ url: `http://${hostText}:${address.port}`, auth: expected !== null, dashboard: dashboardBuilt }, 'serving');
  return {
    url: `http://${hostText}:${address.port}`,
    port: address.port,
    counters,
    close: async () => {
      for (const client of app.websocketServer.clients) client.terminate();
      await app.close();
      await uploads.clear();
    },
  };
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Netmon</title></head>
<body>
<h1>Netmon is running</h1>
<p>The dashboard has not been built in this installation. Build it with <code>npm run build</code>.</p>
<p>The API works with the token: <code>/api/stats</code>, <code>/api/flows</code>, <code>/metrics</code>, WebSocket at <code>/ws</code>.</p>
</body></html>
`;
