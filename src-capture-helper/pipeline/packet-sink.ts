/**
 * Every packet source (capture file reader, live addon, `cap` fallback) hands
 * packets to a PacketSink. `bytes` is only valid during the call: sources reuse
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
  /**
   * The buffer holding the captured bytes, which are `bytes[offset, offset +
   * length)` (frame.cap_len = length). Sources hand out the buffer they read
   * into rather than a view per packet: at millions of packets a second the
   * views and their garbage cost more than the decoding.
   */
  bytes: Uint8Array;
  offset: number;
  length: number;
}

/** The captured bytes of a record as a view of their own (still only valid during the call). */
export function packetBytes(rec: PacketRecord): Uint8Array {
  return rec.bytes.subarray(rec.offset, rec.offset + rec.length);
}
