import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flowFromRow } from '../../../src-main/core/flow-book';
import type { FlowRow } from '../../../src-capture-helper/protocol/messages';
import { HELPER_SORT_KEYS, flowSortKeys } from '../../../src-capture-helper/protocol/messages';
import { queryFlows } from '../../../src-capture-helper/flows/flow-query';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import type { FlowSnapshot } from '../../../src-capture-helper/flows/flow-types';
import { FLOW_SLOT_SPACE } from '../../../src-capture-helper/flows/flow-types';
import type { FlowFilter, FlowSortKey, QueryableFlow } from '../../../src-shared/flow-query';
import { compileFlowFilter, FlowFilterError, sortFlowList } from '../../../src-shared/flow-query';
import { FLOW_PROTOCOLS } from '../../../src-shared/protocols';
import type { PacketSpec } from './packets';
import { packet } from './packets';

const SESSION = 's1';

/** A helper flow as main reads it (the helper's row, then main's own mapping), to apply the shared filter to. */
function asMainFlow(f: FlowSnapshot): QueryableFlow {
  const row: FlowRow = {
    id: f.id, iface: 'eth0', proto: f.proto, ipProto: f.ipProto, a: f.a, portA: f.portA, b: f.b, portB: f.portB, vlan: f.vlan,
    packetsAB: f.packetsAB, bytesAB: f.bytesAB, packetsBA: f.packetsBA, bytesBA: f.bytesBA,
    firstSeen: f.firstSec + f.firstNsec / 1e9, lastSeen: f.lastSec + f.lastNsec / 1e9, state: f.state,
    tcpFlags: f.tcpFlagsA | f.tcpFlagsB, active: true,
  };
  return flowFromRow(row, SESSION);
}

function activeFlows(table: FlowTable): FlowSnapshot[] {
  const out: FlowSnapshot[] = [];
  for (let s = 0; s < table.slotLimit; s++) if (table.isActive(s)) out.push(table.snapshot(s));
  return out;
}

/** What the shared definition answers for the same flows as objects: matching ids, in the shared order. */
function sharedAnswer(flows: FlowSnapshot[], filter: FlowFilter, key: FlowSortKey, dir: 'asc' | 'desc'): string[] {
  const matches = compileFlowFilter(filter).matches;
  return sortFlowList(flows.map(asMainFlow).filter((f) => matches(f)), { key, dir }).map((f) => f.id);
}

const mainIds = (page: { flows: FlowSnapshot[] }) => page.flows.map((f) => `${SESSION}:${f.id}`);

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
      table.observe(pkt, rec);
    }
  }
  const all = () => {
    const out: FlowSnapshot[] = [];
    for (let s = 0; s < table.slotLimit; s++) if (table.isActive(s)) out.push(table.snapshot(s));
    return out;
  };
  return { table, all };
}

const TIMEOUTS = { tcp: 1e6, udp: 1e6, icmp: 1e6, other: 1e6, tcpClosed: 1e6 };

const ADDRESSES = ['10.0.0.1', '10.0.0.9', '10.0.0.10', '10.1.2.3', '192.168.1.7', '2001:db8::1', '2001:db8::a', '2001:db8:1::5', 'fe80::1'];
const CIDRS = ['10.0.0.0/8', '10.0.0.8/29', '10.0.0.10', '192.168.0.0/16', '2001:db8::/32', '2001:db8:1::/48', '::/0', '0.0.0.0/0', 'fe80::/10'];

const packetSpec: fc.Arbitrary<PacketSpec> = fc.record({
  src: fc.constantFrom(...ADDRESSES),
  dst: fc.constantFrom(...ADDRESSES),
  proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
  sport: fc.constantFrom(53, 80, 443, 8080, 40000, 40001),
  dport: fc.constantFrom(53, 80, 443, 8080, 40000, 40001),
  flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R'),
  payload: fc.integer({ min: 0, max: 300 }),
  t: fc.integer({ min: 0, max: 20 }).map((q) => 1000 + q * 0.25),
  icmpId: fc.integer({ min: 0, max: 3 }),
});

/** Random filters over every field the helper answers. */
const helperFilter: fc.Arbitrary<FlowFilter> = fc.record(
  {
    proto: fc.subarray([...FLOW_PROTOCOLS], { minLength: 1 }),
    ip: fc.constantFrom(...CIDRS, ...ADDRESSES),
    port: fc.constantFrom(53, 80, 443, 40000, 0),
    ports: fc.array(fc.tuple(fc.integer({ min: 0, max: 41000 }), fc.integer({ min: 0, max: 41000 })).map(([x, y]): [number, number] => [Math.min(x, y), Math.max(x, y)]), { minLength: 1, maxLength: 3 }),
    state: fc.subarray(['syn', 'established', 'fin', 'rst', 'closed', 'active'] as const, { minLength: 1 }),
    shown: fc.subarray(['syn', 'established', 'fin', 'rst', 'closed', 'active', 'ended'] as const, { minLength: 1 }),
    fromMs: fc.integer({ min: 999_000, max: 1_006_000 }),
    toMs: fc.integer({ min: 999_000, max: 1_006_000 }),
  },
  { requiredKeys: [] },
);

