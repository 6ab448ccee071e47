import { ElectronTransport } from './electron-transport';
import type { Transport } from './transport';
import { WsTransport } from './ws-transport';

export const TOKEN_KEY = 'netmon.token';

/** The token for `netmon serve`: from the page URL (`#token=` as serve prints it, or `?token=`; then removed from the
 *  address bar so it does not end up in screenshots or history), else the one saved earlier. It is kept in the page's
 *  storage, which belongs to this origin alone (scheme, host and port), never in a cookie: a cookie would be sent to
 *  every port of this host, so to any other program listening on it. */
export function readToken(loc: Location, storage: Storage | null, history: History | null): string | null {
  const query = new URLSearchParams(loc.search);
  const hash = new URLSearchParams(loc.hash.startsWith('#') ? loc.hash.slice(1) : loc.hash);
  const fromUrl = query.get('token') ?? hash.get('token');
  if (fromUrl) {
    storage?.setItem(TOKEN_KEY, fromUrl);
    if (history) {
      query.delete('token');
      const search = query.toString();
      history.replaceState(null, '', `${loc.pathname}${search ? `?${search}` : ''}`);
    }
    return fromUrl;
  }
  return storage?.getItem(TOKEN_KEY) ?? null;
}

export function saveToken(storage: Storage | null, token: string): void {
  storage?.setItem(TOKEN_KEY, token);
}

/** The page's token storage (`localStorage`: every tab of this origin), or null where the browser refuses it. */
export function tokenStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** `/ws` next to the page, over wss when the page came over https. */
export function wsUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** Electron's preload bridge when present, else the WebSocket of the `netmon serve` that served this page. */
export function connect(token: string | null): Transport {
  if (window.netmon) return new ElectronTransport(window.netmon);
  return new WsTransport(wsUrl(window.location), token);
}
