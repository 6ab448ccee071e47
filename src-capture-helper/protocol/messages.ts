/**
 * The helper's wire contract: one map of requests (name → params, result) and
 * one of pushed events (name → payload). Both sides derive their types from
 * these validators, so a request cannot be sent or answered with the wrong
 * shape, and every incoming message is checked field by field.
 *
 * Times are Unix seconds as numbers (microsecond precision survives a double);
 * addresses are printable strings.
 *
 * Why one file: it is the whole contract, read as one list; split by area, a
 * reader would lose the one place that says what may cross the boundary.
 */
import type { Infer, Validator } from './schema';
import { arr, bool, int, nullable, num, obj, oneOf, optional, record, str, tagged } from './schema';
import type { FlowFilter, FlowSortKey, FlowStateName } from '../../src-shared/flow-query';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';
import { Type } from '../../src-shared/schema';

export const PROTOCOL_VERSION = 3;

const MAX_IFACES = 64;
const MAX_FLOW_PAGE = 1000;
const MAX_DELTA_FLOWS = 5000;
const MAX_TOP = 100;
/** Flows with new retransmissions or a completed handshake in one rollup second; the rest are counted in the totals only. */
export const MAX_QUALITY_FLOWS = 500;

const sessionId = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const ifaceName = str({ min: 1, max: 256 });
const count = int(0);

export const errorInfo = obj({ name: str({ max: 128 }), message: str({ max: 8192 }) });
export type ErrorInfo = Infer<typeof errorInfo>;

/**
 * What a refused request means to its client: its parameters were wrong (`invalid`), what it names does not
 * exist (`not-found`), capture rights are missing (`permission`), it clashes with what runs (`conflict`), the
 * helper cannot serve it now (`unavailable`), or the helper failed (`internal`, a bug).
 */
export const requestErrorCodes = ['invalid', 'not-found', 'permission', 'conflict', 'unavailable', 'internal'] as const;
export type RequestErrorCode = (typeof requestErrorCodes)[number];

/** A refused request or a closed connection: the typed code, with the error's name and message for people. */
export const requestErrorInfo = obj({ code: oneOf(requestErrorCodes), name: str({ max: 128 }), message: str({ max: 8192 }) });
export type RequestErrorInfo = Infer<typeof requestErrorInfo>;

const captureSource = tagged('kind', {
  live: obj({ interfaces: arr(ifaceName, MAX_IFACES) }),
  /** speed: 1 = real time, 10 = ten times faster, 0 = as fast as the engine goes. */
  file: obj({ path: str({ min: 1, max: 4096 }), speed: num(0, 10_000) }),
});
export type CaptureSource = Infer<typeof captureSource>;

export const startParams = obj({
  /** Proposed by the client so that a restarted helper resumes under the same id. */
  sessionId: optional(sessionId),
  source: captureSource,
  bpf: optional(str({ max: 8192 })),
  snaplen: optional(int(64, 262_144)),
  promisc: optional(bool),
  /** Kernel capture buffer, bytes. */
  bufferSize: optional(int(1 << 16, 1 << 30)),
  /** Seconds a flow may stay silent before it ends, per protocol (the flow table's defaults otherwise). */
  flowTimeouts: optional(obj({ tcp: int(1, 86_400), udp: int(1, 86_400), icmp: int(1, 86_400) })),
});
export type StartParams = Infer<typeof startParams>;

export const capturePath = oneOf(['netmon-capture', 'cap', 'file'] as const);
export type CapturePath = Infer<typeof capturePath>;

const drops = obj({ kernel: count, helper: count });
export type Drops = Infer<typeof drops>;

export const sessionStatus = obj({
  sessionId,
  settings: startParams,
  state: oneOf(['running', 'finished', 'stopped', 'failed'] as const),
  capturePath,
  startedAt: num(0),
  endedAt: nullable(num(0)),
  packets: count,
  bytes: count,
  drops,
  error: nullable(errorInfo),
});
export type SessionStatus = Infer<typeof sessionStatus>;

export const interfaceInfo = obj({
  name: ifaceName,
  description: nullable(str({ max: 1024 })),
  addresses: arr(obj({
    family: oneOf(['IPv4', 'IPv6', 'link'] as const),
    address: str({ max: 64 }),
    netmask: nullable(str({ max: 64 })),
  }), 256),
  up: bool,
  running: bool,
  loopback: bool,
  wireless: bool,
  linkType: nullable(int(0, 0xffffffff)),
  linkTypeName: nullable(str({ max: 64 })),
  canCapture: bool,
  /** Why capture is not permitted, when it is not. */
  reason: nullable(str({ max: 1024 })),
});
export type InterfaceInfo = Infer<typeof interfaceInfo>;

