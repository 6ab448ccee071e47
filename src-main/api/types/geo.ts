/** Country and network of addresses, and the capture's traffic by them (plain JSON data: see traffic.ts). */

/** Address blocks that belong to no country or network (IANA special-purpose registries). */
export type SpecialRange =
  | 'private' // RFC 1918
  | 'shared' // RFC 6598 carrier-grade NAT
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'unique-local' // fc00::/7
  | 'unspecified'
  | 'this-network'
  | 'reserved';

/** Where a public address is registered, from the offline databases; `special` instead for the blocks above. */
export interface GeoInfo {
  /** ISO 3166-1 alpha-2 code. */
  country: string | null;
  asn: number | null;
  asName: string | null;
  special: SpecialRange | null;
}

/** Traffic of the capture per country and per AS of each flow's remote end (B, or A when only A is public). */
export interface GeoBreakdown {
  countries: { country: string; bytes: number; flows: number }[];
  networks: { asn: number; asName: string | null; bytes: number; flows: number }[];
  /** Flows whose remote end is in a special range, or public but in no database record. */
  special: { bytes: number; flows: number };
  unknown: { bytes: number; flows: number };
  /** The database files in use. */
  sources: { country: string; asn: string };
}
