import { memo, useCallback, useMemo, useState } from 'react';
import type { RateSeries } from '../charts/rate-chart';
import { RateChart } from '../charts/rate-chart';
import { formatBitRate, formatBitRateAxis, formatByteRateAsBits, formatBytes, formatCount, formatPacketRate } from '../format/units';
import { formatClock } from '../format/time';
import { currentTraffic, isFlowing } from '../state/current';
import { ringFirst, ringLast, ringToArray } from '../state/ring';
import type { ChartResolution, ChartSpan } from '../state/store';
import { selectShownTraffic } from '../state/store';
import type { Talker } from '../state/traffic';
import { tickOfHost, useHosts } from '../state/hosts';
import { bucketSamples, protocolShares, topFlows, topHosts } from '../state/traffic';
import { useApp, useAppShallow } from './app-context';
import { labelWithServices } from '../../src-shared/service-names';
import { GeoBreakdownPanel } from './geo-breakdown';
import { WebSectionsPanel } from './web-sections';

const BIT_SERIES: readonly RateSeries[] = [
  { dataKey: 'inBps', label: 'In', color: 'var(--in)' },
  { dataKey: 'outBps', label: 'Out', color: 'var(--out)' },
];
const PACKET_SERIES: readonly RateSeries[] = [
  { dataKey: 'inPps', label: 'In', color: 'var(--in)' },
  { dataKey: 'outPps', label: 'Out', color: 'var(--out)' },
];
const RESOLUTIONS: readonly ChartResolution[] = [1, 10, 60];
const SPANS: ReadonlyArray<{ value: ChartSpan; label: string }> = [
  { value: 60, label: '1 min' },
  { value: 300, label: '5 min' },
  { value: 900, label: '15 min' },
  { value: 3600, label: '60 min' },
];
const TOP_WINDOW_SECONDS = 10;

function StatCards() {
  const { shown, live, stats, capture } = useAppShallow((s) => ({ shown: selectShownTraffic(s), live: s.traffic, stats: s.stats, capture: s.capture }));
  const now = useMemo(() => currentTraffic(shown, live, stats, capture), [shown, live, stats, capture]);
  const drops = now.drops.kernel + now.drops.helper;
  const second = now.second === null ? null : formatClock(now.second);
  const still = now.flowing ? null : capture?.state === 'finished' ? 'the file is read' : 'not capturing';
  return (
    <div className="cards" role="group" aria-label="Current traffic" title={second ? `The second ${second} and the totals up to it` : undefined}>
      <div className="card">
        <span className="card-label">
          <i className="dot in" aria-hidden /> In
        </span>
        <strong data-testid="rate-in">{formatBitRate(now.inBps)}</strong>
        <span className="muted" data-testid="total-in" title={`${formatCount(now.totals.in.bytes)} bytes, ${formatCount(now.totals.in.packets)} packets`}>
          {formatPacketRate(now.inPps)} · {formatBytes(now.totals.in.bytes)} total
        </span>
      </div>
      <div className="card">
        <span className="card-label">
          <i className="dot out" aria-hidden /> Out
        </span>
        <strong data-testid="rate-out">{formatBitRate(now.outBps)}</strong>
        <span className="muted" data-testid="total-out" title={`${formatCount(now.totals.out.bytes)} bytes, ${formatCount(now.totals.out.packets)} packets`}>
          {formatPacketRate(now.outPps)} · {formatBytes(now.totals.out.bytes)} total
        </span>
      </div>
      <div className="card">
        <span className="card-label">Active flows</span>
        <strong data-testid="active-flows">{formatCount(now.activeFlows)}</strong>
        <span className="muted" data-testid="active-note">
          {still ?? `${formatCount(now.newFlows)} new in the second ${second ?? ''}`}
        </span>
      </div>
      <div className={`card${drops > 0 ? ' warn' : ''}`}>
        <span className="card-label">Dropped packets</span>
        <strong data-testid="drops">{formatCount(drops)}</strong>
        <span className="muted">
          kernel {formatCount(now.drops.kernel)} · helper {formatCount(now.drops.helper)}
        </span>
      </div>
    </div>
  );
}

