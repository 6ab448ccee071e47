import { memo } from 'react';
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatClock } from '../format/time';

export interface RateSeries {
  /** Stable key into each point. */
  dataKey: string;
  label: string;
  /** CSS colour, usually a var(). */
  color: string;
}

interface Props {
  data: readonly object[];
  series: readonly RateSeries[];
  formatValue: (v: number) => string;
  formatAxis: (v: number) => string;
  /** What the y axis counts, shown above it: `bit/s`, `pkt/s`. */
  unit: string;
  height: number;
  /** The time axis; defaults to the data's first and last points. A wider domain leaves time without data empty. */
  domain?: readonly [number, number];
  /** Accessible description of what the chart shows. */
  label: string;
}

const tickTime = (t: number): string => formatClock(t);

/** A live rate chart with its unit and a legend of its series: animation off and a bounded, pre-bucketed series,
 *  so a redraw costs the same after an hour. */
export const RateChart = memo(function RateChart({ data, series, formatValue, formatAxis, unit, height, domain, label }: Props) {
  return (
    <figure className="chart" aria-label={label}>
      <figcaption className="chart-caption">
        <span className="chart-unit" data-testid="chart-unit">
          {unit}
        </span>
        <span className="chart-legend" aria-label="Legend">
          {series.map((s) => (
            <span key={s.dataKey} className="legend-item">
              <i className="swatch" style={{ background: s.color }} aria-hidden />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <div role="img" aria-label={label} style={{ height }}>
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
          <AreaChart data={data as object[]} margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={domain ? [domain[0], domain[1]] : ['dataMin', 'dataMax']}
              allowDataOverflow
              tickFormatter={tickTime}
              stroke="var(--muted)"
              fontSize={11}
              minTickGap={48}
            />
            <YAxis tickFormatter={formatAxis} stroke="var(--muted)" fontSize={11} width={48} />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(t) => formatClock(Number(t))}
              formatter={(v, name) => [formatValue(Number(v)), name]}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6 }}
            />
            {series.map((s) => (
              <Area
                key={s.dataKey}
                dataKey={s.dataKey}
                name={s.label}
                type="monotone"
                stroke={s.color}
                fill={s.color}
                fillOpacity={0.18}
                strokeWidth={1.5}
                isAnimationActive={false}
                dot={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});
