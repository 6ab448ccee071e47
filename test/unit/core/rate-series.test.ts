import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RatePoint } from '../../../src-main/api/types/flows';
import { RateSeriesStore } from '../../../src-main/core/rate-series';
import { FlowBook, flowFromRow, MAX_FLOW_SERIES } from '../../../src-main/core/flow-book';

const point = (n: number): RatePoint => ({ tsMs: 1_700_000_000_000 + n * 1000, bpsAToB: n, bpsBToA: 2 * n, ppsAToB: n % 97, ppsBToA: 3 });

describe('rate series', () => {
  it('keep the newest points of each series, oldest first, whatever the others in the store do (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()), { maxLength: 120 }), (points, ops) => {
        const store = new RateSeriesStore(3, points);
        const series = [store.create(), store.create(), store.create()];
        expect(store.create()).toBeNull();
        const models: RatePoint[][] = [[], [], []];
        ops.forEach(([which, clear], n) => {
          if (clear) {
            series[which]!.clear();
            models[which] = [];
          } else {
            series[which]!.push(point(n));
            models[which] = [...models[which], point(n)].slice(-points);
          }
          series.forEach((s, i) => {
            expect(s!.toArray()).toEqual(models[i]);
            expect(s!.size).toBe(models[i].length);
            expect(s!.lastTsMs()).toBe(models[i].at(-1)?.tsMs);
          });
        });
      }),
    );
  });

  it('are reused after the book is cleared', () => {
    const book = new FlowBook(MAX_FLOW_SERIES);
    const row = (id: number) => flowFromRow({
      id, iface: 'eth0', proto: 'udp', ipProto: 17, a: '10.0.0.1', portA: 1024 + id, b: '10.0.0.2', portB: 53, vlan: -1, packetsAB: 1, bytesAB: 100,
      packetsBA: 0, bytesBA: 0, firstSeen: 1000, lastSeen: 1001, state: 'active', tcpFlags: 0, active: true,
    }, 's');
    for (let round = 0; round < 2; round++) {
      for (let id = 0; id < MAX_FLOW_SERIES; id++) book.update(row(id), 1_001_000);
      expect(book.seriesOf(`s:${MAX_FLOW_SERIES - 1}`)).toHaveLength(1);
      book.clear();
    }
    expect(book.droppedSeries).toBe(0);
  });
});
