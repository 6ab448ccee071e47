/**
 * What probes and `serve --nats` say to each other over NATS: subjects, the
 * envelope every message travels in, and its encoding. The schema is
 * versioned (`v`) and documented in docs/nats.md; a message of another
 * version or of the wrong shape is counted and dropped, never applied.
 *
 * Bodies reuse the capture helper's validated event shapes (rollup, flow
 * deltas); flow rows travel as fixed-order arrays, which is a third of the
 * bytes of keyed maps for the same rows (see docs/nats.md, "Encoding").
 */
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import type { EventMap, FlowRow, SessionStatus } from '../../src-capture-helper/protocol/messages';
import { events, flowApp, nameSources, rollupSnapshot, sessionStatus, tcpQualityFigures } from '../../src-capture-helper/protocol/messages';
import type { Validator } from '../../src-capture-helper/protocol/schema';
import { arr, copied, int, nullable, num, obj, oneOf, optional, str, ValidationError } from '../../src-capture-helper/protocol/schema';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';

export const WIRE_VERSION = 1;
export const SUBJECT_ROOT = 'netmon';
/** A probe's name is one subject token: no dots, wildcards or spaces. */
export const PROBE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Flow rows per `flows` message: keeps each message far below NATS's default 1 MiB payload limit. */
export const FLOW_ROWS_PER_MESSAGE = 1000;

export type DataKind = 'hb' | 'rollup' | 'flows' | 'state';

export const subjects = {
  /** Everything one probe publishes (serve subscribes `netmon.*.<kind>`). */
  data: (probe: string, kind: DataKind) => `${SUBJECT_ROOT}.${probe}.${kind}`,
  anyProbe: (kind: DataKind) => `${SUBJECT_ROOT}.*.${kind}`,
  /** Request: cut a pcap/pcapng of some flows from the probe's spool; chunks go to the request's reply subject. */
  exportRequest: (probe: string) => `${SUBJECT_ROOT}.${probe}.export`,
  exportCancel: (probe: string) => `${SUBJECT_ROOT}.${probe}.export.cancel`,
};

/** The probe named in a data subject, or null when the subject is not one. */
export function probeOfSubject(subject: string): string | null {
  const parts = subject.split('.');
  return parts.length === 3 && parts[0] === SUBJECT_ROOT && PROBE_NAME.test(parts[1]) ? parts[1] : null;
}

/** A probe's heartbeat, once a second whatever the capture does. */
export interface Heartbeat {
  /** The probe's capture session (null before the first one starts). */
  session: string | null;
  state: 'starting' | 'running' | 'stopped' | 'failed';
  interfaces: string[];
  /** Messages the probe dropped from its bounded buffer while it could not reach the server, since it started. */
  busDropped: number;
  /** Messages it buffered while disconnected and sent once reconnected. */
  busBuffered: number;
  reconnects: number;
  uptimeMs: number;
}

export interface BodyOf {
  hb: Heartbeat;
  rollup: EventMap['rollup'];
  flows: EventMap['flowDeltas'];
  state: { status: SessionStatus | null; error: EventMap['captureError'] | null };
}

export interface Envelope<K extends DataKind = DataKind> {
  v: number;
  probe: string;
  /** Random per probe process: a new one means the probe restarted and its `seq` starts again. */
  boot: string;
  /** One sequence over every data message of this boot: a hole is a gap. */
  seq: number;
  sentMs: number;
  /** The probe's capture session: its flow ids are numbered within it. */
  session: string | null;
  kind: K;
  body: BodyOf[K];
}

// --- flow rows as fixed-order arrays --------------------------------------------------

const ROW_FIELDS = [
  'id', 'iface', 'proto', 'ipProto', 'a', 'portA', 'b', 'portB', 'vlan', 'packetsAB', 'bytesAB', 'packetsBA', 'bytesBA',
  'firstSeen', 'lastSeen', 'state', 'tcpFlags', 'active', 'nameA', 'nameB', 'sni', 'httpHost', 'dnsQuery',
  'name', 'nameSource', 'icmpType', 'icmpCode', 'quality', 'app',
] as const satisfies readonly (keyof FlowRow)[];

export function rowToTuple(row: FlowRow): unknown[] {
  return ROW_FIELDS.map((f) => row[f] ?? null);
}

const PROTOS = new Set<string>(FLOW_PROTOCOLS);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isName = (v: unknown): v is string | null => v === null || isText(v, 1024);
const NAME_SOURCES = new Set<string>(nameSources);
const isIcmpField = (v: unknown): v is number | null => v === null || isInt(v, 0, 255);

/**
 * Checks one row array as the helper's `flowRow` validator checks the keyed
 * row (same bounds), without building a keyed copy first: serve reads 100k
 * rows a second from 20 busy probes.
 */
