import type { FlowSummary, GeoInfo } from '../transport/api-types';

/** Country and network of an address in a few words: `DE · AS3320 Deutsche Telekom AG`, or `private` for a special range. */
export function geoText(g: GeoInfo | undefined): string {
  if (g === undefined) return '';
  if (g.special !== null) return g.special;
  const as = g.asn === null ? '' : `AS${g.asn}${g.asName ? ` ${g.asName}` : ''}`;
  return [g.country ?? '', as].filter(Boolean).join(' · ') || 'unknown';
}

/** What an endpoint cell adds after the address: ` · DE` for a public address with a known country, else nothing. */
export function countrySuffix(g: GeoInfo | undefined): string {
  return g?.country ? ` · ${g.country}` : '';
}

/** Search words for a flow: `country:de as:3320` per public end, the special range name otherwise. */
export function geoSearchText(f: FlowSummary): string {
  if (f.geo === undefined) return '';
  return [f.geo.a, f.geo.b]
    .map((g) => (g.special !== null ? `country:${g.special}` : `${g.country ? `country:${g.country}` : ''} ${g.asn === null ? '' : `as:${g.asn} ${g.asName ?? ''}`}`))
    .join(' ');
}
