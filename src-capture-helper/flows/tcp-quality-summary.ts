/** TCP quality summed over the finished flows of a capture, for the analyze report. */
import type { TcpQualityFigures } from './tcp-quality';

/** Largest number of handshake RTTs a summary keeps (beyond it they are counted, not kept). */
const MAX_RTT_SAMPLES = 100_000;

/** Quality over many finished flows: the analyze report's TCP quality section. */
export class TcpQualitySummary {
  flows = 0;
  retransmissions = 0;
  outOfOrder = 0;
  zeroWindows = 0;
  /** Flows with retransmissions. */
  flowsWithRetransmissions = 0;
  readonly serverRtts: number[] = [];
  readonly clientRtts: number[] = [];
  rttsNotKept = 0;

  add(q: TcpQualityFigures): void {
    this.flows++;
    this.retransmissions += q.retransmissions;
    this.outOfOrder += q.outOfOrder;
    this.zeroWindows += q.zeroWindows;
    if (q.retransmissions > 0) this.flowsWithRetransmissions++;
    for (const [value, into] of [[q.rttServerMs, this.serverRtts], [q.rttClientMs, this.clientRtts]] as const) {
      if (value === null) continue;
      if (into.length < MAX_RTT_SAMPLES) into.push(value);
      else this.rttsNotKept++;
    }
  }
}

/** Median of some numbers, null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