export function tupleToRow(t: unknown, path: string): FlowRow {
  const bad = (field: string) => new WireError(`bad message: ${path}.${field} is out of bounds or of the wrong type`);
  if (!Array.isArray(t) || t.length !== ROW_FIELDS.length) throw new WireError(`bad message: ${path} must be an array of ${ROW_FIELDS.length} fields`);
  const [id, iface, proto, ipProto, a, portA, b, portB, vlan, packetsAB, bytesAB, packetsBA, bytesBA, firstSeen, lastSeen, state, tcpFlags, active, nameA, nameB, sni, httpHost, dnsQuery, name, nameSource, icmpType, icmpCode, quality, app] = t as unknown[];
  if (!isCount(id)) throw bad('id');
  if (!isText(iface, 256)) throw bad('iface');
  if (typeof proto !== 'string' || !PROTOS.has(proto)) throw bad('proto');
  if (!isInt(ipProto, 0, 255)) throw bad('ipProto');
  if (!isText(a, 64) || !isText(b, 64)) throw bad('a/b');
  if (!isInt(portA, 0, 65535) || !isInt(portB, 0, 65535)) throw bad('ports');
  if (!isInt(vlan, -1, 4095)) throw bad('vlan');
  if (!isCount(packetsAB) || !isCount(bytesAB) || !isCount(packetsBA) || !isCount(bytesBA)) throw bad('counters');
  if (typeof firstSeen !== 'number' || !Number.isFinite(firstSeen) || typeof lastSeen !== 'number' || !Number.isFinite(lastSeen)) throw bad('times');
  if (!isText(state, 32)) throw bad('state');
  if (!isInt(tcpFlags, 0, 255)) throw bad('tcpFlags');
  if (typeof active !== 'boolean') throw bad('active');
  if (!isName(nameA) || !isName(nameB) || !isName(sni) || !isName(httpHost) || !isName(dnsQuery) || !isName(name)) throw bad('names');
  if (nameSource !== null && (typeof nameSource !== 'string' || !NAME_SOURCES.has(nameSource))) throw bad('nameSource');
  if (!isIcmpField(icmpType) || !isIcmpField(icmpCode)) throw bad('icmp');
  const row: FlowRow = {
    id, iface, proto: proto as FlowRow['proto'], ipProto, a, portA, b, portB, vlan, packetsAB, bytesAB, packetsBA, bytesBA,
    firstSeen, lastSeen, state, tcpFlags, active,
  };
  if (nameA !== null) row.nameA = nameA;
  if (nameB !== null) row.nameB = nameB;
  if (sni !== null) row.sni = sni;
  if (httpHost !== null) row.httpHost = httpHost;
  if (dnsQuery !== null) row.dnsQuery = dnsQuery;
  if (name !== null) row.name = name;
  if (nameSource !== null) row.nameSource = nameSource as FlowRow['nameSource'];
  if (icmpType !== null) row.icmpType = icmpType;
  if (icmpCode !== null) row.icmpCode = icmpCode;
  if (quality !== null) {
    try {
      row.quality = copied(tcpQualityFigures, quality, `${path}.quality`);
    } catch {
      throw bad('quality');
    }
  }
  if (app !== null) {
    try {
      row.app = copied(flowApp, app, `${path}.app`);
    } catch {
      throw bad('app');
    }
  }
  return row;
}

/** The flows body: rows checked by `tupleToRow`, the rest as the helper's `flowDeltas` validator does. */
function checkFlowsBody(body: unknown): BodyOf['flows'] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WireError('bad message: body must be a map');
  const d = body as Record<string, unknown>;
  const rows = (v: unknown, name: string): FlowRow[] => {
    if (!Array.isArray(v) || v.length > MAX_DELTA_ROWS) throw new WireError(`bad message: body.${name} must be an array of at most ${MAX_DELTA_ROWS} rows`);
    return v.map((t, i) => tupleToRow(t, `body.${name}[${i}]`));
  };
  if (!isInt(d.second, -(2 ** 40), 2 ** 40)) throw new WireError('bad message: body.second');
  if (!isCount(d.omitted)) throw new WireError('bad message: body.omitted');
  return { second: d.second, updated: rows(d.updated, 'updated'), ended: rows(d.ended, 'ended'), omitted: d.omitted };
}

// --- validation --------------------------------------------------------------------------

const heartbeat: Validator<Heartbeat> = obj({
  session: nullable(str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ })),
  state: oneOf(['starting', 'running', 'stopped', 'failed'] as const),
  interfaces: arr(str({ min: 1, max: 256 }), 64),
  busDropped: int(0),
  busBuffered: int(0),
  reconnects: int(0),
  uptimeMs: int(0),
});

const stateBody = obj({ status: nullable(sessionStatus), error: nullable(events.captureError) });

const envelopeHead = obj({
  v: int(0, 1000),
  probe: str({ min: 1, max: 64, pattern: PROBE_NAME }),
  boot: str({ min: 1, max: 64 }),
  seq: int(0),
  sentMs: num(0),
  session: nullable(str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ })),
  kind: oneOf(['hb', 'rollup', 'flows', 'state'] as const),
});

const bodyValidators: { [K in Exclude<DataKind, 'flows'>]: Validator<BodyOf[K]> } = {
  hb: heartbeat,
  rollup: rollupSnapshot,
  state: stateBody,
};
/** The helper's own bound on the rows of one delta. */
const MAX_DELTA_ROWS = 5000;

