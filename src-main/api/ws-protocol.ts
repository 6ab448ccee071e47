/**
 * The API contract over a WebSocket (`netmon serve`, path `/ws`). One JSON
 * text message per frame.
 *
 * Authentication, when the server has a token (always when bound beyond
 * loopback): either `Authorization: Bearer TOKEN` (non-browser clients), or,
 * since browsers cannot set headers on a WebSocket, the subprotocol list
 * `new WebSocket(url, ['netmon.v1', 'netmon.token.' + TOKEN])` (the server
 * answers with `netmon.v1` and never echoes the token), or `/ws?token=TOKEN`.
 * Tokens are made of the characters A-Z a-z 0-9 - _ . ~ so they fit in a
 * subprotocol name.
 *
 * Client → server: requests with a client-chosen id, answered once each, in
 * any order; `subscribe` replaces the set of event channels pushed to this
 * client (all of them until the first `subscribe`).
 * Server → client: responses and pushed events. A slow client's queue is
 * bounded: events are dropped for it (and counted in its next `dropped`
 * message), responses never are.
 *
 * The renderer may only `import type` from this folder, so the literal strings
 * are part of the types: a client writes them out and the compiler checks them.
 */
import type { EventChannel, EventPayload, RequestChannel, RequestParams, RequestResult } from './contract';
import type { ApiResult } from './types/results';

export type WsSubprotocol = 'netmon.v1';
export type WsTokenSubprotocolPrefix = 'netmon.token.';
export type WsPath = '/ws';

export type WsRequest = {
  [C in RequestChannel]: { type: 'request'; id: number; channel: C; params: RequestParams<C> };
}[RequestChannel];

export interface WsSubscribe {
  type: 'subscribe';
  channels: EventChannel[];
}

export type WsClientMessage = WsRequest | WsSubscribe;

export type WsResponse = {
  [C in RequestChannel]: { type: 'response'; id: number; channel: C; result: ApiResult<RequestResult<C>> };
}[RequestChannel];

export type WsEvent = {
  [E in EventChannel]: { type: 'event'; channel: E; payload: EventPayload<E> };
}[EventChannel];

/** Sent before the next event once events were dropped for this client. */
export interface WsDropped {
  type: 'dropped';
  events: number;
}

/** A message the server could not understand (it answers, then keeps the connection). */
export interface WsProtocolError {
  type: 'error';
  id: number | null;
  message: string;
}

export type WsServerMessage = WsResponse | WsEvent | WsDropped | WsProtocolError;
