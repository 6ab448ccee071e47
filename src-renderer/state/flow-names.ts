import type { FlowSummary, NameSource } from '../transport/api-types';
import { assertNever } from '../util/assert-never';

/** The flow's name by evidence (what it said itself, else a DNS answer seen before it started). */
export function primaryName(f: FlowSummary): string | null {
  return f.names.name ?? f.names.sni ?? f.names.httpHost ?? f.names.dnsQuery ?? f.names.b ?? f.names.a;
}

/** Every distinct name of the flow, best first. */
export function flowNameList(f: FlowSummary): string[] {
  const out: string[] = [];
  for (const n of [f.names.name, f.names.sni, f.names.httpHost, f.names.dnsQuery, f.names.b, f.names.a]) if (n && !out.includes(n)) out.push(n);
  return out;
}

/** Where a name came from, said plainly. */
export function nameSourceText(source: NameSource): string {
  switch (source) {
    case 'sni':
      return 'TLS/QUIC server name (SNI) of this flow';
    case 'host':
      return 'HTTP Host of this flow';
    case 'dns':
      return 'the question this DNS flow asked';
    case 'dns-answer':
      return 'a DNS answer seen before this flow started';
    default:
      return assertNever(source);
  }
}