function TrafficChart() {
  const { series, resolution, span, setResolution, setSpan } = useAppShallow((s) => ({
    series: selectShownTraffic(s).series,
    resolution: s.chartResolution,
    span: s.chartSpan,
    setResolution: s.setChartResolution,
    setSpan: s.setChartSpan,
  }));
  const [metric, setMetric] = useState<'bits' | 'packets'>('bits');
  const window = useMemo(() => {
    const last = ringLast(series);
    return last ? bucketSamples(ringToArray(series, span), resolution, span, last.ts, ringFirst(series)?.ts) : null;
  }, [series, resolution, span]);
  return (
    <section className="panel" aria-labelledby="chart-title">
      <div className="panel-head">
        <h2 id="chart-title">Traffic</h2>
        <div className="controls">
          <div className="segmented" role="radiogroup" aria-label="Metric">
            {(['bits', 'packets'] as const).map((m) => (
              <button key={m} type="button" role="radio" aria-checked={metric === m} onClick={() => setMetric(m)}>
                {m === 'bits' ? 'bit/s' : 'pkt/s'}
              </button>
            ))}
          </div>
          <div className="segmented" role="radiogroup" aria-label="Resolution">
            {RESOLUTIONS.map((r) => (
              <button key={r} type="button" role="radio" aria-checked={resolution === r} onClick={() => setResolution(r)}>
                {r} s
              </button>
            ))}
          </div>
          <label className="inline">
            <span>Window</span>
            <select value={span} onChange={(e) => setSpan(Number(e.target.value) as ChartSpan)}>
              {SPANS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {window === null ? (
        <p className="empty">No traffic yet. Start a capture on the Interfaces page.</p>
      ) : (
        <RateChart
          data={window.points}
          domain={window.domain}
          series={metric === 'bits' ? BIT_SERIES : PACKET_SERIES}
          formatValue={metric === 'bits' ? formatBitRate : formatPacketRate}
          formatAxis={metric === 'bits' ? formatBitRateAxis : (v) => formatCount(v)}
          unit={metric === 'bits' ? 'bit/s' : 'pkt/s'}
          height={240}
          label={`${metric === 'bits' ? 'Bits' : 'Packets'} per second in and out, ${resolution} s resolution`}
        />
      )}
    </section>
  );
}

function ProtocolBreakdown() {
  const protocols = useApp((s) => selectShownTraffic(s).protocols);
  const rows = useMemo(() => protocolShares(protocols), [protocols]);
  return (
    <section className="panel" aria-labelledby="proto-title">
      <h2 id="proto-title">Protocols</h2>
      {rows.length === 0 ? (
        <p className="empty">Nothing captured yet.</p>
      ) : (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Protocol</th>
              <th scope="col" className="num">
                Bytes
              </th>
              <th scope="col" className="num">
                Packets
              </th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.proto}>
                <th scope="row">{r.proto.toUpperCase()}</th>
                <td className="num">{formatBytes(r.bytes)}</td>
                <td className="num">{formatCount(r.packets)}</td>
                <td>
                  <div className="bar" aria-label={`${(r.share * 100).toFixed(1)} %`}>
                    <div className={`bar-fill proto-${r.proto}`} style={{ width: `${r.share * 100}%` }} />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const TalkerTable = memo(function TalkerTable({
  title,
  rows,
  kind,
  seconds,
  second,
  onOpen,
}: {
  title: string;
  rows: Talker[];
  kind: 'host' | 'flow';
  seconds: number;
  /** The second of the rate cards, whose rate the Rate column shows. */
  second: number | null;
  onOpen: (t: Talker) => void;
}) {
  const max = rows.length ? rows[0].bytes : 0;
  const id = `top-${kind}`;
  const at = second === null ? '' : formatClock(second);
  return (
    <section className="panel talkers" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="muted small">by bytes over the last {seconds} s</span>
      </h2>
      {rows.length === 0 ? (
        <p className="empty">Quiet.</p>
      ) : (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">{kind === 'host' ? 'Host' : 'Flow'}</th>
              <th scope="col" className="num" title={`Rate in the second ${at}, the second of the cards above`}>
                Rate
              </th>
              <th scope="col" className="num" title={`Bytes over the last ${seconds} s`}>
                Bytes
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              // A flow's ports with their service names (`443 https`).
              const label = kind === 'flow' ? labelWithServices(r.label) : r.label;
              const text = r.name ? `${r.name} (${label})` : label;
              return (
                <tr key={r.key}>
                  <th scope="row" className="talker">
                    <button
                      type="button"
                      className="talker-link"
                      title={`${text}: open ${kind === 'host' ? 'every flow of this host' : 'this flow'} in the flow table`}
                      aria-label={`Show ${kind} ${text} in the flow table`}
                      onClick={() => onOpen(r)}
                    >
                      <span className="talker-label">{r.name ?? label}</span>
                      {r.name && <span className="muted small"> {label}</span>}
                    </button>
                    <div className="bar thin" aria-hidden>
                      <div className="bar-fill" style={{ width: `${max ? (r.bytes / max) * 100 : 0}%` }} />
                    </div>
                  </th>
                  <td className="num" title={`${formatCount(r.lastSecondBytes)} bytes in the second ${at}`}>
                    {formatByteRateAsBits(r.lastSecondBytes)}
                  </td>
                  <td className="num" title={`${formatCount(r.bytes)} bytes, ${formatCount(r.packets)} packets over the last ${seconds} s`}>
                    {formatBytes(r.bytes)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
});

function TopTalkers() {
  const { recent, flowing, showFlowsOf } = useAppShallow((s) => ({ recent: selectShownTraffic(s).recent, flowing: isFlowing(s.capture), showFlowsOf: s.showFlowsOf }));
  const host = useHosts((s) => s.probe);
  const ticks = useMemo(() => ringToArray(recent, TOP_WINDOW_SECONDS).map((t) => tickOfHost(t, host)), [recent, host]);
  const hosts = useMemo(() => topHosts(ticks, 10), [ticks]);
  const flows = useMemo(() => topFlows(ticks, 10), [ticks]);
  const seconds = Math.max(1, ticks.length);
  // Stopped, the rates are zero like the cards': the tables keep the last seconds' bytes.
  const second = ticks.length ? ticks[ticks.length - 1].tsMs : null;
  const shownHosts = useMemo(() => (flowing ? hosts : hosts.map((h) => ({ ...h, lastSecondBytes: 0 }))), [hosts, flowing]);
  const shownFlows = useMemo(() => (flowing ? flows : flows.map((f) => ({ ...f, lastSecondBytes: 0 }))), [flows, flowing]);
  const openHost = useCallback((t: Talker) => showFlowsOf({ kind: 'host', ip: t.key }), [showFlowsOf]);
  const openFlow = useCallback((t: Talker) => showFlowsOf({ kind: 'flow', id: t.key, label: t.label }), [showFlowsOf]);
  return (
    <>
      <TalkerTable title="Top hosts" rows={shownHosts} kind="host" seconds={seconds} second={second} onOpen={openHost} />
      <TalkerTable title="Top flows" rows={shownFlows} kind="flow" seconds={seconds} second={second} onOpen={openFlow} />
    </>
  );
}

export function OverviewView() {
  return (
    <div className="view">
      <header className="view-head">
        <h1>Overview</h1>
      </header>
      <StatCards />
      <TrafficChart />
      <div className="grid-3">
        <ProtocolBreakdown />
        <TopTalkers />
        <GeoBreakdownPanel />
        <WebSectionsPanel />
      </div>
    </div>
  );
}
