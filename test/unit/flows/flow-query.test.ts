import { describe, expect, it } from 'vitest';
import { cidrContains, isCidr, parseCidr, parseIp } from '../../../src-shared/ip';
import type { FlowSortKey } from '../../../src-capture-helper/flows/flow-query';
import { flowSortKeys, queryFlows } from '../../../src-capture-helper/flows/flow-query';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import type { FlowSnapshot } from '../../../src-capture-helper/flows/flow-types';
import { FlowLabel } from '../../../src-capture-helper/flows/flow-types';
import { packet } from './packets';

/** A small deterministic population: TCP/UDP/ICMP, v4 and v6, several states and sizes. */
function population(): { table: FlowTable; all: () => FlowSnapshot[] } {
  const table = new FlowTable({ maxFlows: 10_000, timeouts: { tcp: 1e6, udp: 1e6, icmp: 1e6, tcpClosed: 1e6 } });
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 300; i++) {
    const v6 = i % 5 === 0;
    const src = v6 ? `2001:db8::${(i % 40).toString(16)}` : `10.0.${i % 7}.${i % 50}`;
    const dst = v6 ? `2001:db8:1::${rnd(9)}` : `192.168.${rnd(3)}.${rnd(20)}`;
    const kind = i % 3;
    const n = 1 + rnd(6);
    for (let p = 0; p < n; p++) {
      const back = p % 2 === 1;
      const spec = {
        src: back ? dst : src,
        dst: back ? src : dst,
        sport: back ? 443 + (i % 3) : 30000 + i,
        dport: back ? 30000 + i : 443 + (i % 3),
        proto: kind === 0 ? ('tcp' as const) : kind === 1 ? ('udp' as const) : ('icmp' as const),
        flags: p === 0 ? 'S' : p === 1 ? 'SA' : i % 4 === 0 ? 'R' : 'A',
        icmpId: i,
        payload: rnd(1400),
        t: 1000 + i + p * 0.25,
      };
      const { pkt, rec } = packet(spec);
      const id = table.observe(pkt, rec);
      if (i % 10 === 0) table.setLabel(id, FlowLabel.sni, i);
    }
  }
  const all = () => {
    const out: FlowSnapshot[] = [];
    for (let s = 0; s < table.slotLimit; s++) if (table.isActive(s)) out.push(table.snapshot(s));
    return out;
  };
  return { table, all };
}

function addrKey(a: string): string {
  return Buffer.from(parseIp(a)!).toString('hex');
}

function sortValue(f: FlowSnapshot, key: FlowSortKey): number | string {
  switch (key) {
    case 'id': return 0;
    case 'table': return f.id % 2 ** 24;
    case 'proto': return f.ipProto;
    case 'a': return addrKey(f.a);
    case 'b': return addrKey(f.b);
    case 'portA': return f.portA;
    case 'portB': return f.portB;
    case 'packets': return f.packetsAB + f.packetsBA;
    case 'bytes': return f.bytesAB + f.bytesBA;
    case 'packetsAB': return f.packetsAB;
    case 'bytesAB': return f.bytesAB;
    case 'packetsBA': return f.packetsBA;
    case 'bytesBA': return f.bytesBA;
    case 'firstSeen': return f.firstSec * 1e9 + f.firstNsec;
    case 'lastSeen': return f.lastSec * 1e9 + f.lastNsec;
    case 'state': return ['active', 'syn', 'synAck', 'established', 'fin', 'closed', 'rst'].indexOf(f.state);
  }
}

