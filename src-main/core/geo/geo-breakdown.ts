import type { FlowSummary } from '../../api/types/flows';
import type { GeoBreakdown, GeoInfo } from '../../api/types/geo';

/** Rows each list of the breakdown returns. */
export const BREAKDOWN_TOP = 20;
/** Autonomous systems tallied for ended flows; flows of further ones are left out of the AS list. */
export const MAX_TALLIED_NETWORKS = 100_000;
/** Ended flows kept while the databases are still loading; later ones are counted as unknown. */
export const MAX_PENDING_FLOWS = 100_000;

interface Tally {
  bytes: number;
  flows: number;
}

/** The end of a flow that is away from here: B (the answering side) unless only A is public. */
export function remoteGeo(flow: FlowSummary): GeoInfo | null {
  if (flow.geo === undefined) return null;
  const { a, b } = flow.geo;
  return b.special !== null && a.special === null ? a : b;
}

/**
 * Bytes and flows of the capture per country and per AS of each flow's
 * remote end. Ended flows are added as they end; active flows are added at
 * each request from the flow book, so every flow counts once with its
 * latest bytes.
 */
export class GeoTally {
  private readonly countries = new Map<string, Tally>();
  private readonly networks = new Map<number, Tally & { asName: string | null }>();
  private readonly special: Tally = { bytes: 0, flows: 0 };
  private readonly unknown: Tally = { bytes: 0, flows: 0 };
  /** Flows that ended before the databases were loaded (main opens them after it starts serving). */
  private pending: FlowSummary[] = [];

  addFinished(flows: Iterable<FlowSummary>): void {
    for (const f of flows) {
      if (f.geo !== undefined) add(f, this.countries, this.networks, this.special, this.unknown, MAX_TALLIED_NETWORKS);
      else if (this.pending.length < MAX_PENDING_FLOWS) this.pending.push(f);
      else bump(this.unknown, f.aToB.bytes + f.bToA.bytes);
    }
  }

  /** The breakdown with the active flows as they are now; `annotate` gives a flow its ends' places. */
  breakdown(active: Iterable<FlowSummary>, annotate: (f: FlowSummary) => FlowSummary, sources: GeoBreakdown['sources']): GeoBreakdown {
    const pending = this.pending;
    this.pending = [];
    this.addFinished(pending.map(annotate));
    const countries = new Map([...this.countries].map(([k, v]) => [k, { ...v }]));
    const networks = new Map([...this.networks].map(([k, v]) => [k, { ...v }]));
    const special = { ...this.special };
    const unknown = { ...this.unknown };
    for (const f of active) add(annotate(f), countries, networks, special, unknown, Infinity);
    const byBytes = (x: Tally, y: Tally) => y.bytes - x.bytes || y.flows - x.flows;
    return {
      countries: [...countries].map(([country, t]) => ({ country, ...t })).sort(byBytes).slice(0, BREAKDOWN_TOP),
      networks: [...networks].map(([asn, t]) => ({ asn, asName: t.asName, bytes: t.bytes, flows: t.flows })).sort(byBytes).slice(0, BREAKDOWN_TOP),
      special,
      unknown,
      sources,
    };
  }

  clear(): void {
    this.countries.clear();
    this.networks.clear();
    this.special.bytes = this.special.flows = 0;
    this.unknown.bytes = this.unknown.flows = 0;
    this.pending = [];
  }
}

function add(
  f: FlowSummary,
  countries: Map<string, Tally>,
  networks: Map<number, Tally & { asName: string | null }>,
  special: Tally,
  unknown: Tally,
  maxNetworks: number,
): void {
  const geo = remoteGeo(f);
  if (geo === null) return;
  const bytes = f.aToB.bytes + f.bToA.bytes;
  if (geo.special !== null) {
    bump(special, bytes);
    return;
  }
  if (geo.country === null) bump(unknown, bytes);
  else {
    let t = countries.get(geo.country);
    if (t === undefined) countries.set(geo.country, (t = { bytes: 0, flows: 0 }));
    bump(t, bytes);
  }
  if (geo.asn !== null) {
    let t = networks.get(geo.asn);
    if (t === undefined && networks.size < maxNetworks) networks.set(geo.asn, (t = { bytes: 0, flows: 0, asName: geo.asName }));
    if (t !== undefined) bump(t, bytes);
  }
}

function bump(t: Tally, bytes: number): void {
  t.bytes += bytes;
  t.flows++;
}
