import { memo } from 'react';
import { Line, LineChart, YAxis } from 'recharts';

interface Props {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}

/** A tiny trend line for the interface picker; fixed size, no axes, no animation. */
export const Sparkline = memo(function Sparkline({ values, label, width = 120, height = 32 }: Props) {
  const data = values.map((v, i) => ({ i, v }));
  return (
    <div className="sparkline" role="img" aria-label={label}>
      <LineChart width={width} height={height} data={data} margin={{ top: 2, right: 2, bottom: 2, left: 2 }}>
        <YAxis hide domain={[0, 'dataMax']} />
        <Line dataKey="v" type="monotone" stroke="var(--accent)" strokeWidth={1.5} dot={false} isAnimationActive={false} />
      </LineChart>
    </div>
  );
});
