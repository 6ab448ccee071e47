/** Names learnt for addresses: DNS answers, TLS/QUIC SNI, HTTP Host (plain JSON data: see traffic.ts). */

export interface NameEntry {
  ip: string;
  names: { name: string; source: 'dns' | 'sni' | 'http' }[];
}
