import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER } from '../../../src-renderer/state/flow-filter';
import type { FlowFilterInput } from '../../../src-renderer/state/flow-filter';
import type { FlowSort } from '../../../src-renderer/state/flow-sort';
import { apiSortOf, nextSort } from '../../../src-renderer/state/flow-sort';
import { compileFlowFilter, sortFlowList } from '../../../src-shared/flow-query';
import { FLOW_COLUMNS, gridLayout, needsDates } from '../../../src-renderer/views/flow-columns';
import type { FlowSummary } from '../../../src-renderer/transport/api-types';
import { makeFlow } from './make-flow';

const flows = [
  makeFlow({ id: '1', a: '10.0.0.9', aPort: 40000, b: '93.184.216.34', bPort: 443, names: { a: null, b: null, sni: 'example.com', httpHost: null, dnsQuery: null, name: null, source: null }, aToB: { bytes: 500, packets: 5 }, bpsAToB: 100 }),
  makeFlow({ id: '2', a: '10.0.0.10', aPort: 53000, b: '192.0.2.53', bPort: 53, proto: 'udp', ipProto: 17, state: 'active', aToB: { bytes: 80, packets: 1 }, bpsAToB: 900 }),
  makeFlow({ id: '3', a: '2001:db8::5', aPort: 41000, b: '2001:db8::1', bPort: 80, names: { a: null, b: null, sni: null, httpHost: 'intranet.test', dnsQuery: null, name: null, source: null }, state: 'closed', aToB: { bytes: 9000, packets: 30 }, bpsAToB: 0 }),
  makeFlow({ id: '4', a: '10.0.0.9', aPort: null, b: '10.0.0.1', bPort: null, proto: 'icmp', ipProto: 1, state: 'active', aToB: { bytes: 98, packets: 1 }, bpsAToB: 50 }),
];

const run = (over: Partial<FlowFilterInput>): string[] => {
  const f = compileFilter({ ...EMPTY_FILTER, ...over });
  if (!f.ok) throw new Error(JSON.stringify(f.errors));
  // The bar's filter as main applies it (the shared definition).
  return flows.filter(compileFlowFilter(f.query).matches).map((x) => x.id);
};

describe('flow filter', () => {
  it('matches everything when empty, and says so', () => {
    const f = compileFilter(EMPTY_FILTER);
    expect(f.ok && f.active).toBe(false);
    expect(run({})).toEqual(['1', '2', '3', '4']);
  });
  it('searches text in addresses, ports and names, ignoring case', () => {
    expect(run({ text: 'EXAMPLE' })).toEqual(['1']);
    expect(run({ text: ':53' })).toEqual(['2']);
    expect(run({ text: 'intranet' })).toEqual(['3']);
  });
  it('filters by protocol and state sets', () => {
    expect(run({ protocols: ['udp', 'icmp'] })).toEqual(['2', '4']);
    expect(run({ states: ['closed'] })).toEqual(['3']);
    expect(run({ protocols: ['tcp'], states: ['established'] })).toEqual(['1']);
  });
  it('filters by CIDR on either endpoint, IPv4 and IPv6', () => {
    expect(run({ cidr: '192.0.2.0/24' })).toEqual(['2']);
    expect(run({ cidr: '2001:db8::/32' })).toEqual(['3']);
    expect(run({ cidr: '10.0.0.9' })).toEqual(['1', '4']);
  });
  it('filters by port, range or list; flows without ports never match a port', () => {
    expect(run({ port: '443' })).toEqual(['1']);
    expect(run({ port: '50-100, 443' })).toEqual(['1', '2', '3']);
    expect(run({ port: '40000-41000' })).toEqual(['1', '3']);
  });
  it('offers "ended": flows no longer live, whatever their last TCP state; the other states are live flows', () => {
    const ended = [...flows, makeFlow({ id: '5', state: 'established', active: false }), makeFlow({ id: '6', proto: 'udp', state: 'active', active: false })];
    const pick = (over: Partial<FlowFilterInput>) => {
      const f = compileFilter({ ...EMPTY_FILTER, ...over });
      if (!f.ok) throw new Error('bad filter');
      return ended.filter(compileFlowFilter(f.query).matches).map((x) => x.id);
    };
    expect(pick({ states: ['ended'] })).toEqual(['5', '6']);
    expect(pick({ states: ['established'] })).toEqual(['1']);
    expect(pick({ states: ['active'] })).toEqual(['2', '4']);
    expect(pick({ text: 'ended' })).toEqual(['5', '6']);
  });
  it('keeps one flow picked elsewhere, and finds an endpoint typed as the table shows it', () => {
    expect(run({ flow: { id: '3', label: 'TCP [2001:db8::5]:41000 → [2001:db8::1]:80' } })).toEqual(['3']);
    expect(compileFilter({ ...EMPTY_FILTER, flow: { id: '3', label: '' } })).toMatchObject({ ok: true, active: true });
    expect(run({ text: '[2001:db8::1]:80' })).toEqual(['3']);
    expect(run({ text: '2001:db8::5' })).toEqual(['3']);
  });
  it('reports bad fields instead of applying half a filter', () => {
    const f = compileFilter({ ...EMPTY_FILTER, cidr: '10.0.0.0/40', port: '70000', text: 'x' });
    expect(f.ok).toBe(false);
    if (!f.ok) {
      expect(f.errors.cidr).toMatch(/0 to 32/);
      expect(f.errors.port).toMatch(/65535/);
    }
    const r = compileFilter({ ...EMPTY_FILTER, port: '90-80' });
    expect(!r.ok && r.errors.port).toMatch(/backwards/);
  });
});

