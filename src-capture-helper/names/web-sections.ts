/**
 * "Top sections" of plaintext HTTP, as the gonetmon seed counts them: per
 * host, requests per first path segment, over the last 10 s, the last 60 s
 * and the whole session. The name extractor hands over every request head it
 * completes (TCP streams reassembled, IP fragments joined, SSDP over UDP);
 * nothing here runs per packet.
 *
 * How a request is counted:
 * - Host: the authority of an absolute-form target (`GET http://h:8080/a
 *   HTTP/1.1`, what a proxy receives: RFC 9112 §3.2.2 says it wins over the
 *   Host header), else the Host header as sent (port included, as tshark's
 *   `http.host`), else the server's address, the destination of the request
 *   (`[v6]` in brackets, `:port` unless 80), as a Host header would name it.
 * - Section: the first segment of the path, the query (`?`) and fragment
 *   (`#`) cut off first: `/pages/create?x=1` → `/pages`, `/?q` → `/`. A target
 *   that is no path (`*` of OPTIONS and M-SEARCH, CONNECT's `host:port`)
 *   is its own section.
 *
 * Bounds (a hostile capture must not grow memory): host and section text is
 * cut at MAX_TEXT characters; the session keeps at most `maxPairs`
 * host/section pairs and each second of the 60 s ring at most
 * `maxPairsPerSecond`; requests for a pair that does not fit are counted in
 * `requests` and in `dropped`, never kept.
 */
import { formatIp, isV4Mapped } from '../../src-shared/ip';

export const WEB_WINDOWS = ['10s', '60s', 'session'] as const;
export type WebWindow = (typeof WEB_WINDOWS)[number];

export interface WebSectionCount {
  section: string;
  requests: number;
}

export interface WebHostSections {
  host: string;
  requests: number;
  /** Most requested first (ties by name). */
  sections: WebSectionCount[];
}

export interface WebSectionsTop {
  /** Requests in the window, those of pairs that did not fit included. */
  requests: number;
  /** Most requested first (ties by name). */
  hosts: WebHostSections[];
  /** Hosts and sections left out of `hosts` by the `maxHosts`/`maxSections` asked for. */
  moreHosts: number;
  /** Requests in the window whose host/section pair was not kept (a bound was full). */
  dropped: number;
}

export interface WebSectionLimits {
  /** Host/section pairs kept for the session. */
  maxPairs: number;
  /** Host/section pairs kept per second of the last 60. */
  maxPairsPerSecond: number;
}

export const DEFAULT_WEB_SECTION_LIMITS: WebSectionLimits = { maxPairs: 10_000, maxPairsPerSecond: 512 };

/** Longest host or section text kept (a DNS name is at most 253 characters). */
export const MAX_TEXT = 256;
const RING_SECONDS = 60;
const WINDOW_SECONDS: Record<Exclude<WebWindow, 'session'>, number> = { '10s': 10, '60s': 60 };

interface SecondBucket {
  /** The Unix second it counts, or NaN when unused. */
  sec: number;
  requests: number;
  dropped: number;
  pairs: Map<string, number>;
}

/** What the extractor knows of a request when its head is complete. */
export interface WebRequest {
  /** Request target as sent. */
  target: string;
  /** Host header, when the request has one. */
  host: string | undefined;
  /** Destination of the packet that completed the head (16 bytes, IPv4 as mapped IPv6), and its port. */
  server: Uint8Array;
  serverPort: number;
}

export class WebSections {
  readonly limits: WebSectionLimits;
  private readonly session = new Map<string, number>();
  private sessionRequests = 0;
  private sessionDropped = 0;
  private readonly ring: SecondBucket[] = [];
  /** Newest second a request was counted in (NaN before the first). */
  private newest = NaN;

  constructor(limits: Partial<WebSectionLimits> = {}) {
    this.limits = { ...DEFAULT_WEB_SECTION_LIMITS, ...limits };
    for (let i = 0; i < RING_SECONDS; i++) this.ring.push({ sec: NaN, requests: 0, dropped: 0, pairs: new Map() });
  }

  /** Counts one request seen at Unix second `sec` (packet time). */
  record(req: WebRequest, sec: number): void {
    const { host, section } = hostAndSection(req);
    const key = `${host}\n${section}`;
    this.sessionRequests++;
    const n = this.session.get(key);
    if (n !== undefined) this.session.set(key, n + 1);
    else if (this.session.size < this.limits.maxPairs) this.session.set(key, 1);
    else this.sessionDropped++;

