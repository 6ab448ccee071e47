import { useEffect, useState } from 'react';
import type { FlowSummary, RatePoint } from '../transport/api-types';
import type { RateSeries } from '../charts/rate-chart';
import { RateChart } from '../charts/rate-chart';
import { formatBitRate, formatBitRateAxis, formatBytes, formatByteRateAsBits, formatCount } from '../format/units';
import { formatDuration, formatLocalDateTime } from '../format/time';
import { geoText } from '../format/geo';
import { applicationTip } from './flow-columns';
import { flowNameList, nameSourceText } from '../state/flow-names';
import { endpointText, flowLabel, stateDescription } from '../state/flow-shown';
import { serviceSuffix } from '../../src-shared/service-names';
import { selectShownRevision } from '../state/store';
import { useApp, useController } from './app-context';

/** Seconds of a flow's own rate the panel keeps. */
const MAX_POINTS = 3600;

const SERIES: readonly RateSeries[] = [
  { dataKey: 'abBits', label: 'A→B', color: 'var(--out)' },
  { dataKey: 'baBits', label: 'B→A', color: 'var(--in)' },
];

interface Point {
  t: number;
  abBits: number;
  baBits: number;
}

const toPoint = (p: RatePoint): Point => ({ t: p.tsMs, abBits: p.bpsAToB * 8, baBits: p.bpsBToA * 8 });

