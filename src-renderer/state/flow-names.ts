import type { FlowSummary } from '../transport/api-types';

/** What the flow said about itself (SNI, HTTP Host) names it better than a reverse DNS answer for its server. */
export function primaryName(f: FlowSummary): string | null {
  return f.names.sni ?? f.names.httpHost ?? f.names.b ?? f.names.a;
}

/** Every distinct name of the flow, best first. */
export function flowNameList(f: FlowSummary): string[] {
  const out: string[] = [];
  for (const n of [f.names.sni, f.names.httpHost, f.names.b, f.names.a]) if (n && !out.includes(n)) out.push(n);
  return out;
}
