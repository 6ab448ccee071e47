import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../core/bind-address';

/**
 * Who may use `netmon serve`, decided from a request's headers alone. The rules (docs/security.md):
 *
 * - Authentication: every route but the dashboard's own files needs the token, as
 *   `Authorization: Bearer T` or, on the WebSocket upgrade, the subprotocol `netmon.token.T`
 *   (the one header a page can set there). Browsers keep it in the page's storage, which is
 *   per origin (port included), never in a cookie, which every port of a host would receive.
 * - Same origin: a request a browser sends on behalf of a page of another origin (another site,
 *   or another port of this host) is refused, read or write, HTTP or WebSocket: its `Origin`
 *   must be the dashboard's own and its `Sec-Fetch-Site` `same-origin` (or `none`: typed by the
 *   user). Requests without those headers come from programs, not pages, and need the token.
 * - State changes carry a body type a page of another origin cannot send without a CORS
 *   preflight (`application/json`, or `application/octet-stream` for an upload); preflights
 *   are never granted.
 * - A loopback server answers only to loopback host names, so a page that rebinds its own
 *   name to 127.0.0.1 gets nothing.
 */

export const WS_SUBPROTOCOL = 'netmon.v1';
export const WS_TOKEN_PREFIX = 'netmon.token.';

/** The host part of a Host header (`[::1]:8080` -> `::1`), or null when it is not one. */
export function hostOf(hostHeader: string): string | null {
  const match = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(hostHeader) ?? /^([^:[\]@/\s]+)(?::\d{1,5})?$/.exec(hostHeader);
  return match === null ? null : match[1].toLowerCase();
}

/** Host names a server bound to `bindHost` answers to: loopback names only when it listens on loopback. */
export function hostAllowed(hostHeader: string | undefined, bindHost: string): boolean {
  if (hostHeader === undefined) return false;
  const host = hostOf(hostHeader);
  if (host === null) return false;
  return !isLoopbackHost(bindHost) || isLoopbackHost(host) || host === bindHost;
}

/**
 * Why a request comes from a page of another origin, or null when it does not. The dashboard's
 * origin is this server as the browser reached it: the request's own Host.
 */
export function crossOriginReason(headers: IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a page of another origin (Sec-Fetch-Site: ${String(site).slice(0, 32)})`;
  const origin = headers.origin;
  if (origin === undefined) return null;
  const host = headers.host;
  if (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`)) {
    return `a page of another origin (Origin: ${origin.slice(0, 100)})`;
  }
  return null;
}

/** The token a request presents: its bearer token, or on a WebSocket upgrade its token subprotocol. */
export function presentedToken(headers: IncomingHttpHeaders, upgrade: boolean): string | null {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const bearer = /^Bearer +(\S+) *$/i.exec(auth);
    return bearer === null ? null : bearer[1];
  }
  if (!upgrade) return null;
  const protocols = String(headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const fromProtocol = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX));
  return fromProtocol === undefined ? null : fromProtocol.slice(WS_TOKEN_PREFIX.length);
}

/** Compares in constant time for tokens of the expected length. */
export function tokenMatches(expected: Buffer, given: string | null): boolean {
  if (given === null) return false;
  const buf = Buffer.from(given);
  return buf.length === expected.length && timingSafeEqual(buf, expected);
}

/** The media type of a Content-Type header, lower case, without parameters (`application/json`). */
export function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === '' ? null : type;
}
