/** Filtering and sorting 100k flows, the work the flow table redoes on each update: measured and printed. */
import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER, filterFlows } from '../../../src-renderer/state/flow-filter';
import { sortFlows } from '../../../src-renderer/state/flow-sort';
import { applyFlowDelta, replaceFlows } from '../../../src-renderer/state/flows';
import type { FlowSummary } from '../../../src-renderer/transport/api-types';
import { makeFlow } from './make-flow';

const N = 100_000;

function generate(n: number): FlowSummary[] {
  const out: FlowSummary[] = [];
  for (let i = 0; i < n; i++) {
    const v6 = i % 10 === 0;
    out.push(
      makeFlow({
        id: `c:${i}`,
        proto: i % 7 === 0 ? 'udp' : 'tcp',
        a: v6 ? `2001:db8::${(i % 65535).toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        aPort: 1024 + (i % 60000),
        b: `203.0.113.${i % 254}`,
        bPort: i % 3 === 0 ? 80 : 443,
        names: { a: null, b: null, sni: i % 5 === 0 ? `host${i % 1000}.example` : null, httpHost: null, dnsQuery: null, name: null, source: null },
        aToB: { bytes: (i * 7919) % 1_000_000, packets: i % 500 },
        bpsAToB: (i * 31) % 10_000,
        lastSeenMs: 1_700_000_000_000 + i,
      }),
    );
  }
  return out;
}

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
};

describe(`flow pipeline with ${N / 1000}k flows`, () => {
  it('filters, sorts and applies a delta with correct results, and prints the cost', () => {
    const flows = generate(N);
    const [table, loadMs] = time(() => replaceFlows('c', flows));
    expect(table.flows.size).toBe(N);

    const port80 = compileFilter({ ...EMPTY_FILTER, port: '80' });
    const cidr = compileFilter({ ...EMPTY_FILTER, cidr: '10.0.0.0/16' });
    const text = compileFilter({ ...EMPTY_FILTER, text: 'host42.example' });
    if (!port80.ok || !cidr.ok || !text.ok) throw new Error('filters must compile');
    const [byPort, portMs] = time(() => filterFlows(table.flows.values(), port80));
    const [byCidr, cidrMs] = time(() => filterFlows(table.flows.values(), cidr));
    const [byText, textMs] = time(() => filterFlows(table.flows.values(), text));
    expect(byPort.length).toBe(flows.filter((f) => f.bPort === 80 || f.aPort === 80).length);
    expect(byCidr.every((f) => f.a.startsWith('10.0.'))).toBe(true);
    expect(byCidr.length).toBe(flows.filter((f) => f.a.startsWith('10.0.')).length);
    expect(byText.length).toBe(flows.filter((f) => f.names.sni === 'host42.example').length);

    const all = [...table.flows.values()];
    const [byBytes, bytesMs] = time(() => sortFlows(all, { column: 'bytesAB', direction: 'desc' }));
    const [byAddr, addrMs] = time(() => sortFlows(all, { column: 'a', direction: 'asc' }));
    for (let i = 1; i < byBytes.length; i++) expect(byBytes[i - 1].aToB.bytes >= byBytes[i].aToB.bytes).toBe(true);
    expect(byAddr[0].a).toBe('10.0.0.1');

    const updates = flows.slice(0, 5000).map((f) => ({ ...f, aToB: { bytes: f.aToB.bytes + 1, packets: f.aToB.packets + 1 } }));
    const [next, deltaMs] = time(() => applyFlowDelta(table, { captureId: 'c', tsMs: 0, updated: updates, finished: [], omitted: 0 }));
    expect(next.flows.get('c:0')?.aToB.bytes).toBe(flows[0].aToB.bytes + 1);

    console.log(
      `[flow pipeline ${N}] load ${loadMs.toFixed(1)} ms; filter port ${portMs.toFixed(1)} ms, CIDR ${cidrMs.toFixed(1)} ms, text ${textMs.toFixed(1)} ms; ` +
        `sort bytes ${bytesMs.toFixed(1)} ms, address ${addrMs.toFixed(1)} ms; 5k-flow delta ${deltaMs.toFixed(1)} ms`,
    );
  });
});
