import { memo, useMemo, useState } from 'react';
import type { RateSeries } from '../charts/rate-chart';
import { RateChart } from '../charts/rate-chart';
import { formatBitRate, formatBitRateAxis, formatByteRateAsBits, formatBytes, formatCount, formatPacketRate } from '../format/units';
import { ringLast, ringToArray } from '../state/ring';
import type { ChartResolution, ChartSpan } from '../state/store';
import { selectShownTraffic } from '../state/store';
import type { Talker } from '../state/traffic';
import { bucketSamples, protocolShares, topFlows, topHosts } from '../state/traffic';
import { useApp, useAppShallow } from './app-context';

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

/** Totals and drops since the capture started: main's exact counters when they belong to the capture on screen,
 *  else what the ticks seen by this page add up to. */
function useTotals() {
  // While paused, the frozen ticks are the truth on screen.
  const { traffic, stats } = useAppShallow((s) => ({ traffic: selectShownTraffic(s), stats: s.frozen ? null : s.stats }));
  return useMemo(() => {
    if (!stats || stats.capture.captureId === null || stats.capture.captureId !== traffic.captureId) {
      return { in: traffic.totals.in, out: traffic.totals.out, drops: traffic.drops };
    }
    const sum = { in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 }, drops: { kernel: 0, helper: 0 } };
    // Main's stats may still list the interfaces of an earlier capture: count those this capture's ticks named.
    for (const i of stats.interfaces) {
      if (!(i.iface in traffic.sparklines)) continue;
      sum.in.bytes += i.in.bytes;
      sum.in.packets += i.in.packets;
      sum.out.bytes += i.out.bytes;
      sum.out.packets += i.out.packets;
      sum.drops.kernel += i.kernelDrops;
      sum.drops.helper += i.helperDrops;
    }
    return sum;
  }, [traffic, stats]);
}

function StatCards() {
  const traffic = useApp(selectShownTraffic);
  const totals = useTotals();
  const last = ringLast(traffic.series);
  const active = traffic.latest?.activeFlows ?? 0;
  const drops = totals.drops.kernel + totals.drops.helper;
  return (
    <div className="cards" role="group" aria-label="Current traffic">
      <div className="card">
        <span className="card-label">
          <i className="dot in" aria-hidden /> In
        </span>
        <strong data-testid="rate-in">{formatBitRate(last?.inBps ?? 0)}</strong>
        <span className="muted" data-testid="total-in" title={`${formatCount(totals.in.bytes)} bytes, ${formatCount(totals.in.packets)} packets`}>
          {formatPacketRate(last?.inPps ?? 0)} · {formatBytes(totals.in.bytes)} total
        </span>
      </div>
      <div className="card">
        <span className="card-label">
          <i className="dot out" aria-hidden /> Out
        </span>
        <strong data-testid="rate-out">{formatBitRate(last?.outBps ?? 0)}</strong>
        <span className="muted" data-testid="total-out" title={`${formatCount(totals.out.bytes)} bytes, ${formatCount(totals.out.packets)} packets`}>
          {formatPacketRate(last?.outPps ?? 0)} · {formatBytes(totals.out.bytes)} total
        </span>
      </div>
      <div className="card">
        <span className="card-label">Active flows</span>
        <strong data-testid="active-flows">{formatCount(active)}</strong>
        <span className="muted">{formatCount(traffic.latest?.newFlows ?? 0)} new in the last second</span>
      </div>
      <div className={`card${drops > 0 ? ' warn' : ''}`}>
        <span className="card-label">Dropped packets</span>
        <strong data-testid="drops">{formatCount(drops)}</strong>
        <span className="muted">
          kernel {formatCount(totals.drops.kernel)} · helper {formatCount(totals.drops.helper)}
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
  const data = useMemo(() => {
    const last = ringLast(series);
    return last ? bucketSamples(ringToArray(series, span), resolution, span, last.ts) : [];
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
      {data.length === 0 ? (
        <p className="empty">No traffic yet. Start a capture on the Interfaces page.</p>
      ) : (
        <RateChart
          data={data}
          series={metric === 'bits' ? BIT_SERIES : PACKET_SERIES}
          formatValue={metric === 'bits' ? formatBitRate : formatPacketRate}
          formatAxis={metric === 'bits' ? formatBitRateAxis : (v) => formatCount(v)}
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

const TalkerTable = memo(function TalkerTable({ title, rows, kind, seconds }: { title: string; rows: Talker[]; kind: 'host' | 'flow'; seconds: number }) {
  const max = rows.length ? rows[0].bytes : 0;
  const id = `top-${kind}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="muted small">last {seconds} s</span>
      </h2>
      {rows.length === 0 ? (
        <p className="empty">Quiet.</p>
      ) : (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">{kind === 'host' ? 'Host' : 'Flow'}</th>
              <th scope="col" className="num">
                Rate
              </th>
              <th scope="col" className="num">
                Bytes
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row" className="talker">
                  <span className="talker-label">{r.name ?? r.label}</span>
                  {r.name && <span className="muted small"> {r.label}</span>}
                  <div className="bar thin" aria-hidden>
                    <div className="bar-fill" style={{ width: `${max ? (r.bytes / max) * 100 : 0}%` }} />
                  </div>
                </th>
                <td className="num">{formatByteRateAsBits(r.bytes / seconds)}</td>
                <td className="num">{formatBytes(r.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
});

function TopTalkers() {
  const recent = useApp((s) => selectShownTraffic(s).recent);
  const ticks = useMemo(() => ringToArray(recent, TOP_WINDOW_SECONDS), [recent]);
  const hosts = useMemo(() => topHosts(ticks, 10), [ticks]);
  const flows = useMemo(() => topFlows(ticks, 10), [ticks]);
  const seconds = Math.max(1, ticks.length);
  return (
    <>
      <TalkerTable title="Top hosts" rows={hosts} kind="host" seconds={seconds} />
      <TalkerTable title="Top flows" rows={flows} kind="flow" seconds={seconds} />
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
      </div>
    </div>
  );
}
