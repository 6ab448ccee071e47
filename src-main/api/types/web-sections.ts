/** Plaintext HTTP requests by host and section (plain JSON data: see traffic.ts). */

/** Windows of the web sections: the last 10 s, the last 60 s, the whole capture session. */
export type WebSectionWindow = '10s' | '60s' | 'session';

/**
 * Plaintext HTTP requests per host (the Host header, else the server address) and per section (the
 * first path segment, query cut off) over a window of the current capture: top 25 hosts, top 10
 * sections each.
 */
export interface WebSections {
  window: WebSectionWindow;
  /** End of the window, ms since the epoch (the newest packet of a replay); null when nothing was captured. */
  toMs: number | null;
  /** Requests in the window; `dropped` of them had a host/section pair a full bound could not keep. */
  requests: number;
  dropped: number;
  hosts: { host: string; requests: number; sections: { section: string; requests: number }[] }[];
  /** Hosts in the window beyond those listed. */
  moreHosts: number;
  /** TLS/QUIC/DTLS ClientHellos of the session: encrypted web traffic, which shows no sections. */
  encryptedHellos: number;
}