/** Where a flow's name comes from: its ClientHello, its HTTP Host, its DNS question, or a DNS answer before it started. */
export const nameSources = ['sni', 'host', 'dns', 'dns-answer'] as const;
export type NameSource = (typeof nameSources)[number];

const l4Proto = oneOf(FLOW_PROTOCOLS);

/** TCP connection quality of a flow, as Wireshark's TCP analysis counts it (see flows/tcp-quality). */
export const tcpQualityFigures = obj({
  /** SYN → SYN/ACK and SYN/ACK → ACK at the capture point, milliseconds; null until seen. */
  rttServerMs: nullable(num(-1e9, 1e9)),
  rttClientMs: nullable(num(-1e9, 1e9)),
  rttMs: nullable(num(-1e9, 1e9)),
  retransmissions: count,
  outOfOrder: count,
  zeroWindows: count,
});

/**
 * The process a flow belongs to on the capture host (Linux live captures,
 * apps/app-attributor): `label` is its name, or `system (user N)` for a
 * socket of a user whose processes this user may not inspect.
 */
export const flowApp = obj({
  label: str({ max: 256 }),
  pid: nullable(int(1, 2 ** 31 - 1)),
  name: nullable(str({ max: 256 })),
  exe: nullable(str({ max: 4096 })),
  uid: int(0, 2 ** 32 - 1),
  user: nullable(str({ max: 64 })),
  system: bool,
});
export type FlowApp = Infer<typeof flowApp>;

export const flowRow = obj({
  id: count,
  /** Interface the flow was seen on (the file name for a replay). */
  iface: str({ max: 256 }),
  proto: l4Proto,
  ipProto: int(0, 255),
  /** Initiator side (source of the first packet seen). */
  a: str({ max: 64 }),
  portA: int(0, 65535),
  b: str({ max: 64 }),
  portB: int(0, 65535),
  vlan: int(-1, 4095),
  packetsAB: count,
  bytesAB: count,
  packetsBA: count,
  bytesBA: count,
  firstSeen: num(),
  lastSeen: num(),
  state: str({ max: 32 }),
  /** OR of every TCP flag byte seen. */
  tcpFlags: int(0, 255),
  /** False once the flow ended (closed, reset or evicted). */
  active: bool,
  /** Names a DNS answer gave an endpoint's address before the flow started. */
  nameA: optional(str({ max: 1024 })),
  nameB: optional(str({ max: 1024 })),
  /** What the flow said itself: its ClientHello SNI, HTTP Host, DNS question. */
  sni: optional(str({ max: 1024 })),
  httpHost: optional(str({ max: 1024 })),
  dnsQuery: optional(str({ max: 1024 })),
  /** The flow's name by evidence (its own word first, then a DNS answer), and where it came from. */
  name: optional(str({ max: 1024 })),
  nameSource: optional(oneOf(nameSources)),
  /** ICMP/ICMPv6 type and code of the flow's first message (icmp and icmpv6 flows only). */
  icmpType: optional(int(0, 255)),
  icmpCode: optional(int(0, 255)),
  /** TCP flows only. */
  quality: optional(tcpQualityFigures),
  /** The probe that saw the flow when main aggregates probes over NATS (docs/nats.md); the helper never sets it. */
  probe: optional(str({ max: 64 })),
  /** The flow's process on the capture host; absent for replays, flows of other hosts and sockets not found. */
  app: optional(flowApp),
});
export type FlowRow = Infer<typeof flowRow>;

/**
 * The filter fields and sort keys of src-shared/flow-query.ts that the helper's flow table answers: what it holds
 * per flow (protocol, endpoints, counts, times, state). Names, places, applications, probes and rates are main's;
 * a request naming one is refused, not answered as if it matched.
 */
export const HELPER_SORT_KEYS = [
  'bytes', 'packets', 'bytesAB', 'bytesBA', 'packetsAB', 'packetsBA', 'firstSeen', 'lastSeen', 'a', 'b', 'aPort', 'bPort', 'proto', 'state',
] as const satisfies readonly FlowSortKey[];
/** The shared keys, and the helper's two paging orders: by flow id, and by table slot (the cheapest full listing). */
export const flowSortKeys = ['id', 'table', ...HELPER_SORT_KEYS] as const;

const port = int(0, 65535);
const flowStates = ['syn', 'established', 'fin', 'rst', 'closed', 'active'] as const satisfies readonly FlowStateName[];

export const helperFlowFilter = Type.Object({
  proto: optional(arr(l4Proto, FLOW_PROTOCOLS.length)),
  /** An address or CIDR block; either endpoint may match. */
  ip: optional(str({ max: 64 })),
  port: optional(port),
  ports: optional(arr(Type.Tuple([port, port]), 64)),
  state: optional(arr(oneOf(flowStates), flowStates.length)),
  shown: optional(arr(oneOf([...flowStates, 'ended']), flowStates.length + 1)),
  fromMs: optional(num(0)),
  toMs: optional(num(0)),
}, { additionalProperties: false });
export type HelperFlowFilter = Infer<typeof helperFlowFilter> & FlowFilter;

