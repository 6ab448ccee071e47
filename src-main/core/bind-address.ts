import net from 'node:net';

export interface BindAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `[IPV6]:PORT` or `localhost:PORT`; port 0 asks the system for a free port. */
export function parseBindAddress(text: string): { ok: true; host: string; port: number } | { ok: false; error: string } {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (match === null) return { ok: false, error: `expected HOST:PORT or [IPV6]:PORT, got ${JSON.stringify(text)}` };
  const [, host, portText] = match;
  const port = Number(portText);
  if (port > 65_535) return { ok: false, error: `port must be 0..65535, got ${port}` };
  if (host !== 'localhost' && net.isIP(host) === 0) {
    return { ok: false, error: `host must be an IP address or localhost, got ${JSON.stringify(host)}` };
  }
  return { ok: true, host, port };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped !== null && mapped[1].startsWith('127.');
}