export class WireError extends Error {
  override readonly name = 'WireError';
}

// --- encoding ------------------------------------------------------------------------------

/** The encodings measured for the bus (docs/nats.md); `msgpack` is the one on the wire. */
export const codecs = {
  msgpack: { encode: (value: unknown): Uint8Array => msgpackEncode(value), decode: (bytes: Uint8Array): unknown => msgpackDecode(bytes) },
  json: { encode: (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value)), decode: (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) },
};
export type CodecName = keyof typeof codecs;
const WIRE_CODEC: CodecName = 'msgpack';

function wireBody<K extends DataKind>(kind: K, body: BodyOf[K]): unknown {
  if (kind !== 'flows') return body;
  const d = body as BodyOf['flows'];
  return { ...d, updated: d.updated.map(rowToTuple), ended: d.ended.map(rowToTuple) };
}

export function encodeEnvelope<K extends DataKind>(envelope: Envelope<K>, codec: CodecName = WIRE_CODEC): Uint8Array {
  return codecs[codec].encode({ ...envelope, body: wireBody(envelope.kind, envelope.body) });
}

/** Decodes and checks one message; throws WireError with the reason (bad bytes, other version, wrong shape). */
export function decodeEnvelope(bytes: Uint8Array, codec: CodecName = WIRE_CODEC): Envelope {
  let raw: unknown;
  try {
    raw = codecs[codec].decode(bytes);
  } catch (err) {
    throw new WireError(`undecodable message: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new WireError('a message must be a map');
  const value = raw as Record<string, unknown>;
  if (value.v !== WIRE_VERSION) throw new WireError(`unsupported schema version ${JSON.stringify(value.v)} (this build reads ${WIRE_VERSION})`);
  try {
    copied(envelopeHead, value, 'message');
    const kind = value.kind as DataKind;
    const checked = kind === 'flows' ? checkFlowsBody(value.body) : copied(bodyValidators[kind] as Validator<unknown>, value.body, 'body');
    return { ...(value as unknown as Envelope), body: checked as BodyOf[DataKind] };
  } catch (err) {
    if (err instanceof ValidationError) throw new WireError(`bad message: ${err.message}`);
    throw err;
  }
}

// --- export over request/reply ----------------------------------------------------------------

export interface ExportRequestBody {
  v: number;
  /** The probe's capture session and flow ids, as its helper numbers them. */
  sessionId: string;
  flowIds: number[];
  format: 'pcap' | 'pcapng';
  from?: number;
  to?: number;
  /** Chosen by serve; the cancel message names it. */
  exportId: number;
}

export type ExportReply =
  | { kind: 'chunk'; seq: number; packetsDone: number; packetsTotal: number; bytesDone: number; bytesTotal: number; data: Uint8Array }
  | { kind: 'done'; seq: number; result: { packets: number; bytes: number; fileBytes: number; missingPackets: number; missingBytes: number; cancelled: boolean } }
  | { kind: 'error'; seq: number; message: string };

const exportRequestBody: Validator<ExportRequestBody> = obj({
  v: int(WIRE_VERSION, WIRE_VERSION),
  sessionId: str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ }),
  flowIds: arr(int(0), 100_000),
  format: oneOf(['pcap', 'pcapng'] as const),
  from: optional(num()),
  to: optional(num()),
  exportId: int(1, 0x7fffffff),
});

export function encodeWire(value: unknown): Uint8Array {
  return codecs[WIRE_CODEC].encode(value);
}

export function decodeExportRequest(bytes: Uint8Array): ExportRequestBody {
  try {
    return copied(exportRequestBody, codecs[WIRE_CODEC].decode(bytes), 'export');
  } catch (err) {
    throw new WireError(`bad export request: ${(err as Error).message}`);
  }
}

export function decodeExportReply(bytes: Uint8Array): ExportReply {
  let raw: unknown;
  try {
    raw = codecs[WIRE_CODEC].decode(bytes);
  } catch (err) {
    throw new WireError(`undecodable export reply: ${(err as Error).message}`);
  }
  const r = raw as Partial<Record<string, unknown>> | null;
  const n = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (r === null || typeof r !== 'object' || !n(r.seq)) throw new WireError('bad export reply');
  if (r.kind === 'chunk' && r.data instanceof Uint8Array && n(r.packetsDone) && n(r.packetsTotal) && n(r.bytesDone) && n(r.bytesTotal)) return r as ExportReply;
  if (r.kind === 'error' && typeof r.message === 'string') return { kind: 'error', seq: r.seq as number, message: r.message.slice(0, 1024) };
  if (r.kind === 'done' && typeof r.result === 'object' && r.result !== null) {
    const res = r.result as Record<string, unknown>;
    if (['packets', 'bytes', 'fileBytes', 'missingPackets', 'missingBytes'].every((k) => n(res[k])) && typeof res.cancelled === 'boolean') return r as ExportReply;
  }
  throw new WireError('bad export reply');
}
