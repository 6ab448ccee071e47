import { describe, expect, it } from 'vitest';
import { createAppStore, selectShownRevision, selectShownTraffic } from '../../../src-renderer/state/store';
import { compileFlowFilter } from '../../../src-shared/flow-query';
import type { FlowSummary } from '../../../src-renderer/transport/api-types';
import { ringToArray } from '../../../src-renderer/state/ring';
import type { RollupTick } from '../../../src-renderer/transport/api-types';
import { makeCaptureStatus, makeFlow } from './make-flow';

const zero = { bytes: 0, packets: 0 };
const tick = (captureId: string, s: number, bytes: number): RollupTick => ({
  captureId,
  tsMs: s * 1000,
  interfaces: [{ iface: 'eth0', in: { bytes, packets: 1 }, out: zero, kernelDrops: 0, helperDrops: 0 }],
  protocols: { tcp: { bytes, packets: 1 }, udp: zero, icmp: zero, icmpv6: zero, other: zero },
  topHosts: [],
  topFlows: [],
  activeFlows: 1,
  newFlows: 0,
});
const status = (captureId: string) => makeCaptureStatus(captureId);
/** The ids of the flows main would list for the store's filter (the shared definition). */
const matching = (filter: Parameters<typeof compileFlowFilter>[0], flows: FlowSummary[]): string[] => flows.filter(compileFlowFilter(filter).matches).map((f) => f.id);

describe('app store', () => {
  it('pause freezes what the views show while data keeps arriving; resume shows the latest', () => {
    const store = createAppStore('websocket');
    const s = () => store.getState();
    s().setCapture(status('c1'));
    s().receiveTick(tick('c1', 1, 100));
    s().receiveFlowDelta({ captureId: 'c1', tsMs: 1000, updated: 1, finished: 0, omitted: 0 });
    s().setPaused(true);
    s().receiveTick(tick('c1', 2, 200));
    s().receiveFlowDelta({ captureId: 'c1', tsMs: 2000, updated: 1, finished: 0, omitted: 0 });
    expect(ringToArray(selectShownTraffic(s()).series).map((x) => x.inBps)).toEqual([800]);
    // The flows stay in main: the views ask for them again when the shown revision moves, which it does not while paused.
    const frozen = selectShownRevision(s());
    expect(s().flowsRevision).toBeGreaterThan(frozen);
    s().setPaused(false);
    expect(ringToArray(selectShownTraffic(s()).series).map((x) => x.inBps)).toEqual([800, 1600]);
    expect(selectShownRevision(s())).toBeGreaterThan(frozen);
  });

  it('a new capture starts a fresh overview, table and selection, and ignores the old capture', () => {
    const store = createAppStore('websocket');
    const s = () => store.getState();
    // Rows picked before the first status arrived are rows of the capture it names: they stay selected.
    s().clickRow(['f0'], 'f0', { shift: false, toggle: false });
    s().setCapture(status('c1'));
    expect([...s().selection.selected]).toEqual(['f0']);
    s().receiveTick(tick('c1', 1, 100));
    s().clickRow(['f1'], 'f1', { shift: false, toggle: false });
    const revision = s().flowsRevision;
    s().setCapture(status('c2'));
    expect(s().traffic.series.length).toBe(0);
    expect(s().flowsRevision).toBeGreaterThan(revision);
    s().receiveFlowDelta({ captureId: 'c1', tsMs: 2000, updated: 1, finished: 0, omitted: 0 });
    expect(s().flowsRevision).toBe(revision + 1);
    expect(s().selection.selected.size).toBe(0);
    s().receiveTick(tick('c1', 2, 100));
    expect(s().traffic.series.length).toBe(0);
    s().receiveTick(tick('c2', 3, 100));
    expect(s().traffic.series.length).toBe(1);
  });

  it('keeps the last valid filter while a field is wrong, and reports the field', () => {
    const store = createAppStore('electron');
    const s = () => store.getState();
    s().setFilterInput({ port: '443' });
    const valid = s().filter;
    s().setFilterInput({ cidr: '10.0.0.0/77' });
    expect(s().filter).toBe(valid);
    expect(s().filterErrors.cidr).toMatch(/0 to 32/);
    expect(s().filterInput.cidr).toBe('10.0.0.0/77');
    s().setFilterInput({ cidr: '10.0.0.0/8' });
    expect(s().filterErrors).toEqual({});
    expect(matching(s().filter.query, [makeFlow({ id: 'x', a: '10.1.1.1', bPort: 443 }), makeFlow({ id: 'y', a: '11.1.1.1', bPort: 443 })])).toEqual(['x']);
  });

  it('opens the flow table on a top host or on one top flow, and takes flows to Export', () => {
    const store = createAppStore('websocket');
    const s = () => store.getState();
    const flows = [makeFlow({ id: 'a', a: '10.0.0.1' }), makeFlow({ id: 'b', a: '10.0.0.2' })];
    s().setFilterInput({ port: '22', text: 'x' });
    s().showFlowsOf({ kind: 'host', ip: '10.0.0.2' });
    expect(s().view).toBe('flows');
    expect(s().filterInput).toMatchObject({ cidr: '10.0.0.2', port: '', text: '', flow: null });
    expect(matching(s().filter.query, flows)).toEqual(['b']);
    s().setView('overview');
    s().showFlowsOf({ kind: 'flow', id: 'a', label: 'TCP 10.0.0.1:50000 → 198.51.100.1:443' });
    expect(s().view).toBe('flows');
    expect(matching(s().filter.query, flows)).toEqual(['a']);
    expect([...s().selection.selected]).toEqual(['a']);
    expect(s().detailId).toBe('a');
    s().exportFlows(['b']);
    expect(s().view).toBe('export');
    expect([...s().selection.selected]).toEqual(['b']);
  });

  it('opens the flows of an application, of an earlier session when it came from one', () => {
    const store = createAppStore('websocket');
    const s = () => store.getState();
    const curl = { label: 'curl', pid: 7, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false };
    const flows = [makeFlow({ id: 'a', app: curl }), makeFlow({ id: 'b' }), makeFlow({ id: 'c', app: { ...curl, label: 'python3' } })];
    s().showFlowsOf({ kind: 'application', label: 'CURL', session: 'old' });
    expect(s().view).toBe('flows');
    expect(s().filterInput).toMatchObject({ application: 'CURL', cidr: '', flow: null });
    expect(matching(s().filter.query, flows)).toEqual(['a']);
    // The Flows view takes the session once.
    expect(s().takeFlowsSession()).toBe('old');
    expect(s().takeFlowsSession()).toBeNull();
  });

  it('opens on the numbers of a running capture, unless the person already picked a screen', () => {
    const store = createAppStore('websocket');
    const s = () => store.getState();
    s().suggestView('overview');
    expect(s().view).toBe('overview');
    s().setView('interfaces');
    s().suggestView('overview');
    expect(s().view).toBe('interfaces');
  });
});
