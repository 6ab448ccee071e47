/** Limits of the packet spool; every one is a hard bound with a counter of what it pushed out. */
export interface SpoolSettings {
  /** Memory ring: segments kept in memory before they spill to disk (bytes, at least two segments). */
  memoryBytes: number;
  /** Size of one segment, the unit that spills and rotates. */
  segmentBytes: number;
  /** Disk budget of spilled segments; 0 keeps the spool in memory only. */
  maxBytes: number;
  /** Segments whose newest packet is older than this (packet clock) rotate out; 0 disables the age limit. */
  maxAgeSeconds: number;
  /** Captured bytes kept per packet; the original wire length is always kept. */
  snaplen: number;
  /** Memory for the per-segment flow indexes; beyond it the oldest segments rotate out. */
  maxIndexBytes: number;
  /** Distinct flows in one segment before it is sealed early (bounds the index of one segment). */
  maxFlowsPerSegment: number;
  /** Flows whose rotated-out packet counts are remembered for "missing" reports. */
  maxRotatedFlows: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_SPOOL_SETTINGS: Readonly<SpoolSettings> = Object.freeze({
  memoryBytes: 64 * MiB,
  segmentBytes: 4 * MiB,
  maxBytes: 1024 * MiB,
  maxAgeSeconds: 3600,
  snaplen: 262_144,
  maxIndexBytes: 64 * MiB,
  maxFlowsPerSegment: 32_768,
  maxRotatedFlows: 200_000,
});

/** Bytes of the fixed header in front of each spooled packet (its layout: spool-record.ts). */
export const RECORD_HEADER_BYTES = 40;

export class SpoolSettingsError extends Error {
  override readonly name = 'SpoolSettingsError';
}

function integer(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SpoolSettingsError(`spool setting ${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

/** Defaults completed by `partial`, checked as a whole; throws SpoolSettingsError naming the bad setting. */
export function resolveSpoolSettings(partial: Partial<SpoolSettings> = {}): SpoolSettings {
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_SPOOL_SETTINGS)) throw new SpoolSettingsError(`unknown spool setting ${key}`);
  }
  const s = { ...DEFAULT_SPOOL_SETTINGS, ...partial };
  const snaplen = integer('snaplen', s.snaplen, 64, 262_144);
  const segmentBytes = integer('segmentBytes', s.segmentBytes, 4096, 256 * MiB);
  if (segmentBytes < RECORD_HEADER_BYTES + snaplen) {
    throw new SpoolSettingsError(`spool setting segmentBytes (${segmentBytes}) must hold one packet of snaplen ${snaplen} plus its ${RECORD_HEADER_BYTES}-byte header`);
  }
  const memoryBytes = integer('memoryBytes', s.memoryBytes, 2 * segmentBytes, 64 * 1024 * MiB);
  return {
    memoryBytes,
    segmentBytes,
    snaplen,
    maxBytes: integer('maxBytes', s.maxBytes, 0, Number.MAX_SAFE_INTEGER),
    maxAgeSeconds: integer('maxAgeSeconds', s.maxAgeSeconds, 0, 10 * 365 * 86_400),
    maxIndexBytes: integer('maxIndexBytes', s.maxIndexBytes, 64 * 1024, 16 * 1024 * MiB),
    maxFlowsPerSegment: integer('maxFlowsPerSegment', s.maxFlowsPerSegment, 16, 1 << 22),
    maxRotatedFlows: integer('maxRotatedFlows', s.maxRotatedFlows, 0, 1 << 24),
  };
}
