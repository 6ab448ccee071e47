/**
 * The envelopes around requests, responses and events, and their parsing from
 * frames. Client → helper: `hello` then `req`. Helper → client: `welcome`,
 * `res` (by request id), `event` (tagged with the capture session), and `bye`
 * with the reason just before the helper closes a connection.
 */
import type { Frame } from './frame';
import type { EventMap, EventName, RequestErrorCode, RequestErrorInfo, RequestName, RequestParams } from './messages';
import { eventNames, events, requestErrorCodes, requestErrorInfo, requestNames, requests } from './messages';
import { checked, copied, int, nullable, obj, oneOf, str, ValidationError } from './schema';

export type Hello = { t: 'hello'; version: number; token: string };
export type RequestEnvelope<K extends RequestName = RequestName> = { t: 'req'; id: number; method: K; params: RequestParams<K> };
export type ClientMessage = Hello | { [K in RequestName]: RequestEnvelope<K> }[RequestName];

export type Welcome = { t: 'welcome'; version: number; helperVersion: string; pid: number };
export type ResponseEnvelope = { t: 'res'; id: number; ok: true; result: unknown } | { t: 'res'; id: number; ok: false; error: RequestErrorInfo };
export type EventEnvelope<K extends EventName = EventName> = {
  t: 'event';
  name: K;
  session: string | null;
  /** Per-connection sequence number of pushed events: a gap means events were dropped for a slow reader. */
  seq: number;
  payload: EventMap[K];
};
export type AnyEventEnvelope = { [K in EventName]: EventEnvelope<K> }[EventName];
export type Bye = { t: 'bye'; error: RequestErrorInfo };
export type ServerMessage = Welcome | ResponseEnvelope | AnyEventEnvelope | Bye;

/** Largest request id; ids wrap around below it. */
export const MAX_REQUEST_ID = 0x7fffffff;

/** A message that is well framed but not a valid message: the peer broke the protocol. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly requestErrorCode = 'invalid';
}

function parseJson(frame: Frame): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(frame.json.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`frame is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('message is not a JSON object');
  return value as Record<string, unknown>;
}

function asProtocolError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw new ProtocolError(err.message);
    throw err;
  }
}

const helloShape = obj({ version: int(0, 0xffff), token: str({ max: 512 }) });
const requestShape = obj({ id: int(1, MAX_REQUEST_ID), method: oneOf(requestNames as unknown as readonly RequestName[]) });

/** Parses what a client sent. Throws ProtocolError for anything that is not a valid message. */
export function parseClientMessage(frame: Frame): ClientMessage {
  const msg = parseJson(frame);
  if (frame.attachment.length > 0) throw new ProtocolError('client messages carry no attachment');
  return asProtocolError(() => {
    switch (msg.t) {
      case 'hello':
        return { t: 'hello', ...copied(helloShape, msg, 'hello') };
      case 'req': {
        const { id, method } = copied(requestShape, msg, 'req');
        const params = copied(requests[method].params, msg.params, `${method}.params`);
        return { t: 'req', id, method, params } as ClientMessage;
      }
      default:
        throw new ProtocolError(`unknown message type ${JSON.stringify(msg.t)?.slice(0, 64)}`);
    }
  });
}

export interface ParsedServerMessage {
  message: ServerMessage;
  attachment: Buffer;
}

const welcomeShape = obj({ version: int(0, 0xffff), helperVersion: str({ max: 64 }), pid: int(1) });
const resShape = obj({ id: int(1, MAX_REQUEST_ID) });
const eventShape = obj({
  name: oneOf(eventNames as unknown as readonly EventName[]),
  session: nullable(str({ max: 64 })),
  seq: int(0),
});

/**
 * Parses what the helper sent. Results are validated by the caller, which
 * knows the method of the request id; event payloads are validated here.
 */
export function parseServerMessage(frame: Frame): ParsedServerMessage {
  const msg = parseJson(frame);
  return asProtocolError(() => {
    const message = ((): ServerMessage => {
      switch (msg.t) {
        case 'welcome':
          return { t: 'welcome', ...checked(welcomeShape, msg, 'welcome') };
        case 'res': {
          const { id } = checked(resShape, msg, 'res');
          if (msg.ok === true) return { t: 'res', id, ok: true, result: msg.result };
          if (msg.ok === false) return { t: 'res', id, ok: false, error: checked(requestErrorInfo, msg.error, 'res.error') };
          throw new ProtocolError('res.ok: expected a boolean');
        }
        case 'event': {
          const { name, session, seq } = checked(eventShape, msg, 'event');
          const payload = checked(events[name], msg.payload, `${name}.payload`);
          return { t: 'event', name, session, seq, payload } as AnyEventEnvelope;
        }
        case 'bye':
          return { t: 'bye', error: checked(requestErrorInfo, msg.error, 'bye.error') };
        default:
          throw new ProtocolError(`unknown message type ${JSON.stringify(msg.t)?.slice(0, 64)}`);
      }
    })();
    return { message, attachment: frame.attachment };
  });
}

/** An error that says what it means to the client; any other thrown error is the helper's own fault. */
export interface CodedError extends Error {
  readonly requestErrorCode: RequestErrorCode;
}

function isCoded(err: Error): err is CodedError {
  return (requestErrorCodes as readonly unknown[]).includes((err as Partial<CodedError>).requestErrorCode);
}

/** Turns anything thrown into the `{code, name, message}` form sent over the wire. */
export function toErrorInfo(err: unknown): RequestErrorInfo {
  if (err instanceof Error) return { code: isCoded(err) ? err.requestErrorCode : 'internal', name: err.name.slice(0, 128), message: err.message.slice(0, 8192) };
  return { code: 'internal', name: 'Error', message: String(err).slice(0, 8192) };
}
