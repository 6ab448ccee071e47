/**
 * What `netmon analyze --json` prints: the report's fields, its conversation
 * tables (rows made on demand, or written straight to JSON), and the time
 * format of its timestamps. `ReportBuilder` (analyze-report) fills it.
 */
import type { WebHostSections } from '../names/web-sections';
import type { JsonText, JsonWriter } from '../util/write-json';
import type { ConversationRow, ConversationTable } from './conversation-table';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';

export interface Counter {
  packets: number;
  bytes: number;
}

export const PROTOCOL_KEYS = ['ipv4', 'ipv6', ...FLOW_PROTOCOLS] as const;
export type ProtocolKey = (typeof PROTOCOL_KEYS)[number];

export interface ReportFlow {
  proto: string;
  a: string;
  port_a: number;
  b: string;
  port_b: number;
  vlan: number;
  state: string;
  packets_a_to_b: number;
  bytes_a_to_b: number;
  packets_b_to_a: number;
  bytes_b_to_a: number;
  first_ts: string;
  last_ts: string;
  names: { sni?: string; http_host?: string; dns_name?: string };
}

/** What `netmon analyze --json` prints; field names follow the tshark truth files. */
export interface AnalyzeReport {
  file: { name: string; size: number };
  format: {
    container: string | null;
    byte_order: 'big' | 'little' | null;
    version: string | null;
    ts_precision?: 'usec' | 'nsec';
    sections?: number;
    interfaces: { interface: number; section: number; linktype: number; name: string; snaplen: number; tsresol: string; if_name?: string }[];
  };
  read: { complete: boolean; error: string | null; error_kind: string | null };
  packets: number;
  bytes: number;
  captured_bytes: number;
  truncated_packets: number;
  packets_without_timestamp: number;
  first_ts: string | null;
  last_ts: string | null;
  min_ts: string | null;
  max_ts: string | null;
  packets_per_link_type: Record<string, number>;
  protocols: Record<ProtocolKey, Counter>;
  conversations: ConversationTables;
  conversations_dropped_packets: number;
  malformed: { packets: number; by_reason: Record<string, number> };
  dns_names: Record<string, string[]>;
  tls_sni_values: string[];
  http_host_values: string[];
  /** Plaintext HTTP requests per host and first path segment over the whole file (names/web-sections.ts). */
  web_sections: WebHostSections[];
  flows: ReportFlow[];
  flows_total: number;
}

const CONVERSATION_KINDS = ['tcp', 'udp', 'ipv4', 'ipv6'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

/**
 * The conversation tables of a finished report. Rows are made on demand; the
 * JSON report writes them straight from the tables (tens of thousands of rows
 * per table on a large capture), and JSON.stringify gives the same text.
 */
export class ConversationTables implements JsonText {
  private readonly made = new Map<ConversationKind, ConversationRow[]>();
  /** Address text shared by the tables (rows share endpoints). */
  private readonly ipv4Texts = new Map<number, string>();

  constructor(
    private readonly tables: Record<ConversationKind, ConversationTable>,
    private readonly fileStart: number,
  ) {}

  rows(kind: ConversationKind): ConversationRow[] {
    let rows = this.made.get(kind);
    if (rows === undefined) {
      rows = this.tables[kind].rows(this.fileStart, this.ipv4Texts);
      this.made.set(kind, rows);
    }
    return rows;
  }

  toJSON(): Record<ConversationKind, ConversationRow[]> {
    return { tcp: this.rows('tcp'), udp: this.rows('udp'), ipv4: this.rows('ipv4'), ipv6: this.rows('ipv6') };
  }

  writeJson(out: JsonWriter): void {
    CONVERSATION_KINDS.forEach((kind, i) => {
      out.ascii(`${i === 0 ? '{' : ','}"${kind}":`);
      this.tables[kind].writeRowsJson(out, this.fileStart);
    });
    out.byte(0x7d);
  }
}

/** seconds.nanoseconds, as tshark's frame.time_epoch. */
export function timeText(sec: number, nsec: number): string | null {
  if (Number.isNaN(sec)) return null;
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}
