import type { TcpQualitySummary } from '../flows/tcp-quality-summary';
import { median } from '../flows/tcp-quality-summary';
import { icmpText } from '../protocol/icmp-names';
import type { AnalyzeReport, ReportFlow } from './analyze-report-shape';
import { PROTOCOL_KEYS } from './analyze-report-shape';
import { serviceSuffix } from '../../src-shared/service-names';
import type { WebHostSections } from '../names/web-sections';

export interface TextOptions {
  /** The type and code of an ICMP flow's first message, shown instead of ports. */
  icmpKind?: (f: ReportFlow) => { type: number; code: number } | undefined;
  /** A live capture: the header names its interfaces and their link types instead of a file. */
  live?: boolean;
  /** TCP connection quality of the flows, as Wireshark's analysis counts it. */
  quality?: TcpQualitySummary;
}

/** Human-readable analyze output: totals, protocol breakdown, top talkers, top flows with names. */
export function formatReportText(r: AnalyzeReport, top: number, options: TextOptions = {}): string {
  const { icmpKind, quality } = options;
  const out: string[] = [];
  const fmt = r.format;
  const links = Object.entries(r.packets_per_link_type).map(([k, n]) => `${k} (${n})`).join(', ');
  if (options.live) {
    out.push(`Capture:   live on ${fmt.interfaces.map((i) => `${i.if_name ?? `interface ${i.interface}`} (link type ${i.name})`).join(', ')}`);
  } else {
    out.push(`File:      ${r.file.name === '-' ? 'standard input' : r.file.name} (${fmt.container ?? 'unknown'} ${fmt.version ?? ''}, ${fmt.byte_order ?? '?'}-endian, ${fmt.interfaces.length} interface(s))`);
  }
  if (!r.read.complete) out.push(`Read:      INCOMPLETE - ${r.read.error}`);
  out.push(`Packets:   ${num(r.packets)}   bytes on wire ${bytes(r.bytes)}   captured ${bytes(r.captured_bytes)}`);
  if (r.truncated_packets > 0) out.push(`           ${num(r.truncated_packets)} packets cut by the snapshot length`);
  if (r.first_ts !== null && r.min_ts !== null && r.max_ts !== null) {
    const span = Number(r.max_ts) - Number(r.min_ts);
    out.push(`Time:      ${iso(r.min_ts)} .. ${iso(r.max_ts)} (${span.toFixed(3)} s)`);
  }
  if (links !== '') out.push(`Link:      ${links}`);
  out.push('', 'Protocols');
  for (const k of PROTOCOL_KEYS) {
    const c = r.protocols[k];
    const share = r.bytes > 0 ? ((c.bytes / r.bytes) * 100).toFixed(1) : '0.0';
    out.push(`  ${k.padEnd(7)} ${num(c.packets).padStart(12)} pkts ${bytes(c.bytes).padStart(11)} ${share.padStart(6)}%`);
  }

  const hosts = new Map<string, { bytes: number; packets: number }>();
  for (const row of [...r.conversations.rows('ipv4'), ...r.conversations.rows('ipv6')]) {
    for (const h of [row.a, row.b]) {
      const e = hosts.get(h) ?? { bytes: 0, packets: 0 };
      e.bytes += row.bytes;
      e.packets += row.frames;
      hosts.set(h, e);
    }
  }
  const talkers = [...hosts.entries()].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, top);
  if (talkers.length > 0) {
    out.push('', 'Top talkers (bytes sent and received)');
    for (const [h, e] of talkers) out.push(`  ${h.padEnd(40)} ${bytes(e.bytes).padStart(11)} ${num(e.packets).padStart(10)} pkts`);
  }

  const flows = r.flows.slice(0, top);
  if (flows.length > 0) {
    out.push('', `Top flows (${num(r.flows_total)} in total)`);
    for (const f of flows) {
      // Only TCP and UDP have ports; an ICMP flow's key holds the echo identifier, which is no port.
      const ports = f.proto === 'tcp' || f.proto === 'udp';
      const icmp = ports ? undefined : icmpKind?.(f);
      const kind = icmp !== undefined ? ` ${icmpText(f.proto === 'icmpv6', icmp.type, icmp.code)}` : '';
      const a = ports ? `${endpoint(f.a, f.port_a)}${serviceSuffix(f.proto, f.port_a)} -> ${endpoint(f.b, f.port_b)}${serviceSuffix(f.proto, f.port_b)}` : `${f.a} -> ${f.b}${kind}`;
      const name = f.names.sni ?? f.names.http_host ?? f.names.dns_name;
      const total = f.bytes_a_to_b + f.bytes_b_to_a;
      out.push(`  ${f.proto.padEnd(6)} ${a.padEnd(60)} ${bytes(total).padStart(11)} ${f.state.padEnd(11)}${name !== undefined ? ` ${name}` : ''}`);
    }
  }

  if (quality !== undefined && quality.flows > 0) out.push('', ...qualityLines(quality));

  const dns = Object.entries(r.dns_names);
  if (dns.length > 0 || r.tls_sni_values.length > 0 || r.http_host_values.length > 0) {
    out.push('', 'Names seen');
    for (const [name, addrs] of dns.slice(0, top)) out.push(`  dns   ${name} -> ${addrs.join(', ')}`);
    if (dns.length > top) out.push(`  ... ${dns.length - top} more DNS names`);
    for (const s of r.tls_sni_values.slice(0, top)) out.push(`  tls   ${s}`);
    for (const h of r.http_host_values.slice(0, top)) out.push(`  http  ${h}`);
  }

  if (r.web_sections.length > 0) out.push('', ...webSectionLines(r.web_sections, top));

  const reasons = Object.entries(r.malformed.by_reason);
  if (reasons.length > 0) {
    out.push('', `Malformed or truncated packets: ${num(r.malformed.packets)}`);
    for (const [why, n] of reasons) out.push(`  ${num(n).padStart(10)}  ${why}`);
  }
  return `${out.join('\n')}\n`;
}