export const flowsQueryParams = obj({
  sessionId,
  filter: optional(helperFlowFilter),
  sort: optional(oneOf(flowSortKeys)),
  dir: optional(oneOf(['asc', 'desc'] as const)),
  offset: int(0, 1 << 30),
  limit: int(1, MAX_FLOW_PAGE),
  /** Keyset page (sort id or table only): the flows after this flow id in the sort's order. */
  afterId: optional(count),
  /** These flows only, those still active, in the order given (sort id, offset 0, no afterId): a refresh of the
   *  flows main holds, whatever their place in the table. */
  ids: optional(arr(count, MAX_FLOW_PAGE)),
});
export type FlowsQueryParams = Infer<typeof flowsQueryParams>;

const trafficCounter = obj({ packets: count, bytes: count });
const session = obj({ sessionId });

const sessionStats = obj({
  sessionId,
  packets: count,
  bytes: count,
  protocols: record(trafficCounter, 32),
  malformed: count,
  flowsActive: count,
  flowsEvicted: count,
  drops,
});
export type SessionStats = Infer<typeof sessionStats>;

const helperStats = obj({
  clients: count,
  /** Rollup/flow-delta events dropped for clients that read too slowly. */
  eventsDroppedSlowClients: count,
  /** Connections closed for garbage, oversized or unauthenticated frames. */
  clientsRejected: count,
  logRecordsDropped: count,
});
export type HelperStats = Infer<typeof helperStats>;

const exportId = int(1, 0x7fffffff);

export const WEB_SECTION_WINDOWS = ['10s', '60s', 'session'] as const;
/** Hosts and sections per host a webSections answer carries at most. */
export const MAX_WEB_HOSTS = 25;
export const MAX_WEB_SECTIONS = 10;

const webSectionsResult = obj({
  window: oneOf(WEB_SECTION_WINDOWS),
  /** Unix second the window ends at (packet time for files, wall clock live); null before the first packet. */
  toSecond: nullable(int(-(2 ** 40), 2 ** 40)),
  /** Requests in the window, and those whose host/section pair a full bound left uncounted per pair. */
  requests: count,
  dropped: count,
  hosts: arr(obj({
    host: str({ max: 1024 }),
    requests: count,
    sections: arr(obj({ section: str({ max: 1024 }), requests: count }), MAX_WEB_SECTIONS),
  }), MAX_WEB_HOSTS),
  moreHosts: count,
  /** TLS, QUIC and DTLS ClientHellos of the session: encrypted web traffic, which has no sections. */
  encryptedHellos: count,
});

/** Request name → params and result validators. */
export const requests = {
  interfaces: {
    params: obj({}),
    result: obj({
      interfaces: arr(interfaceInfo, 1024),
      /** The live capture path this helper uses, and the state of capture rights (what to run when they are missing or outdated). */
      capturePath: oneOf(['netmon-capture', 'cap'] as const),
      rights: oneOf(['ready', 'stale', 'not-member', 'missing'] as const),
      rightsMessage: nullable(str({ max: 1024 })),
      libpcap: nullable(str({ max: 256 })),
    }),
  },
  start: { params: startParams, result: sessionStatus },
  stop: { params: session, result: sessionStatus },
  status: {
    params: obj({}),
    result: obj({
      protocolVersion: int(1),
      helperVersion: str({ max: 64 }),
      pid: int(1),
      uptimeMs: count,
      sessions: arr(sessionStatus, 64),
    }),
  },
  flows: { params: flowsQueryParams, result: obj({ total: count, offset: count, flows: arr(flowRow, MAX_FLOW_PAGE) }) },
  names: {
    params: session,
    result: obj({
      dns: arr(obj({ name: str({ max: 1024 }), addresses: arr(str({ max: 64 }), 256) }), 100_000),
      sni: arr(str({ max: 1024 }), 100_000),
      httpHosts: arr(str({ max: 1024 }), 100_000),
    }),
  },
  /** Plaintext HTTP requests per host and first path segment over a window (names/web-sections.ts). */
  webSections: { params: obj({ sessionId, window: oneOf(WEB_SECTION_WINDOWS) }), result: webSectionsResult },
  stats: { params: obj({ sessionId: optional(sessionId) }), result: obj({ helper: helperStats, session: nullable(sessionStats) }) },
  /**
   * Streams `exportChunk` events (pcap/pcapng bytes as attachments, to the
   * requesting client only) and answers with the summary at the end. An empty
   * `flowIds` exports every packet still in the spool.
   */
  export: {
    params: obj({
      sessionId,
      exportId,
      flowIds: arr(count, 100_000),
      format: oneOf(['pcap', 'pcapng'] as const),
      /** Inclusive time bounds, Unix seconds. */
      from: optional(num()),
      to: optional(num()),
    }),
    result: obj({
      exportId,
      packets: count,
      bytes: count,
      /** Size of the file produced. */
      fileBytes: count,
      /** Packets of the selection that had already left the spool and are not in the file. */
      missingPackets: count,
      missingBytes: count,
      cancelled: bool,
    }),
  },
  exportCancel: { params: obj({ exportId }), result: obj({ cancelled: bool }) },
} satisfies Record<string, { params: Validator<object>; result: Validator<object> }>;

