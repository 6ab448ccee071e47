/**
 * What DNS says: per query name, its queries, responses and answer
 * addresses, and the reverse map (address → name) by which a flow that
 * starts after an answer is named. DNS over UDP is one message a datagram;
 * over TCP, messages carry a 2-byte length (`messagesOverTcp`).
 */
import type { IpLayer } from '../decode/decoded-packet';
import { NetKind } from '../decode/decoded-packet';
import { BoundedMap } from '../../src-shared/bounded-map';
import { parseDnsMessage } from './dns-message';
import type { FlowLabelBook } from './flow-labels';
import type { NameLimits } from './name-limits';
import { address16Key } from './text';
import { isV4Mapped } from '../../src-shared/ip';

export interface DnsNameStats {
  queries: number;
  responses: number;
  /** Addresses of A/AAAA records in the Answers section of responses. */
  addresses: string[];
}

export type DnsLimits = Pick<NameLimits, 'maxDnsNames' | 'maxAddressesPerName' | 'maxAddressNames'>;

/** Upper bound on messages parsed from one TCP segment. */
const MAX_MESSAGES_PER_SEGMENT = 16;

export class DnsNames {
  private readonly dns: BoundedMap<string, DnsNameStats>;
  /** Reverse map for IPv4 (key: address as unsigned 32-bit number) and IPv6 (key: hex). */
  private readonly names4: BoundedMap<number, string>;
  private readonly names6: BoundedMap<string, string>;
  private readonly maxAddressesPerName: number;
  messages = 0;
  /** Messages that could not be read to the end (what was read is kept, as tshark does). */
  malformed = 0;
  /** Addresses beyond `maxAddressesPerName`. */
  addressesDropped = 0;

  constructor(
    limits: DnsLimits,
    private readonly labels: FlowLabelBook,
  ) {
    this.dns = new BoundedMap(limits.maxDnsNames);
    this.names4 = new BoundedMap(limits.maxAddressNames);
    this.names6 = new BoundedMap(limits.maxAddressNames);
    this.maxAddressesPerName = limits.maxAddressesPerName;
  }

  get namesEvicted(): number {
    return this.dns.evicted;
  }

  get addressNamesEvicted(): number {
    return this.names4.evicted + this.names6.evicted;
  }

  /** True once an answer named an address: until then no flow needs a look-up. */
  get hasAddressNames(): boolean {
    return this.names4.size > 0 || this.names6.size > 0;
  }

  /** Reads one DNS message at `b[start, end)` carried by `flowId`. */
  message(b: Uint8Array, start: number, end: number, flowId: number): void {
    const msg = parseDnsMessage(b, start, end);
    this.messages++;
    if (msg.status !== 0) this.malformed++;
    // A DNS flow is named by its own first question (a flow that asks again keeps it).
    if (flowId >= 0 && msg.queries.length > 0 && this.labels.peek(flowId)?.dnsQuery === undefined) {
      this.labels.set(flowId, 'dnsQuery', msg.queries[0]);
    }
    // A name asked twice in one message counts once.
    const seen = msg.queries.length > 1 ? new Set<string>() : undefined;
    for (const q of msg.queries) {
      if (seen !== undefined) {
        if (seen.has(q)) continue;
        seen.add(q);
      }
      let s = this.dns.get(q);
      if (!s) {
        s = { queries: 0, responses: 0, addresses: [] };
        this.dns.set(q, s);
      }
      if (!msg.response) {
        s.queries++;
        continue;
      }
      s.responses++;
      for (const a of msg.answers) {
        if (s.addresses.includes(a.address)) continue;
        if (s.addresses.length >= this.maxAddressesPerName) this.addressesDropped++;
        else s.addresses.push(a.address);
      }
    }
    if (!msg.response) return;
    // Reverse map: an address is named after the question (what the user asked for), else the record owner.
    const asked = msg.queries.length > 0 ? msg.queries[0] : undefined;
    for (const a of msg.answers) {
      const name = asked ?? a.name;
      if (typeof a.key === 'number') this.names4.setNewest(a.key, name);
      else this.names6.setNewest(a.key, name);
    }
  }

  /** Reads the whole length-prefixed messages at `b[start, end)`; returns the bytes used. */
  messagesOverTcp(b: Uint8Array, start: number, end: number, flowId: number): number {
    let p = start;
    for (let n = 0; n < MAX_MESSAGES_PER_SEGMENT && end - p >= 2; n++) {
      const len = (b[p] << 8) | b[p + 1];
      if (len === 0) {
        p += 2;
        continue;
      }
      if (end - p < 2 + len) break;
      this.message(b, p + 2, p + 2 + len, flowId);
      p += 2 + len;
    }
    return p - start;
  }

  /**
   * Names a flow at its first packet after its destination (B), else its
   * source (A), as the DNS answers seen so far name them.
   */
  labelByAddress(layer: IpLayer, flowId: number): void {
    let nameB: string | undefined;
    let nameA: string | undefined;
    if (layer.net === NetKind.ipv4) {
      nameB = this.names4.get(layer.dst4 >>> 0);
      nameA = nameB === undefined ? this.names4.get(layer.src4 >>> 0) : undefined;
    } else if (layer.net === NetKind.ipv6) {
      nameB = this.names6.get(address16Key(layer.dst));
      nameA = nameB === undefined ? this.names6.get(address16Key(layer.src)) : undefined;
    }
    if (nameB !== undefined) this.labels.set(flowId, 'dnsName', nameB, 'b');
    else if (nameA !== undefined) this.labels.set(flowId, 'dnsName', nameA, 'a');
  }

  /** The DNS name under which `addr16` (IPv4 as IPv4-mapped IPv6) was last seen in an answer. */
  nameForAddress(addr16: Uint8Array): string | undefined {
    if (addr16.length !== 16) return undefined;
    if (isV4Mapped(addr16)) return this.names4.get(((addr16[12] << 24) | (addr16[13] << 16) | (addr16[14] << 8) | addr16[15]) >>> 0);
    return this.names6.get(address16Key(addr16));
  }

  /** Query name -> addresses of A/AAAA records in the Answers section of its responses. */
  names(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [name, s] of this.dns.entries()) if (s.addresses.length > 0) out.set(name, [...s.addresses]);
    return out;
  }

  /** Every query name seen, with query/response counts and answer addresses. */
  stats(): Map<string, DnsNameStats> {
    const out = new Map<string, DnsNameStats>();
    for (const [name, s] of this.dns.entries()) out.set(name, { queries: s.queries, responses: s.responses, addresses: [...s.addresses] });
    return out;
  }
}