describe('queryFlows: the shared filter and sort over the helper table', () => {
  const { table, all } = population();
  const flows = all();

  it('answers random filters and sorts as the shared predicate and order do over the same flows as objects (same set, same order)', () => {
    fc.assert(
      fc.property(
        fc.array(packetSpec, { minLength: 1, maxLength: 80 }),
        helperFilter,
        fc.constantFrom(...HELPER_SORT_KEYS),
        fc.constantFrom('asc' as const, 'desc' as const),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 100 }),
        (specs, filter, key, dir, offset, limit) => {
          const random = new FlowTable({ maxFlows: 1000, timeouts: TIMEOUTS });
          for (const spec of specs) {
            const { pkt, rec } = packet(spec);
            random.observe(pkt, rec);
          }
          const expected = sharedAnswer(activeFlows(random), filter, key, dir);
          const page = queryFlows(random, { filter, sort: key, dir, offset, limit });
          expect(page.total).toBe(expected.length);
          expect(mainIds(page)).toEqual(expected.slice(offset, offset + limit));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives ties the order of main\'s ids (text order: 10 before 9), in both directions', () => {
    const alike = new FlowTable({ maxFlows: 100, timeouts: TIMEOUTS });
    // Twelve flows alike in size, so every one ties on bytes and the ids decide.
    for (let i = 0; i < 12; i++) {
      const { pkt, rec } = packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1000 + i, dport: 53, payload: 10, t: 1000 });
      alike.observe(pkt, rec);
    }
    for (const dir of ['asc', 'desc'] as const) {
      const page = queryFlows(alike, { sort: 'bytes', dir, offset: 0, limit: 100 });
      expect(mainIds(page)).toEqual(sharedAnswer(activeFlows(alike), {}, 'bytes', dir));
      const ids = page.flows.map((f) => String(f.id));
      expect(ids).toEqual([...ids].sort());
    }
  });

  it('refuses the filter fields and sort keys the table does not hold, naming the field', () => {
    const refused: Array<[FlowFilter, string]> = [
      [{ text: 'x' }, 'text'], [{ name: 'x' }, 'name'], [{ iface: 'eth0' }, 'iface'], [{ probe: 'p' }, 'probe'],
      [{ country: 'de' }, 'country'], [{ asn: 3320 }, 'asn'], [{ application: 'curl' }, 'application'], [{ ids: ['s1:1'] }, 'ids'],
      [{ session: 's1' }, 'session'],
    ];
    for (const [filter, field] of refused) {
      const query = () => queryFlows(table, { filter, offset: 0, limit: 1 });
      expect(query).toThrow(FlowFilterError);
      expect(query).toThrow(`the capture helper's flow table does not answer ${field}`);
    }
    const keys = flowSortKeys as readonly string[];
    for (const key of ['rate', 'name', 'rtt', 'retransmissions', 'application'] as const) {
      expect(keys).not.toContain(key);
      expect(() => queryFlows(table, { sort: key, offset: 0, limit: 1 })).toThrow(`does not answer sort ${key}`);
    }
  });

  it('keyset pages in id and table order (afterId) visit every matching flow once, in order, in both directions', () => {
    for (const [sort, dir] of [['id', 'asc'], ['id', 'desc'], ['table', 'asc'], ['table', 'desc']] as const) {
      for (const filter of [{}, { proto: ['tcp' as const] }]) {
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

  it('lists the flows asked for by id, still active and matching, in the order asked', () => {
    const ids = flows.map((f) => f.id);
    const asked = [ids[40], ids[3], ids[17], ids[3] + FLOW_SLOT_SPACE, 99 * FLOW_SLOT_SPACE - 1, ids[0]];
    const page = queryFlows(table, { offset: 0, limit: 10, ids: asked });
    // An id of the slot's next generation and one of a slot never used are not found.
    expect(page.flows.map((f) => f.id)).toEqual([ids[40], ids[3], ids[17], ids[0]]);
    expect(page.total).toBe(4);
    expect(page.flows[1]).toEqual(flows[3]);
    const tcp = queryFlows(table, { filter: { proto: ['tcp'] }, offset: 0, limit: 10, ids: asked });
    expect(tcp.flows.map((f) => f.id)).toEqual(page.flows.filter((f) => f.proto === 'tcp').map((f) => f.id));
    expect(() => queryFlows(table, { offset: 0, limit: 2, ids: asked })).toThrow(/at most limit/);
    expect(() => queryFlows(table, { sort: 'bytes', offset: 0, limit: 10, ids: asked })).toThrow(/order given/);
    expect(() => queryFlows(table, { offset: 0, limit: 10, afterId: 1, ids: asked })).toThrow(/order given/);
  });

  it('pages past the end with an empty page and the right total', () => {
    const page = queryFlows(table, { offset: flows.length + 10, limit: 50 });
    expect(page).toMatchObject({ total: flows.length, flows: [] });
  });

  it('rejects a bad CIDR, state or page with a clear error', () => {
    const bad = (filter: FlowFilter) => () => queryFlows(table, { filter, offset: 0, limit: 1 });
    expect(bad({ ip: '10.0.0.0/33' })).toThrow(/prefix length/);
    expect(bad({ ip: 'example.com' })).toThrow(/not an IPv4 or IPv6 address/);
    // As main's flow filter and alert rules read it (src-shared/ip.ts).
    expect(bad({ ip: '10.1.2.3/8' })).toThrow(/did you mean 10\.0\.0\.0\/8/);
    expect(bad({ ports: [[90, 80]] })).toThrow(/runs backwards/);
    expect(() => queryFlows(table, { offset: -1, limit: 1 })).toThrow(/offset/);
  });
});