    if (!Number.isFinite(sec)) return;
    if (!(sec <= this.newest)) this.newest = sec;
    // A request older than the ring (a file out of time order) counts for the session only.
    if (sec <= this.newest - RING_SECONDS) return;
    const b = this.ring[((sec % RING_SECONDS) + RING_SECONDS) % RING_SECONDS];
    if (b.sec !== sec) {
      b.sec = sec;
      b.requests = 0;
      b.dropped = 0;
      b.pairs.clear();
    }
    b.requests++;
    const m = b.pairs.get(key);
    if (m !== undefined) b.pairs.set(key, m + 1);
    else if (b.pairs.size < this.limits.maxPairsPerSecond) b.pairs.set(key, 1);
    else b.dropped++;
  }

  /** The newest second a request was seen in, or null before any (packet time). */
  get newestSecond(): number | null {
    return Number.isNaN(this.newest) ? null : this.newest;
  }

  /**
   * The top hosts and their top sections over `window`: the seconds
   * (now - 10, now] for '10s', (now - 60, now] for '60s', every request for 'session'.
   */
  top(window: WebWindow, nowSec: number, maxHosts = Infinity, maxSections = Infinity): WebSectionsTop {
    let pairs: Map<string, number>;
    let requests: number;
    let dropped: number;
    if (window === 'session') {
      pairs = this.session;
      requests = this.sessionRequests;
      dropped = this.sessionDropped;
    } else {
      pairs = new Map();
      requests = 0;
      dropped = 0;
      const from = nowSec - WINDOW_SECONDS[window];
      for (const b of this.ring) {
        if (!(b.sec > from && b.sec <= nowSec)) continue;
        requests += b.requests;
        dropped += b.dropped;
        for (const [k, n] of b.pairs) pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    }
    const byHost = new Map<string, WebHostSections>();
    for (const [key, n] of pairs) {
      const cut = key.indexOf('\n');
      const host = key.slice(0, cut);
      let h = byHost.get(host);
      if (!h) {
        h = { host, requests: 0, sections: [] };
        byHost.set(host, h);
      }
      h.requests += n;
      h.sections.push({ section: key.slice(cut + 1), requests: n });
    }
    const hosts = [...byHost.values()].sort((a, b) => b.requests - a.requests || compareText(a.host, b.host));
    const shown = hosts.slice(0, maxHosts);
    for (const h of shown) {
      h.sections.sort((a, b) => b.requests - a.requests || compareText(a.section, b.section));
      if (h.sections.length > maxSections) h.sections.length = maxSections;
    }
    return { requests, hosts: shown, moreHosts: hosts.length - shown.length, dropped };
  }
}

/** The host and section a request counts under (the rules are in the header of this file). */
export function hostAndSection(req: WebRequest): { host: string; section: string } {
  let target = req.target;
  let host = req.host;
  const scheme = absoluteFormAt(target);
  if (scheme > 0) {
    const authorityEnd = target.slice(scheme).search(/[/?#]/);
    const end = authorityEnd < 0 ? target.length : scheme + authorityEnd;
    const authority = target.slice(scheme, end);
    // user:password@ is no part of the host.
    const at = authority.lastIndexOf('@');
    if (authority.length > at + 1) host = authority.slice(at + 1);
    target = end < target.length && target[end] === '/' ? target.slice(end) : `/${target.slice(end)}`;
  }
  if (host === undefined || host === '') host = serverText(req.server, req.serverPort);
  return { host: clip(host), section: clip(sectionOf(target)) };
}

/** First path segment of an origin-form target, its query and fragment cut off. */
export function sectionOf(target: string): string {
  if (!target.startsWith('/')) return target;
  let end = target.length;
  for (let i = 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) {
      end = i;
      break;
    }
  }
  return target.slice(0, end);
}

/** Index after `scheme://` when the target is in absolute form (`http://`, any RFC 3986 scheme), else 0. */
function absoluteFormAt(target: string): number {
  const m = ABSOLUTE_FORM.exec(target);
  return m === null ? 0 : m[0].length;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\//;

function serverText(addr16: Uint8Array, port: number): string {
  const addr = formatIp(addr16);
  const text = isV4Mapped(addr16) ? addr : `[${addr}]`;
  return port === 80 ? text : `${text}:${port}`;
}

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
}

/** Code-unit order, the same in every locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
