import type { ApiResult, EventChannel, EventPayload, RequestChannel, RequestParams, RequestResult } from './api-types';
import type { ConnectionStatus, Transport } from './transport';

/** What the Electron preload exposes as `window.netmon`: one function per request channel, and one subscription
 *  function for pushed events that returns its own unsubscribe. */
export type PreloadBridge = {
  [C in RequestChannel]: (params: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>>;
} & {
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
};

declare global {
  interface Window {
    netmon?: PreloadBridge;
  }
}

/** Inside Electron the bridge is in-process IPC: always open, nothing to reconnect. */
export class ElectronTransport implements Transport {
  readonly kind = 'electron';

  constructor(private readonly bridge: PreloadBridge) {}

  request<C extends RequestChannel>(channel: C, params: RequestParams<C>): Promise<ApiResult<RequestResult<C>>> {
    const fn = this.bridge[channel] as ((p: RequestParams<C>) => Promise<ApiResult<RequestResult<C>>>) | undefined;
    if (typeof fn !== 'function') {
      return Promise.resolve({ ok: false, error: { code: 'unavailable', message: `this version of the app has no ${channel} channel` } });
    }
    return fn(params);
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.bridge.on(channel, listener);
  }

  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    listener({ state: 'open' });
    return () => undefined;
  }

  droppedEvents(): number {
    return 0;
  }

  uploadCapture(): Promise<ApiResult<never>> {
    return Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'the desktop app opens capture files with its file dialog' } });
  }

  close(): void {
    // The bridge lives as long as the window.
  }
}
