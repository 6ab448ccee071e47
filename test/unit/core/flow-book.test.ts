import { describe, expect, it } from 'vitest';
import type { FlowRow } from '../../../src-capture-helper/protocol/messages';
import { compileFlowFilter } from '../../../src-shared/flow-query';
import { FlowBook, flowFromRow, MAX_FLOW_SERIES, SERIES_IDLE_MS } from '../../../src-main/core/flow-book';
import { checkParams } from '../../../src-main/core/request-params';

function row(id: number, extra: Partial<FlowRow> = {}): FlowRow {
  return {
    id, iface: 'eth0', proto: 'tcp', ipProto: 6, a: '10.0.0.1', portA: 40000 + id, b: '192.0.2.7', portB: 443, vlan: -1,
    packetsAB: 2, bytesAB: 200, packetsBA: 3, bytesBA: 3000, firstSeen: 1000, lastSeen: 1001, state: 'established',
    tcpFlags: 0x12, active: true, ...extra,
  };
}

describe('flow book', () => {
  it('maps helper rows, derives per-second rates from successive states and ends flows', () => {
    const book = new FlowBook(10);
    const first = book.update(flowFromRow(row(1, { nameB: 'cdn.example' }), 's1'), 1_001_000);
    expect(first).toMatchObject({ id: 's1:1', vlan: null, aPort: 40001, bPort: 443, names: { b: 'cdn.example' } });
    const second = book.update(flowFromRow(row(1, { bytesBA: 5000, packetsBA: 5, lastSeen: 1003 }), 's1'), 1_003_000);
    expect(second.bpsBToA).toBe(1000);
    expect(book.seriesOf('s1:1').map((p) => p.ppsBToA)).toEqual([3, 1]);
    expect(book.names.get('192.0.2.7')).toBe('cdn.example');
    const ended = book.end('s1:1', flowFromRow(row(1, { bytesBA: 6000, state: 'closed', active: false }), 's1'));
    expect(ended).toMatchObject({ active: false, state: 'closed', bToA: { bytes: 6000 } });
    expect(book.size).toBe(0);
  });

  it('keeps series for the flows that have one when more flows change every second than there are series', () => {
    const flows = MAX_FLOW_SERIES + 500;
    const book = new FlowBook(flows);
    const seconds = 4;
    for (let sec = 1; sec <= seconds; sec++) {
      for (let id = 0; id < flows; id++) book.update(flowFromRow(row(id, { lastSeen: 1000 + sec, bytesAB: 200 * sec }), 's'), (1000 + sec) * 1000);
    }
    // The first flows kept a point for every second; the later ones never took a busy flow's series.
    expect(book.seriesOf('s:0')).toHaveLength(seconds);
    expect(book.seriesOf(`s:${MAX_FLOW_SERIES - 1}`)).toHaveLength(seconds);
    expect(book.seriesOf(`s:${MAX_FLOW_SERIES}`)).toEqual([]);
    expect(book.droppedSeries).toBe(500 * seconds);
  });

  it('gives the series of the flow quiet longest to a new flow once it was quiet long enough', () => {
    const book = new FlowBook(MAX_FLOW_SERIES + 1);
    const t0 = 1_000_000;
    for (let id = 0; id < MAX_FLOW_SERIES; id++) book.update(flowFromRow(row(id), 's'), t0 + id);
    const newcomer = `s:${MAX_FLOW_SERIES}`;
    book.update(flowFromRow(row(MAX_FLOW_SERIES), 's'), t0 + SERIES_IDLE_MS - 1);
    expect(book.seriesOf(newcomer)).toEqual([]);
    expect(book.droppedSeries).toBe(1);
    // Flow 0's last point is now SERIES_IDLE_MS old: its series goes; flow 1's is not quite as old.
    book.update(flowFromRow(row(MAX_FLOW_SERIES), 's'), t0 + SERIES_IDLE_MS);
    expect(book.seriesOf(newcomer)).toHaveLength(1);
    expect(book.seriesOf('s:0')).toEqual([]);
    expect(book.seriesOf('s:1')).toHaveLength(1);
  });

  it('holds no more flows than its bound, in updates and in a catch-up', () => {
    const book = new FlowBook(2);
    for (let i = 0; i < 5; i++) book.update(flowFromRow(row(i), 's'), 0);
    book.catchUp(flowFromRow(row(7), 's'));
    expect(book.size).toBe(2);
    expect(book.get('s:2')).toBeUndefined();
    expect(book.get('s:7')).toBeUndefined();
  });

  it('keeps the newer state when a catch-up lists a flow as it was before the last delta', () => {
    const book = new FlowBook(10);
    book.update(flowFromRow(row(1, { packetsAB: 9, bytesAB: 900, lastSeen: 1005 }), 's'), 1_005_000);
    book.catchUp(flowFromRow(row(1, { packetsAB: 4, bytesAB: 400, lastSeen: 1003 }), 's'));
    expect(book.get('s:1')).toMatchObject({ aToB: { packets: 9, bytes: 900 }, lastSeenMs: 1_005_000 });
    book.catchUp(flowFromRow(row(1, { packetsAB: 12, bytesAB: 1200, lastSeen: 1006 }), 's'));
    expect(book.get('s:1')).toMatchObject({ aToB: { packets: 12, bytes: 1200 }, lastSeenMs: 1_006_000 });
  });

  it('filters and sorts like the finished-flow log', () => {
    const book = new FlowBook(10);
    book.update(flowFromRow(row(1), 's'), 0);
    book.update(flowFromRow(row(2, { proto: 'udp', ipProto: 17, b: '2001:db8::1', portB: 53, bytesAB: 9 }), 's'), 0);
    book.update(flowFromRow(row(3, { proto: 'icmp', ipProto: 1, portA: 0, portB: 0, bytesBA: 1 }), 's'), 0);
    const ids = (f: Parameters<FlowBook['query']>[0]) => book.query(f, { key: 'bytes', dir: 'desc' }).map((x) => x.id);
    expect(ids({})).toEqual(['s:1', 's:2', 's:3']);
    expect(ids({ ip: '2001:db8::/32' })).toEqual(['s:2']);
    expect(ids({ port: 53 })).toEqual(['s:2']);
    expect(ids({ proto: ['icmp', 'udp'] })).toEqual(['s:2', 's:3']);
    expect(book.get('s:3')?.aPort).toBeNull();
    expect(() => compileFlowFilter({ ip: 'nonsense' })).toThrow(/not an IP/);
  });

  it('answers the same query once per change of its flows', () => {
    const book = new FlowBook(10);
    book.update(flowFromRow(row(1, { bytesBA: 10 }), 's'), 0);
    book.update(flowFromRow(row(2, { bytesBA: 20 }), 's'), 0);
    const sort = { key: 'bytesBA', dir: 'desc' } as const;
    const first = book.query({}, sort);
    expect(first.map((f) => f.id)).toEqual(['s:2', 's:1']);
    // A window, its count and the next page of the same second: one sort.
    expect(book.query({}, sort)).toBe(first);
    expect(book.query({ port: 443 }, sort)).not.toBe(first);
    // Every change of the flows is seen by the next query.
    book.update(flowFromRow(row(1, { bytesBA: 30, lastSeen: 1002 }), 's'), 1_002_000);
    expect(book.query({}, sort).map((f) => f.id)).toEqual(['s:1', 's:2']);
    book.catchUp(flowFromRow(row(3, { bytesBA: 99 }), 's'));
    expect(book.query({}, sort).map((f) => f.id)).toEqual(['s:3', 's:1', 's:2']);
    book.end('s:3');
    expect(book.query({}, sort).map((f) => f.id)).toEqual(['s:1', 's:2']);
    for (const f of book.activeFlows()) f.geo = { a: { country: 'DE', asn: null, asName: null, special: null }, b: { country: null, asn: null, asName: null, special: null } };
    expect(book.query({ country: 'de' }, sort).map((f) => f.id)).toEqual(['s:1', 's:2']);
    book.clear();
    expect(book.query({}, sort)).toEqual([]);
  });
});

describe('request params from outside', () => {
  it('keeps known fields and names the first bad one', () => {
    const good = checkParams('flows.details', { id: 'x', extra: 1, ['__proto__']: { polluted: true } });
    expect(good).toEqual({ ok: true, value: { id: 'x' } });
    const bad = checkParams('counters.series', { fromMs: 0, toMs: 'soon', stepSec: 60 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.issues?.[0].path).toBe('params.toMs');
    expect(checkParams('capture.start', { kind: 'replay', file: '/tmp/x.pcap', speed: -1 }).ok).toBe(false);
  });
});
