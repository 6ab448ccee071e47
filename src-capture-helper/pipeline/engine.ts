import { LINKTYPE_NONE } from '../capture-file/capture-parser';
import type { CaptureReadResult } from '../capture-file/read-capture-file';
import { decodePacket } from '../decode/decode-packet';
import { DecodedPacket } from '../decode/decoded-packet';
import { FlowTable } from '../flows/flow-table';
import type { FlowTableConfig } from '../flows/flow-types';
import { TcpQuality } from '../flows/tcp-quality';
import { TcpQualitySummary } from '../flows/tcp-quality-summary';
import { NameExtractor } from '../names/name-extractor';
import type { ReportLimits } from '../report/analyze-report';
import { DEFAULT_REPORT_LIMITS, ReportBuilder } from '../report/analyze-report';
import type { AnalyzeReport, ReportFlow } from '../report/analyze-report-shape';
import { timeText } from '../report/analyze-report-shape';
import type { PacketRecord, PacketSink } from './packet-sink';

export interface EngineOptions {
  /** Flow table settings; `false` leaves flows out. */
  flows?: Partial<FlowTableConfig> | false;
  /** Extract DNS/SNI/HTTP names (default true). */
  names?: boolean;
  report?: ReportLimits;
  /** Flows kept for the report: the largest by bytes (default 1000). */
  reportFlows?: number;
}

const DEFAULT_FLOWS: FlowTableConfig = { maxFlows: 1_000_000, clock: 'packet' };

/**
 * The composition every mode uses: a packet source feeds this sink, which
 * decodes each record once into a reused DecodedPacket and hands it to the
 * report counters, the flow table and the name extractor.
 */
export class CaptureEngine implements PacketSink {
  readonly decoded = new DecodedPacket();
  readonly report: ReportBuilder;
  readonly flows: FlowTable | undefined;
  readonly names: NameExtractor | undefined;
  /** TCP connection quality of every flow, folded into `qualitySummary` as flows finish. */
  readonly quality: TcpQuality | undefined;
  readonly qualitySummary = new TcpQualitySummary();
  private readonly keepFlows: number;
  private finished: ReportFlow[] = [];
  private finishedTotal = 0;
  /**
   * ICMP type and code of the kept ICMP flows, for the text report: the JSON
   * report keeps the truth files' fields.
   */
  private readonly icmpKinds = new WeakMap<ReportFlow, { type: number; code: number }>();
  /** Bytes of the smallest kept flow once `keepFlows` are kept (-1 before). */
  private keptMinBytes = -1;

  constructor(options: EngineOptions = {}) {
    this.report = new ReportBuilder(options.report ?? DEFAULT_REPORT_LIMITS);
    this.keepFlows = options.reportFlows ?? 1000;
    this.names = options.names === false ? undefined : new NameExtractor();
    if (options.flows !== false) {
      const flows = new FlowTable({ ...DEFAULT_FLOWS, ...(options.flows ?? {}) });
      this.flows = flows;
      this.report.attachTo(flows);
      this.quality = new TcpQuality(flows);
      // Last, so the report and the quality figures have taken in the flow before it is read here.
      flows.attach(0, (slot) => this.onFlowFinish(flows, slot));
    }
  }

  packet(rec: PacketRecord): void {
    const pkt = this.decoded;
    // Records that are not packets (pcapng custom blocks) are counted, not decoded.
    if (rec.linkType === LINKTYPE_NONE) pkt.reset();
    else decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
    if (pkt.layerCount === 0) {
      this.report.observe(pkt, rec);
      return;
    }
    const flowId = this.flows !== undefined ? this.flows.observe(pkt, rec) : -1;
    this.report.observe(pkt, rec, flowId);
    this.quality?.observe(pkt, rec, flowId);
    this.names?.observe(pkt, rec, flowId);
  }

  /** The type and code of a reported ICMP/ICMPv6 flow's first message. */
  icmpKind(flow: ReportFlow): { type: number; code: number } | undefined {
    return this.icmpKinds.get(flow);
  }

  /** Ends every flow and returns the full report. */
  finish(file: string, read: CaptureReadResult): AnalyzeReport {
    this.flows?.flush();
    const report = this.report.build(file, read);
    const names = this.names;
    if (names !== undefined) {
      report.dns_names = Object.fromEntries(names.dnsNames());
      report.tls_sni_values = names.sniValues();
      report.http_host_values = names.httpHosts();
      report.web_sections = names.webSections.top('session', 0).hosts;
    }
    this.trimFlows();
    report.flows = this.finished;
    report.flows_total = this.finishedTotal;
    return report;
  }

  /**
   * A flow leaving the table, read from its slot: most flows of a large
   * capture are never kept, and are counted without a snapshot (two address
   * texts and an object each).
   */
  private onFlowFinish(table: FlowTable, slot: number): void {
    this.finishedTotal++;
    const quality = this.quality?.figures(slot);
    if (quality) this.qualitySummary.add(quality);
    // Not larger than the smallest of keepFlows earlier flows: it can never be kept (ties keep the earlier).
    if (table.bytesOf(slot) <= this.keptMinBytes) {
      this.names?.forgetFlow(table.idOf(slot));
      return;
    }
    const flow = table.snapshot(slot);
    const labels = this.names?.labelsForFlow(flow.id);
    this.names?.forgetFlow(flow.id);
    const names: ReportFlow['names'] = {};
    if (labels?.sni !== undefined) names.sni = labels.sni;
    if (labels?.httpHost !== undefined) names.http_host = labels.httpHost;
    if (labels?.dnsName !== undefined) names.dns_name = labels.dnsName;
    const kept: ReportFlow = {
      proto: flow.proto,
      a: flow.a,
      port_a: flow.portA,
      b: flow.b,
      port_b: flow.portB,
      vlan: flow.vlan,
      state: flow.state,
      packets_a_to_b: flow.packetsAB,
      bytes_a_to_b: flow.bytesAB,
      packets_b_to_a: flow.packetsBA,
      bytes_b_to_a: flow.bytesBA,
      first_ts: timeText(flow.firstSec, flow.firstNsec) ?? '',
      last_ts: timeText(flow.lastSec, flow.lastNsec) ?? '',
      names,
    };
    this.finished.push(kept);
    if (flow.icmpType >= 0) this.icmpKinds.set(kept, { type: flow.icmpType, code: flow.icmpCode });
    // Bounded: keep the largest flows, trimming in batches.
    if (this.finished.length >= this.keepFlows * 2) this.trimFlows();
  }

  private trimFlows(): void {
    const total = (f: ReportFlow) => f.bytes_a_to_b + f.bytes_b_to_a;
    this.finished.sort((x, y) => total(y) - total(x));
    if (this.finished.length >= this.keepFlows) {
      this.finished.length = this.keepFlows;
      this.keptMinBytes = this.keepFlows > 0 ? total(this.finished[this.keepFlows - 1]) : Infinity;
    }
  }
}
