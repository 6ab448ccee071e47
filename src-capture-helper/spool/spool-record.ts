import type { PacketRecord } from '../pipeline/packet-sink';
import { RECORD_HEADER_BYTES } from './spool-settings';

/*
 * One spooled packet, little-endian, the same in memory and in segment files:
 *   0 f64 tsSec | 8 u32 tsNsec | 12 u32 wireLength | 16 u32 capturedLength
 *  20 i32 linkType | 24 f64 flowId (-1: none) | 32 u32 ifIndex | 36 u8 flags
 *  40 captured bytes
 */
export const REC_TS_SEC = 0;
export const REC_TS_NSEC = 8;
export const REC_WIRE = 12;
export const REC_CAP = 16;
export const REC_LINK = 20;
export const REC_FLOW = 24;
export const REC_IF = 32;
export const REC_FLAGS = 36;
export const FLAG_HAS_TIMESTAMP = 1;
export { RECORD_HEADER_BYTES };

/** A PacketRecord read back from the spool, with the flow it was appended under. */
export interface SpooledRecord extends PacketRecord {
  flowId: number;
}

export function emptySpooledRecord(): SpooledRecord {
  return { ifIndex: 0, linkType: 0, tsSec: 0, tsNsec: 0, hasTimestamp: false, wireLength: 0, bytes: new Uint8Array(0), offset: 0, length: 0, flowId: -1 };
}

/** Fills `out` from the record at `o` (its bytes stay in `bytes`) and returns the offset of the next record. */
export function readSpooledRecord(bytes: Buffer, view: DataView, o: number, out: SpooledRecord): number {
  const cap = view.getUint32(o + REC_CAP, true);
  out.tsSec = view.getFloat64(o + REC_TS_SEC, true);
  out.tsNsec = view.getUint32(o + REC_TS_NSEC, true);
  out.wireLength = view.getUint32(o + REC_WIRE, true);
  out.linkType = view.getInt32(o + REC_LINK, true);
  out.flowId = view.getFloat64(o + REC_FLOW, true);
  out.ifIndex = view.getUint32(o + REC_IF, true);
  out.hasTimestamp = (view.getUint8(o + REC_FLAGS) & FLAG_HAS_TIMESTAMP) !== 0;
  const start = o + RECORD_HEADER_BYTES;
  out.bytes = bytes;
  out.offset = start;
  out.length = cap;
  return start + cap;
}