describe('queryFlows', () => {
  const { table, all } = population();
  const flows = all();

  it('sorts by every column in both directions like a plain sort of all flows, with id as tie-break', () => {
    for (const key of flowSortKeys) {
      for (const dir of ['asc', 'desc'] as const) {
        const expected = [...flows].sort((x, y) => {
          const a = sortValue(x, key);
          const b = sortValue(y, key);
          const c = a < b ? -1 : a > b ? 1 : 0;
          return (dir === 'desc' ? -1 : 1) * (c || x.id - y.id);
        });
        // A shallow page uses heap selection, a full page sorts everything: both must agree with the brute force.
        const page = queryFlows(table, { sort: key, dir, offset: 5, limit: 10 });
        expect(page.flows.map((f) => f.id), `${key} ${dir}`).toEqual(expected.slice(5, 15).map((f) => f.id));
        const full = queryFlows(table, { sort: key, dir, offset: 0, limit: flows.length });
        expect(full.flows.map((f) => f.id), `${key} ${dir} full`).toEqual(expected.map((f) => f.id));
      }
    }
  });

  it('filters by protocol, CIDR, port, state and text like a brute-force filter', () => {
    const net24 = parseCidr('192.168.1.0/24');
    if (!isCidr(net24)) throw new Error(net24.error);
    const cases = [
      { filter: { proto: 'udp' as const }, test: (f: FlowSnapshot) => f.proto === 'udp' },
      { filter: { proto: 'icmpv6' as const }, test: (f: FlowSnapshot) => f.proto === 'icmpv6' },
      {
        filter: { cidr: '192.168.1.0/24' },
        test: (f: FlowSnapshot) => [f.a, f.b].some((x) => cidrContains(net24, parseIp(x)!)),
      },
      { filter: { cidr: '2001:db8:1::/48' }, test: (f: FlowSnapshot) => f.a.startsWith('2001:db8:1:') || f.b.startsWith('2001:db8:1:') },
      { filter: { port: 444 }, test: (f: FlowSnapshot) => f.portA === 444 || f.portB === 444 },
      { filter: { state: 'rst' }, test: (f: FlowSnapshot) => f.state === 'rst' },
      { filter: { text: '10.0.3.' }, test: (f: FlowSnapshot) => f.a.includes('10.0.3.') || f.b.includes('10.0.3.') },
      { filter: { text: 'SITE-2' }, test: (f: FlowSnapshot) => f.labels[FlowLabel.sni] >= 0 && `site-${f.labels[FlowLabel.sni]}`.includes('site-2') },
      { filter: { proto: 'tcp' as const, port: 443, state: 'synAck' }, test: (f: FlowSnapshot) => f.proto === 'tcp' && (f.portA === 443 || f.portB === 443) && f.state === 'synAck' },
    ];
    for (const c of cases) {
      const expected = flows.filter(c.test).map((f) => f.id).sort((x, y) => x - y);
      const page = queryFlows(table, { filter: c.filter, offset: 0, limit: 1000 }, (id) => `site-${id}`);
      expect(page.total, JSON.stringify(c.filter)).toBe(expected.length);
      expect(page.flows.map((f) => f.id)).toEqual(expected);
      expect(expected.length, `${JSON.stringify(c.filter)} selects something`).toBeGreaterThan(0);
    }
  });

  it('keyset pages in id and table order (afterId) visit every matching flow once, in order, in both directions', () => {
    for (const [sort, dir] of [['id', 'asc'], ['id', 'desc'], ['table', 'asc'], ['table', 'desc']] as const) {
      for (const filter of [{}, { proto: 'tcp' as const }]) {
        const expected = queryFlows(table, { filter, sort, dir, offset: 0, limit: flows.length });
        expect(expected.flows.length).toBe(expected.total);
        const seen: number[] = [];
        let afterId: number | undefined;
        for (;;) {
          const page = queryFlows(table, { filter, sort, dir, offset: 0, limit: 7, afterId });
          expect(page.total, `${sort} ${dir} ${JSON.stringify(filter)} total`).toBe(expected.total);
          seen.push(...page.flows.map((f) => f.id));
          if (page.flows.length < 7) break;
          afterId = page.flows[page.flows.length - 1].id;
        }
        expect(seen, `${sort} ${dir} ${JSON.stringify(filter)}`).toEqual(expected.flows.map((f) => f.id));
      }
    }
    expect(() => queryFlows(table, { sort: 'bytes', offset: 0, limit: 1, afterId: 1 })).toThrow(/sort id or table/);
  });

  it('pages past the end with an empty page and the right total', () => {
    const page = queryFlows(table, { offset: flows.length + 10, limit: 50 });
    expect(page).toMatchObject({ total: flows.length, flows: [] });
  });

  it('rejects a bad CIDR, state or page with a clear error', () => {
    expect(() => queryFlows(table, { filter: { cidr: '10.0.0.0/33' }, offset: 0, limit: 1 })).toThrow(/prefix length/);
    expect(() => queryFlows(table, { filter: { cidr: 'example.com' }, offset: 0, limit: 1 })).toThrow(/not an IPv4 or IPv6 address/);
    // As main's flow filter and alert rules read it (src-shared/ip.ts).
    expect(() => queryFlows(table, { filter: { cidr: '10.1.2.3/8' }, offset: 0, limit: 1 })).toThrow(/did you mean 10\.0\.0\.0\/8/);
    expect(() => queryFlows(table, { filter: { state: 'open' }, offset: 0, limit: 1 })).toThrow(/unknown flow state/);
    expect(() => queryFlows(table, { offset: -1, limit: 1 })).toThrow(/offset/);
  });
});