/** Top hosts of plaintext HTTP requests and, under each, its top sections (first path segments). */
function webSectionLines(hosts: WebHostSections[], top: number): string[] {
  const total = hosts.reduce((n, h) => n + h.requests, 0);
  const lines = [`Web sections (plaintext HTTP requests by host and first path segment, ${num(total)} requests)`];
  for (const h of hosts.slice(0, top)) {
    lines.push(`  ${h.host.padEnd(50)} ${num(h.requests).padStart(10)} requests`);
    for (const s of h.sections.slice(0, SECTIONS_PER_HOST)) lines.push(`    ${s.section.padEnd(48)} ${num(s.requests).padStart(10)}`);
    if (h.sections.length > SECTIONS_PER_HOST) lines.push(`    ... ${num(h.sections.length - SECTIONS_PER_HOST)} more sections`);
  }
  if (hosts.length > top) lines.push(`  ... ${num(hosts.length - top)} more hosts`);
  return lines;
}

const SECTIONS_PER_HOST = 5;

/** The TCP connection quality section (Wireshark's tcp.analysis counts and handshake RTTs). */
function qualityLines(q: TcpQualitySummary): string[] {
  const lines = [`TCP quality (${num(q.flows)} connections)`];
  lines.push(`  retransmissions ${num(q.retransmissions)} (in ${num(q.flowsWithRetransmissions)} connections), out of order ${num(q.outOfOrder)}, zero windows ${num(q.zeroWindows)}`);
  const server = median(q.serverRtts);
  const client = median(q.clientRtts);
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  if (server !== null) lines.push(`  handshake RTT, median: server side (SYN -> SYN/ACK) ${ms(server)} over ${num(q.serverRtts.length)}`);
  if (client !== null) lines.push(`  handshake RTT, median: client side (SYN/ACK -> ACK) ${ms(client)} over ${num(q.clientRtts.length)}`);
  return lines;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function iso(epoch: string): string {
  const ms = Number(epoch) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : epoch;
}
