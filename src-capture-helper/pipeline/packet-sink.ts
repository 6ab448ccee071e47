/**
 * Every packet source (capture file reader, live addon, `cap` fallback) hands
 * packets to a PacketSink. `data` is only valid during the call: sources reuse
 * their buffers, so a sink copies what it keeps and holds no views.
 */
export interface PacketSink {
  packet(record: PacketRecord): void;
}

/** One captured record. Reused by the source between calls: copy what you keep. */
export interface PacketRecord {
  /** Index of the interface within the source (pcapng IDB index, live interface slot). */
  ifIndex: number;
  /** LINKTYPE_* number of that interface. */
  linkType: number;
  /** Timestamp, whole seconds since the epoch (may be negative or absent in damaged files). */
  tsSec: number;
  /** Fraction of the second in nanoseconds, 0..999_999_999 once normalised by the source. */
  tsNsec: number;
  /** False for records without a timestamp (pcapng simple packet blocks). */
  hasTimestamp: boolean;
  /** Original length on the wire (frame.len). */
  wireLength: number;
  /** Captured bytes (frame.cap_len = data.length). */
  data: Uint8Array;
}
