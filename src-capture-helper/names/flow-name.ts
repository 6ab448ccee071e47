/**
 * Which name a flow goes by, and on what evidence. A flow names itself (the
 * SNI of its ClientHello, the Host of its HTTP request, the question of its
 * DNS message); failing that, a DNS answer seen before the flow started names
 * the address it goes to. A literal address in a Host or SNI is no name.
 */
import { isIP } from 'node:net';
import type { NameSource } from '../protocol/messages';

/** What the name extractor learnt about one flow. */
export interface FlowLabels {
  /** TLS/DTLS/QUIC ClientHello server name sent on this flow. */
  sni?: string;
  /** Host header of an HTTP request sent on this flow. */
  httpHost?: string;
  /** The first question of a DNS message carried by this flow. */
  dnsQuery?: string;
  /** Name a DNS answer gave an endpoint's address before the flow started. */
  dnsName?: string;
  /** Which endpoint `dnsName` names: A (the initiator) or B. */
  dnsNameOf?: 'a' | 'b';
}

export interface FlowName {
  name: string;
  source: NameSource;
}

/** The flow's own word first (SNI, Host, its DNS question), then a DNS answer learnt before it started. */
export function flowName(labels: FlowLabels | undefined): FlowName | undefined {
  if (labels === undefined) return undefined;
  if (labels.sni !== undefined) return { name: labels.sni, source: 'sni' };
  if (labels.httpHost !== undefined) return { name: labels.httpHost, source: 'host' };
  if (labels.dnsQuery !== undefined) return { name: labels.dnsQuery, source: 'dns' };
  if (labels.dnsName !== undefined) return { name: labels.dnsName, source: 'dns-answer' };
  return undefined;
}

/**
 * True for an IPv4 or IPv6 address, with or without a port
 * (`198.18.0.2`, `198.18.0.2:8000`, `::1`, `[::1]`, `[::1]:8080`).
 */
export function isAddressLiteral(host: string): boolean {
  let h = host;
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close < 0) return false;
    const rest = h.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
    h = h.slice(1, close);
    return isIP(h) === 6;
  }
  if (isIP(h) !== 0) return true;
  const colon = h.lastIndexOf(':');
  if (colon < 0 || h.indexOf(':') !== colon || !/^\d{1,5}$/.test(h.slice(colon + 1))) return false;
  return isIP(h.slice(0, colon)) === 4;
}
