/**
 * The hash of a flow id for the spool's open-addressing tables (FlowIndex,
 * RotatedFlows). Flow ids are exact doubles up to 2^52 (`generation * 2^24 +
 * slot`), or -1: both 32-bit halves are mixed (murmur3's finaliser), so ids
 * that differ only in their generation spread as well as those that differ
 * in their slot.
 */
export function hashFlowId(id: number): number {
  const lo = id >>> 0;
  const hi = (id / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
