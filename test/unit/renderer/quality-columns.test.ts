import { describe, expect, it } from 'vitest';
import { apiSortOf } from '../../../src-renderer/state/flow-sort';
import { sortFlowList } from '../../../src-shared/flow-query';
import { FLOW_COLUMNS, gridLayout } from '../../../src-renderer/views/flow-columns';
import { makeFlow } from './make-flow';

const quality = (rttMs: number | null, retransmissions: number) => ({
  rttServerMs: rttMs === null ? null : rttMs * 0.8, rttClientMs: rttMs === null ? null : rttMs * 0.2, rttMs, retransmissions, outOfOrder: 1, zeroWindows: 0,
});

const flows = [
  makeFlow({ id: 'slow', quality: quality(240, 0) }),
  makeFlow({ id: 'lossy', quality: quality(12, 9) }),
  makeFlow({ id: 'udp', proto: 'udp', ipProto: 17 }),
  makeFlow({ id: 'midstream', quality: quality(null, 2) }),
];

const column = (id: string) => {
  const c = FLOW_COLUMNS.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no column ${id}`);
  return c;
};

describe('quality columns', () => {
  it('show the handshake RTT and retransmissions, and say why a flow has none', () => {
    const rtt = column('rtt');
    const retr = column('retransmissions');
    expect(flows.map((f) => rtt.cell(f, 0))).toEqual(['240 ms', '12 ms', '', '']);
    expect(flows.map((f) => retr.cell(f, 0))).toEqual(['0', '9', '', '2']);
    expect(rtt.tip(flows[0], 0)).toBe('Handshake RTT at the capture point: server side (SYN → SYN/ACK) 192.000 ms, client side (SYN/ACK → ACK) 48.000 ms');
    expect(rtt.tip(flows[2], 0)).toBe('TCP only');
    expect(rtt.tip(flows[3], 0)).toBe('No handshake seen');
    expect(retr.tip(flows[1], 0)).toBe('9 retransmissions, 1 out-of-order segments, 0 zero windows');
  });

  it('sort the worst first and flows without a measure last', () => {
    expect(sortFlowList(flows, apiSortOf({ column: 'rtt', direction: 'desc' })).map((f) => f.id)).toEqual(['slow', 'lossy', 'midstream', 'udp']);
    expect(sortFlowList(flows, apiSortOf({ column: 'retransmissions', direction: 'desc' })).map((f) => f.id)).toEqual(['lossy', 'midstream', 'slow', 'udp']);
  });

  it('join the table when it is wide enough for them beside every other column', () => {
    const narrow = gridLayout(false, 1280 - 172 - 40 - 2);
    const wide = gridLayout(false, 1920 - 172 - 40 - 2);
    expect(narrow.columns.map((c) => c.id)).not.toContain('rtt');
    expect(wide.columns.map((c) => c.id)).toEqual(expect.arrayContaining(['rtt', 'retransmissions']));
    expect(wide.minWidth).toBeLessThanOrEqual(1920 - 172 - 40 - 2);
  });
});
