/**
 * Plaintext HTTP/1.x request heads: the request line and the Host header
 * (also SSDP/UPnP requests over UDP, which use the same syntax). Bounds
 * checked, never throws on bytes.
 */
import { wireText } from './text';

export const HttpStatus = {
  /** A complete request head; `headLength` bytes were used. */
  done: 0,
  /** Looks like a request but the head is not complete yet. */
  needMore: 1,
  /** Not an HTTP request. */
  notHttp: 2,
} as const;
export type HttpStatus = (typeof HttpStatus)[keyof typeof HttpStatus];

export interface HttpRequestHead {
  status: HttpStatus;
  method: string;
  /** Request target as sent (origin form `/a/b?q`, absolute form, or `*`). */
  target: string;
  host?: string;
  /** Content-Length value when present and valid, else 0. */
  contentLength: number;
  /** Bytes of the head including the blank line. */
  headLength: number;
}

/** Request methods tshark's HTTP dissector recognises (RFC 9110, WebDAV, SSDP/UPnP, RTSP-like extensions left out). */
const METHODS = [
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
];
const METHOD_BYTES = METHODS.map((m) => Buffer.from(`${m} `, 'latin1'));

const CR = 13;
const LF = 10;

const notHttp = (): HttpRequestHead => ({ status: HttpStatus.notHttp, method: '', target: '', contentLength: 0, headLength: 0 });

/** Index of the method that `b` starts with at `start`, or -1. Cheap: compares a few bytes. */
export function requestMethodAt(b: Uint8Array, start: number, end: number): number {
  const first = b[start];
  // Every method starts with an upper-case letter; most payloads fail here.
  if (end - start < 4 || first < 0x41 || first > 0x5a) return -1;
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const mb = METHOD_BYTES[m];
    if (mb[0] !== first || end - start < mb.length) continue;
    let i = 1;
    while (i < mb.length && b[start + i] === mb[i]) i++;
    if (i === mb.length) return m;
  }
  return -1;
}

function indexOfCrlf(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (b[i] === CR && b[i + 1] === LF) return i;
  return -1;
}

/**
 * Parses a request head at `b[start, end)`. `maxHead` bounds how far we look
 * for the blank line; a longer head is reported as notHttp.
 */
export function parseHttpRequestHead(b: Uint8Array, start: number, end: number, maxHead: number): HttpRequestHead {
  const m = requestMethodAt(b, start, end);
  if (m < 0) return notHttp();
  const limit = Math.min(end, start + maxHead);
  const lineEnd = indexOfCrlf(b, start, limit);
  if (lineEnd < 0) return limit < end || end - start >= maxHead ? notHttp() : needMore(METHODS[m]);
  // Request line: METHOD SP target SP HTTP/1.x
  const targetStart = start + METHOD_BYTES[m].length;
  let sp = lineEnd - 1;
  while (sp > targetStart && b[sp] !== 0x20) sp--;
  if (sp <= targetStart || !isHttpVersion(b, sp + 1, lineEnd)) return notHttp();
  const target = wireText(b, targetStart, sp, 'ascii');

  let host: string | undefined;
  let contentLength = 0;
  let p = lineEnd + 2;
  for (;;) {
    const e = indexOfCrlf(b, p, limit);
    if (e < 0) return limit < end || end - start >= maxHead ? notHttp() : needMore(METHODS[m]);
    if (e === p) {
      const head: HttpRequestHead = { status: HttpStatus.done, method: METHODS[m], target, contentLength, headLength: e + 2 - start };
      if (host !== undefined) head.host = host;
      return head;
    }
    let colon = p;
    while (colon < e && b[colon] !== 0x3a) colon++;
    if (colon > p && colon < e) {
      if (host === undefined && headerNameIs(b, p, colon, 'host')) host = headerValue(b, colon + 1, e);
      else if (headerNameIs(b, p, colon, 'content-length')) {
        const v = Number(headerValue(b, colon + 1, e));
        if (Number.isSafeInteger(v) && v >= 0) contentLength = v;
      }
    }
    p = e + 2;
  }
}

function needMore(method: string): HttpRequestHead {
  return { status: HttpStatus.needMore, method, target: '', contentLength: 0, headLength: 0 };
}

function isHttpVersion(b: Uint8Array, s: number, e: number): boolean {
  // "HTTP/" then digits and a dot: HTTP/1.0, HTTP/1.1
  if (e - s < 8) return false;
  return b[s] === 0x48 && b[s + 1] === 0x54 && b[s + 2] === 0x54 && b[s + 3] === 0x50 && b[s + 4] === 0x2f;
}

function headerNameIs(b: Uint8Array, s: number, e: number, lower: string): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((b[s + i] | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

function headerValue(b: Uint8Array, s: number, e: number): string {
  while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  return wireText(b, s, e, 'ascii');
}

/** Path of a request target without query or fragment, for "top sections" (`/a/b` from `http://h/a/b?q`). */
export function targetPath(target: string): string {
  let t = target;
  const scheme = t.indexOf('://');
  if (scheme > 0 && scheme < 16) {
    const slash = t.indexOf('/', scheme + 3);
    t = slash < 0 ? '/' : t.slice(slash);
  }
  const cut = t.search(/[?#]/);
  return cut < 0 ? t : t.slice(0, cut);
}

/** First path segment, gonetmon's "section": `/pages` from `/pages/create`. */
export function pathSection(path: string): string {
  if (!path.startsWith('/')) return path;
  const next = path.indexOf('/', 1);
  return next < 0 ? path : path.slice(0, next);
}
