/**
 * Cost of the country and AS enrichment in main: opening the shipped
 * databases, a lookup of an address not yet cached (special-range check,
 * country MMDB, AS bisection), and one answered from the cache. A flow costs
 * two lookups when main first sees it and none per packet.
 */
import { GeoService } from '../src-main/core/geo/geo-service';
import { median, watchEventLoopStalls } from './stats';

export interface GeoBenchResult {
  /** Opening the shipped databases (median of the runs), ms. */
  openMs: number;
  /** The longest the event loop was held in one stretch while opening (median of the runs), ms. */
  openLongestStallMs: number;
  /** A lookup of an address not in the cache, µs (median over rounds of distinct addresses). */
  coldLookupUs: number;
  /** A lookup answered from the cache, µs. */
  cachedLookupUs: number;
  /** A new flow whose both ends are new addresses, µs; and how many such flows a second one core annotates. */
  newFlowUs: number;
  newFlowsPerSecond: number;
  /** Lookups per round, rounds. */
  addresses: number;
  rounds: number;
}


/** Seeded addresses, a mix of IPv4 (90 %) and IPv6 in the global unicast block. */
function addresses(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0);
  return Array.from({ length: count }, () => {
    if (next() % 10 !== 0) return `${1 + (next() % 222)}.${next() % 256}.${next() % 256}.${next() % 256}`;
    return `2${(next() % 0x1000).toString(16).padStart(3, '0')}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`;
  });
}

export async function runGeoBench(rounds = 5, count = 20_000): Promise<GeoBenchResult> {
  const opens: number[] = [];
  const stalls: number[] = [];
  let geo: GeoService | undefined;
  for (let r = 0; r < 3; r++) {
    const stallWatch = watchEventLoopStalls(1);
    const t = performance.now();
    geo = await GeoService.open({ countryDb: '', asnDb: '' });
    opens.push(performance.now() - t);
    stalls.push(stallWatch.stop());
  }
  const service = geo as GeoService;
  const cold: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Distinct addresses each round: every lookup misses the cache.
    const fresh = addresses(count, 1000 + r);
    let t = performance.now();
    for (const ip of fresh) service.lookup(ip);
    cold.push(((performance.now() - t) * 1000) / count);
    t = performance.now();
    for (const ip of fresh) service.lookup(ip);
    cached.push(((performance.now() - t) * 1000) / count);
  }
  const coldLookupUs = median(cold);
  return {
    openMs: Math.round(median(opens)),
    openLongestStallMs: Math.round(median(stalls)),
    coldLookupUs: Math.round(coldLookupUs * 100) / 100,
    cachedLookupUs: Math.round(median(cached) * 1000) / 1000,
    newFlowUs: Math.round(2 * coldLookupUs * 100) / 100,
    newFlowsPerSecond: Math.round(1e6 / (2 * coldLookupUs)),
    addresses: count,
    rounds,
  };
}