export function FlowDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const controller = useController();
  const exportFlows = useApp((s) => s.exportFlows);
  // Main holds the flows: the panel asks for this one, and again each time the flows change while it lives.
  const revision = useApp(selectShownRevision);
  const [details, setDetails] = useState<{ id: string; points: readonly Point[]; error: string | null; flow?: FlowSummary }>({ id, points: [], error: null });
  const ended = details.id === id && details.flow !== undefined && !details.flow.active;
  useEffect(() => {
    if (ended) return;
    let cancelled = false;
    void controller.flowDetails(id).then((r) => {
      if (cancelled) return;
      setDetails(r.ok ? { id, points: r.value.series.slice(-MAX_POINTS).map(toPoint), error: null, flow: r.value.flow } : { id, points: [], error: r.error.message });
    });
    return () => {
      cancelled = true;
    };
  }, [controller, id, revision, ended]);
  const points = details.id === id ? details.points : [];

  const flow = details.id === id ? details.flow : undefined;
  if (!flow) {
    return (
      <aside className="detail panel" aria-label="Flow details">
        <p className="empty">{details.id === id && details.error !== null ? `This flow is no longer known: ${details.error}` : 'Loading the flow…'}</p>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </aside>
    );
  }
  const names = flowNameList(flow);
  const rows: Array<[string, string]> = [
    ['Protocol', `${flow.proto.toUpperCase()} (IP protocol ${flow.ipProto})`],
    ...(flow.icmp !== null ? [['ICMP message', flow.icmp.text] as [string, string]] : []),
    ...(flow.names.name !== null && flow.names.source !== null ? [['Name', `${flow.names.name} (from ${nameSourceText(flow.names.source)})`] as [string, string]] : []),
    ['State', stateDescription(flow)],
    ['A', `${endpointText(flow.a, flow.aPort)}${serviceSuffix(flow.proto, flow.aPort)}${flow.names.a ? ` (${flow.names.a}, from a DNS answer)` : ''}`],
    ['B', `${endpointText(flow.b, flow.bPort)}${serviceSuffix(flow.proto, flow.bPort)}${flow.names.b ? ` (${flow.names.b}, from a DNS answer)` : ''}`],
  ];
  if (flow.app !== undefined) rows.push(['Application', applicationTip(flow.app).replace('\n', ', ')]);
  if (flow.geo !== undefined) {
    rows.push(['A is in', geoText(flow.geo.a)], ['B is in', geoText(flow.geo.b)]);
  }
  if (flow.names.sni) rows.push(['Server name', `${flow.names.sni} (TLS/QUIC SNI)`]);
  if (flow.names.httpHost) rows.push(['HTTP host', flow.names.httpHost]);
  if (flow.names.dnsQuery) rows.push(['DNS question', flow.names.dnsQuery]);
  const now = (bps: number): string => (flow.active ? `, now ${formatByteRateAsBits(bps)}` : '');
  rows.push(
    ['A→B', `${formatBytes(flow.aToB.bytes)} in ${formatCount(flow.aToB.packets)} packets${now(flow.bpsAToB)}`],
    ['B→A', `${formatBytes(flow.bToA.bytes)} in ${formatCount(flow.bToA.packets)} packets${now(flow.bpsBToA)}`],
    ['First seen', formatLocalDateTime(flow.firstSeenMs, true)],
    ['Last seen', formatLocalDateTime(flow.lastSeenMs, true)],
    ['Duration', formatDuration(flow.lastSeenMs - flow.firstSeenMs)],
    ['Interface', `${flow.iface}${flow.vlan !== null ? `, VLAN ${flow.vlan}` : ''}`],
  );
  rows.push(...qualityRows(flow));
  const total = (c: { bytes: number; packets: number }): string => `${formatBytes(c.bytes)} in ${formatCount(c.packets)} packets`;
  return (
    <aside className="detail panel" aria-labelledby="detail-title" data-testid="flow-detail">
      <div className="panel-head">
        <h2 id="detail-title" title={flowLabel(flow)}>
          {names[0] ?? `${flow.a} ↔ ${flow.b}`}
        </h2>
        <div className="controls">
          <button type="button" onClick={() => exportFlows([flow.id])} title="Save this flow's packets as a capture file">
            Export this flow
          </button>
          <button type="button" aria-label="Close flow details" onClick={onClose}>
            ✕
          </button>
        </div>
      </div>
      <div className="detail-body">
        <div className="detail-chart">
          {!flow.active && (
            <p className="ended-summary" data-testid="ended-summary">
              This flow ended; its last packet was at {formatLocalDateTime(flow.lastSeenMs, true)}, {formatDuration(flow.lastSeenMs - flow.firstSeenMs)} after
              its first. A→B {total(flow.aToB)}, B→A {total(flow.bToA)}.
            </p>
          )}
          {points.length > 1 ? (
            <RateChart
              data={points}
              series={SERIES}
              formatValue={formatBitRate}
              formatAxis={formatBitRateAxis}
              unit="bit/s"
              height={150}
              label={flow.active ? "This flow's rate in each direction" : "This flow's rate in each direction while it was live"}
            />
          ) : (
            <p className="empty small">
              {details.error
                ? `No rate history: ${details.error}`
                : flow.active
                  ? 'The rate chart fills in as the flow sends.'
                  : 'No rate history is kept for this flow any more (main keeps the rates of the most recent flows).'}
            </p>
          )}
        </div>
        <dl className="facts">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </div>
    </aside>
  );
}

/** Connection quality rows of a TCP flow (Wireshark's TCP analysis, handshake RTT split at the capture point). */
function qualityRows(flow: FlowSummary): Array<[string, string]> {
  const q = flow.quality;
  if (q === undefined) return [];
  const ms = (v: number | null): string => (v === null ? 'not seen' : `${v.toFixed(3)} ms`);
  const rows: Array<[string, string]> = [];
  if (q.rttMs !== null || q.rttServerMs !== null || q.rttClientMs !== null) {
    rows.push(
      ['Handshake RTT', q.rttMs === null ? 'incomplete' : ms(q.rttMs)],
      ['Server side', `${ms(q.rttServerMs)} (SYN → SYN/ACK)`],
      ['Client side', `${ms(q.rttClientMs)} (SYN/ACK → ACK)`],
    );
  }
  rows.push(
    ['Retransmissions', formatCount(q.retransmissions)],
    ['Out of order', formatCount(q.outOfOrder)],
    ['Zero windows', formatCount(q.zeroWindows)],
  );
  return rows;
}
