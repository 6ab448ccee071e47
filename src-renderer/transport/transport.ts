import type { ApiResult, CaptureStatus, NetmonApi } from './api-types';

export type ConnectionStatus =
  /** Trying to reach main (first time or after a loss). */
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  /** Lost or refused; `retryInMs` until the next attempt. */
  | { state: 'closed'; reason: string; retryInMs: number; everOpened: boolean };

/** The API plus what the shell needs to know about the link itself. Electron's bridge is always open; the
 *  WebSocket may drop and come back, after which the app reloads its state. */
export interface Transport extends NetmonApi {
  readonly kind: 'electron' | 'websocket';
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Events the server dropped for us because we read too slowly. */
  droppedEvents(): number;
  /** Sends a capture file the user picked to `netmon serve` and replays it. Electron opens files with `capture.open`. */
  uploadCapture(file: Blob, name: string, speed: number): Promise<ApiResult<CaptureStatus>>;
  close(): void;
}
