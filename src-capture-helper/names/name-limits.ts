/** The name extractor's bounds, and the counters that say what each bound dropped. */

export interface NameLimits {
  /** Distinct DNS query names kept (oldest dropped first). */
  maxDnsNames: number;
  /** Addresses kept per DNS name. */
  maxAddressesPerName: number;
  /** Entries of the address -> name map. */
  maxAddressNames: number;
  /** Distinct SNI values, HTTP hosts and host+path pairs kept. */
  maxValues: number;
  /** Flows with labels kept. */
  maxFlowLabels: number;
  /** Label changes waiting for `drainLabelUpdates` (the oldest is dropped first). */
  maxPendingUpdates: number;
  /** TCP stream directions buffered at once (ClientHello, HTTP head or DNS message not complete yet). */
  maxStreams: number;
  /** Bytes buffered per stream direction, and the largest ClientHello/HTTP head/handshake we accept. */
  streamBufferBytes: number;
  /** Seconds after which an incomplete stream, QUIC or DTLS handshake is dropped. */
  streamIdleSec: number;
  /** QUIC/DTLS handshakes tracked at once. */
  maxHandshakes: number;
  /** IP datagrams under reassembly at once. */
  maxFragmentDatagrams: number;
  fragmentTimeoutSec: number;
}

export const DEFAULT_NAME_LIMITS: NameLimits = {
  maxDnsNames: 10_000,
  maxAddressesPerName: 64,
  maxAddressNames: 65_536,
  maxValues: 10_000,
  maxFlowLabels: 65_536,
  maxPendingUpdates: 65_536,
  maxStreams: 1024,
  streamBufferBytes: 16 * 1024,
  streamIdleSec: 60,
  maxHandshakes: 1024,
  maxFragmentDatagrams: 64,
  fragmentTimeoutSec: 30,
};

export interface NameCounters {
  dnsMessages: number;
  /** DNS messages that could not be read to the end (what was read is kept, as tshark does). */
  dnsMalformed: number;
  tlsClientHellos: number;
  /** ClientHellos whose fields contradict each other. */
  tlsMalformed: number;
  quicInitials: number;
  /** QUIC Initial packets no client key opened (server Initials, damaged packets). */
  quicUndecrypted: number;
  dtlsClientHellos: number;
  httpRequests: number;
  /** Stream directions dropped because `maxStreams` were buffered. */
  streamsEvicted: number;
  /** Streams given up because a message exceeded `streamBufferBytes` or had too many holes. */
  streamsOverflowed: number;
  /** Streams or handshakes dropped after `streamIdleSec` without completing. */
  streamsTimedOut: number;
  handshakesEvicted: number;
  /** Values not kept because a map was full (oldest evicted). */
  dnsNamesEvicted: number;
  addressNamesEvicted: number;
  valuesEvicted: number;
  flowLabelsEvicted: number;
  labelUpdatesDropped: number;
  /** Addresses beyond `maxAddressesPerName`. */
  addressesDropped: number;
}