describe('flow sort', () => {
  // The column's order as main sorts it.
  const sortFlows = (list: readonly FlowSummary[], col: FlowSort) => sortFlowList(list, apiSortOf(col));
  const ids = (col: FlowSort) => sortFlows(flows, col).map((f) => f.id);
  it('sorts addresses numerically, not as text', () => {
    expect(ids({ column: 'a', direction: 'asc' })).toEqual(['4', '1', '2', '3']);
  });
  it('sorts numbers both ways, ties by id so rows do not jump', () => {
    expect(ids({ column: 'bytesAB', direction: 'desc' })).toEqual(['3', '1', '4', '2']);
    expect(ids({ column: 'rate', direction: 'desc' })).toEqual(['2', '1', '4', '3']);
    expect(ids({ column: 'firstSeen', direction: 'asc' })).toEqual(['1', '2', '3', '4']);
  });
  it('sorts names with unnamed flows last', () => {
    expect(ids({ column: 'names', direction: 'asc' })).toEqual(['1', '3', '2', '4']);
  });
  it('does not touch its input', () => {
    const before = flows.map((f) => f.id);
    sortFlows(flows, { column: 'bytesAB', direction: 'asc' });
    expect(flows.map((f) => f.id)).toEqual(before);
  });
  it('flips on a second click and starts counters biggest first', () => {
    expect(nextSort({ column: 'a', direction: 'asc' }, 'a')).toEqual({ column: 'a', direction: 'desc' });
    expect(nextSort({ column: 'a', direction: 'asc' }, 'bytesBA')).toEqual({ column: 'bytesBA', direction: 'desc' });
    expect(nextSort({ column: 'rate', direction: 'desc' }, 'proto')).toEqual({ column: 'proto', direction: 'asc' });
  });
});

describe('flow columns', () => {
  it('fit a 1280 px window beside the sidebar, and widen for dates only when a flow is from another day', () => {
    const clock = gridLayout(false);
    const dates = gridLayout(true);
    // 1280 px less the 172 px sidebar, the view's padding and the grid's border.
    expect(clock.minWidth).toBeLessThanOrEqual(1280 - 172 - 40 - 2);
    expect(dates.minWidth - clock.minWidth).toBe(2 * (146 - 70));
    const now = new Date(2025, 0, 1, 12, 0, 0).getTime();
    expect(needsDates(flows.map((f) => ({ ...f, firstSeenMs: now - 3_600_000, lastSeenMs: now })), now)).toBe(false);
    expect(needsDates([{ ...flows[0], firstSeenMs: now - 13 * 3_600_000, lastSeenMs: now }], now)).toBe(true);
  });
  it('give every cell a tooltip holding its whole value', () => {
    const f = makeFlow({ id: 't', a: '2001:db8::5', aPort: 41000, names: { a: null, b: 'cdn.example', sni: 'www.example.com', httpHost: null, dnsQuery: null, name: 'www.example.com', source: 'sni' }, aToB: { bytes: 123_456_789, packets: 98_765 }, state: 'rst', active: false });
    const now = f.lastSeenMs;
    for (const c of FLOW_COLUMNS) expect(c.tip(f, now), c.id).not.toBe('');
    const tip = (id: string) => FLOW_COLUMNS.find((c) => c.id === id)?.tip(f, now) ?? '';
    expect(tip('a')).toBe('[2001:db8::5]:41000');
    expect(tip('names')).toBe('www.example.com: from TLS/QUIC server name (SNI) of this flow\nB from a DNS answer: cdn.example');
    expect(tip('bytesAB')).toBe(`${(123_456_789).toLocaleString()} bytes A→B`);
    expect(tip('state')).toBe('ended; the connection was reset (RST seen)');
    expect(tip('rate')).toBe('Ended: no traffic');
  });
  it('name each flow with where its name came from, and show ICMP type/code instead of ports', () => {
    const dnsFlow = makeFlow({ id: 'd', proto: 'udp', ipProto: 17, bPort: 53, names: { a: null, b: null, sni: null, httpHost: null, dnsQuery: 'nas.lab.example.test', name: 'nas.lab.example.test', source: 'dns' } });
    const cell = (id: string, f: FlowSummary) => FLOW_COLUMNS.find((c) => c.id === id)?.cell(f, f.lastSeenMs) ?? '';
    const tip = (id: string, f: FlowSummary) => FLOW_COLUMNS.find((c) => c.id === id)?.tip(f, f.lastSeenMs) ?? '';
    expect(cell('names', dnsFlow)).toBe('nas.lab.example.test');
    expect(tip('names', dnsFlow)).toBe('nas.lab.example.test: from the question this DNS flow asked');
    const ping = makeFlow({ id: 'p', proto: 'icmp', ipProto: 1, aPort: null, bPort: null, icmp: { type: 8, code: 0, text: 'echo request (8/0)' },
      names: { a: null, b: 'nas.lab.example.test', sni: null, httpHost: null, dnsQuery: null, name: 'nas.lab.example.test', source: 'dns-answer' } });
    expect(cell('proto', ping)).toBe('ICMP 8/0');
    expect(tip('proto', ping)).toBe('ICMP echo request (8/0) (IP protocol 1)');
    expect(cell('b', ping)).not.toMatch(/:/);
    expect(tip('names', ping)).toBe('nas.lab.example.test: from a DNS answer seen before this flow started');
  });
});
