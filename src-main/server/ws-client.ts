import type { WebSocket } from 'ws';
import type { EventChannel } from '../api/contract';
import { EVENT_CHANNELS, isEventChannel, isRequestChannel } from '../api/contract';
import type { WsClientMessage, WsServerMessage } from '../api/ws-protocol';
import type { Logger } from '../core/log';
import type { NetmonCore } from '../core/netmon-core';
import type { ServerCounters } from './metrics';

/** Bytes queued to one client beyond which pushed events are dropped for it (and counted). */
export const MAX_WS_EVENT_BACKLOG = 4 * 1024 * 1024;
/** Bytes queued to one client beyond which it is closed: it sends requests and does not read the answers. */
export const MAX_WS_UNSENT = 16 * 1024 * 1024;
/** Requests of one client waiting for an answer at once; more are answered 'unavailable' at once. */
export const MAX_WS_INFLIGHT = 64;
/** A client closed for not reading cannot read the close frame either: its socket goes after this. */
const CLOSE_GRACE_MS = 1000;

/**
 * One dashboard (or API client) on `/ws`: the API contract by request id, and the core's events
 * pushed once a second. Every buffer is bounded per client: events are dropped for a slow reader,
 * requests in flight are capped, and a client whose unsent answers pass MAX_WS_UNSENT is closed
 * with 1008 (policy violation), since dropping answers would leave its requests hanging.
 */
export function serveWsClient(ws: WebSocket, core: NetmonCore, counters: ServerCounters, log: Logger): void {
  counters.wsClients++;
  let subscribed = new Set<EventChannel>(EVENT_CHANNELS);
  let droppedEvents = 0;
  let inflight = 0;
  let closing = false;
  const write = (message: WsServerMessage) => ws.send(JSON.stringify(message));

  const closeSlowClient = () => {
    if (closing) return;
    closing = true;
    counters.wsSlowClientsClosed++;
    log.warn({ unsent: ws.bufferedAmount }, 'closing a WebSocket client that does not read its responses');
    ws.close(1008, 'too many unsent responses: read them before sending more requests');
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  };

  const unsubscribe = EVENT_CHANNELS.map((channel) =>
    core.on(channel, (payload) => {
      if (closing || !subscribed.has(channel) || ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_WS_EVENT_BACKLOG) {
        droppedEvents++;
        counters.wsEventsDropped++;
        return;
      }
      if (droppedEvents > 0) {
        write({ type: 'dropped', events: droppedEvents });
        droppedEvents = 0;
      }
      write({ type: 'event', channel, payload } as WsServerMessage);
    }),
  );

  ws.on('message', (data, isBinary) => {
    if (closing) return;
    if (ws.bufferedAmount > MAX_WS_UNSENT) return closeSlowClient();
    let msg: Partial<WsClientMessage> & Record<string, unknown>;
    try {
      if (isBinary) throw new Error('binary messages are not part of the protocol');
      msg = JSON.parse(String(data)) as typeof msg;
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('expected a JSON object');
    } catch (err) {
      return write({ type: 'error', id: null, message: (err as Error).message });
    }
    const id = typeof msg.id === 'number' && Number.isInteger(msg.id) ? msg.id : null;
    if (msg.type === 'subscribe') {
      const channels = Array.isArray(msg.channels) ? msg.channels : null;
      if (channels === null || !channels.every(isEventChannel)) return write({ type: 'error', id, message: 'subscribe: channels must list event channels' });
      subscribed = new Set(channels);
      return;
    }
    if (msg.type !== 'request' || id === null) return write({ type: 'error', id, message: "expected {type:'request', id, channel, params} or {type:'subscribe', channels}" });
    const channel = msg.channel;
    if (!isRequestChannel(channel)) return write({ type: 'error', id, message: `unknown channel ${JSON.stringify(channel)?.slice(0, 64)}` });
    if (inflight >= MAX_WS_INFLIGHT) {
      return write({ type: 'response', id, channel, result: { ok: false, error: { code: 'unavailable', message: `more than ${MAX_WS_INFLIGHT} requests in flight` } } } as WsServerMessage);
    }
    inflight++;
    void core.request(channel, msg.params).then((result) => {
      inflight--;
      if (closing || ws.readyState !== ws.OPEN) return;
      write({ type: 'response', id, channel, result } as WsServerMessage);
      if (ws.bufferedAmount > MAX_WS_UNSENT) closeSlowClient();
    });
  });
  ws.on('close', () => {
    counters.wsClients--;
    for (const off of unsubscribe) off();
  });
  ws.on('error', (err) => log.debug({ err }, 'websocket client error'));
}