export type RequestName = keyof typeof requests;
export type RequestMap = { [K in RequestName]: { params: Infer<(typeof requests)[K]['params']>; result: Infer<(typeof requests)[K]['result']> } };
export type RequestParams<K extends RequestName> = RequestMap[K]['params'];
export type RequestResult<K extends RequestName> = RequestMap[K]['result'];
export const requestNames = Object.keys(requests) as RequestName[];

export const rollupSnapshot = obj({
  /** Unix second this rollup covers (packet time for files, wall clock live). */
  second: int(-(2 ** 40), 2 ** 40),
  packets: count,
  bytes: count,
  interfaces: arr(obj({
    iface: str({ max: 256 }),
    packetsIn: count,
    bytesIn: count,
    packetsOut: count,
    bytesOut: count,
    /** Drops during that second, by the kernel (pcap_stats) and by the helper's bounded queues. */
    kernelDrops: count,
    helperDrops: count,
  }), MAX_IFACES),
  byProtocol: record(trafficCounter, 32),
  /** `probe`: as in flowRow, set only by main's bus aggregator. */
  topHosts: arr(obj({ addr: str({ max: 64 }), name: optional(str({ max: 1024 })), packets: count, bytes: count, probe: optional(str({ max: 64 })) }), MAX_TOP),
  topFlows: arr(obj({ flowId: count, label: str({ max: 512 }), packets: count, bytes: count, probe: optional(str({ max: 64 })) }), MAX_TOP),
  activeFlows: count,
  newFlows: count,
  /** TCP quality during the second: totals over every flow, and the flows it happened in (bounded); absent when none. */
  quality: optional(obj({
    retransmissions: count,
    /** Handshakes completed, and the sum of their RTTs (both sides) in milliseconds. */
    handshakes: count,
    rttSumMs: num(-1e15, 1e15),
    flows: arr(obj({ flowId: count, retransmissions: count, rttMs: nullable(num(-1e9, 1e9)) }), MAX_QUALITY_FLOWS),
  })),
});
export type RollupSnapshot = Infer<typeof rollupSnapshot>;

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Event name → payload validator. Events carry the capture-session id (null for helper-wide ones). */
export const events = {
  rollup: rollupSnapshot,
  flowDeltas: obj({
    second: int(-(2 ** 40), 2 ** 40),
    /** Flows that changed since the previous delta. */
    updated: arr(flowRow, MAX_DELTA_FLOWS),
    /** Flows that ended (closed, reset, evicted) since the previous delta, with their final counts. */
    ended: arr(flowRow, MAX_DELTA_FLOWS),
    /** Changed or ended flows left out because the delta was full (query `flows` to catch up). */
    omitted: count,
    /** More parts of this second's changed flows follow (a second's delta comes in bounded parts; the first
     *  carries the ended flows and what was omitted). */
    more: optional(bool),
  }),
  captureState: sessionStatus,
  captureError: obj({ error: errorInfo, fatal: bool }),
  /** Cumulative kernel and helper drops of a session, sent when they change. */
  drops,
  /** Rollup, flow-delta and log events this connection lost because it read too slowly (sent once it catches up). */
  eventsDropped: obj({ dropped: count, total: count }),
  log: obj({
    level: oneOf(logLevels),
    time: num(0),
    msg: str({ max: 8192 }),
    fields: optional(record(str({ max: 1024 }), 32)),
  }),
  exportChunk: obj({
    exportId,
    seq: count,
    /** Packets and wire bytes this chunk completes. */
    packets: count,
    bytes: count,
    /** Progress; the totals are upper bounds when a time range cuts through the spool. */
    packetsDone: count,
    packetsTotal: count,
    bytesDone: count,
    bytesTotal: count,
  }),
} satisfies Record<string, Validator<object>>;

export type EventName = keyof typeof events;
export type EventMap = { [K in EventName]: Infer<(typeof events)[K]> };
export const eventNames = Object.keys(events) as EventName[];

/** Events a slow client may lose (the next one supersedes them); everything else is never dropped. */
export const DROPPABLE_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['rollup', 'flowDeltas', 'log']);
