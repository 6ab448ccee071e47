import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import type { ProbeStatus } from '../../../src-main/api/types/probes';
import type { Stats } from '../../../src-main/api/types/stats';
import { canRunProbeHosts, setUpProbeHosts, type ProbeHost, type ProbeHosts } from '../../helpers/probe-hosts';
import type { NatsServer } from '../../helpers/nats-server';
import { readPcapFrames, sendTraffic, startServers, waitForOutput } from '../live/live-traffic';
import { getJson, startServe, waitFor, type ServeProcess } from '../../helpers/serve-process';

/**
 * Two hosts (two network namespaces, each the receiving side of its own veth
 * pair) run `netmon probe` on their capture link and publish over a second
 * link to nats-server in the root namespace; `netmon serve --nats` shows both.
 */
describe.skipIf(!canRunProbeHosts())('probes publish through NATS, serve --nats aggregates them', () => {
  let work: string;
  let bus: ProbeHosts;
  let nats: NatsServer;
  let serve: ServeProcess;
  let hosts: ProbeHost[] = [];
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bus-'));
    bus = await setUpProbeHosts(work, ['alpha', 'beta']);
    nats = bus.nats;
    hosts = bus.hosts;
    serve = await startServe(['--nats', nats.url, '--bind', '127.0.0.1:0', '--db', path.join(work, 'history.sqlite'), '--config', bus.config]);
    for (const h of hosts) {
      await bus.startProbe(h);
      const s = startServers(h.pair);
      servers.push(s);
      await waitForOutput(s, /servers-ready/);
    }
  }, 90_000);

  afterAll(async () => {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGTERM');
    await serve?.stop();
    await bus?.close();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const probes = async () => (await getJson<ProbeStatus[]>(`${serve.url}/api/probes`)).body;
  const stats = async () => (await getJson<Stats>(`${serve.url}/api/stats`)).body;

  /** What serve shows for one probe's interface: frames and bytes both ways. */
  async function shown(h: ProbeHost): Promise<{ packets: number; bytes: number }> {
    const iface = (await stats()).interfaces.find((i) => i.iface === `${h.name}/${h.pair.ifB}`);
    return iface === undefined ? { packets: 0, bytes: 0 } : { packets: iface.in.packets + iface.out.packets, bytes: iface.in.bytes + iface.out.bytes };
  }

  function captured(h: ProbeHost): { packets: number; bytes: number } {
    const frames = readPcapFrames(h.pcap);
    return { packets: frames.length, bytes: frames.reduce((n, f) => n + f.wireLength, 0) };
  }

  /** Waits until serve's totals for every host equal what tcpdump captured there (traffic has ended). */
  async function expectTotalsEqualCaptures(): Promise<void> {
    for (const h of hosts) {
      const truth = captured(h);
      expect(truth.packets).toBeGreaterThan(0);
      await waitFor(`${h.name}'s totals to reach ${truth.packets} frames`, async () => ((await shown(h)).packets >= truth.packets ? true : undefined), 15_000)
        .catch(() => undefined);
      // A second more: a total above the capture would show now.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await shown(h)).toEqual(truth);
      const p = (await probes()).find((x) => x.name === h.name);
      expect({ packets: p?.packets, bytes: p?.bytes }).toEqual(truth);
    }
  }

  it('shows both probes joining, then live, with their interfaces', async () => {
    const list = await waitFor('both probes live', async () => {
      const l = await probes();
      return l.length === 2 && l.every((p) => p.state === 'live' && p.captureState === 'running') ? l : undefined;
    }, 20_000);
    expect(list.map((p) => p.name)).toEqual(['alpha', 'beta']);
    expect(list.map((p) => p.interfaces)).toEqual(hosts.map((h) => [`${h.name}/${h.pair.ifB}`]));
    expect(list.every((p) => p.gaps === 0 && p.missedMessages === 0)).toBe(true);
  }, 30_000);

  it('per-probe totals equal what tcpdump captured on each host, exactly', async () => {
    sendTraffic(hosts[0].pair);
    sendTraffic(hosts[1].pair);
    sendTraffic(hosts[1].pair);
    await expectTotalsEqualCaptures();
    // Every flow carries its probe and the probe's interface.
    const flows = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=all&limit=100`)).body.flows;
    for (const h of hosts) {
      const mine = flows.filter((f) => f.probe === h.name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((f) => f.iface === `${h.name}/${h.pair.ifB}`)).toBe(true);
    }
    const filtered = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=all&limit=100&probe=beta`)).body.flows;
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((f) => f.probe === 'beta')).toBe(true);
  }, 60_000);

  it('exports one flow from each probe over request/reply; tshark finds exactly its frames', async () => {
    const flows = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=all&limit=100`)).body.flows;
    for (const h of hosts) {
      const tcp = flows.filter((f: FlowSummary) => f.probe === h.name && f.proto === 'tcp');
      expect(tcp.length).toBeGreaterThan(0);
      const flow = tcp[0];
      const out = path.join(work, `${h.name}.pcapng`);
      const res = await fetch(`${serve.url}/api/export`, {
        method: 'POST',
        headers: { ...serve.auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ format: 'pcapng', flowIds: [flow.id] }),
      });
      expect(res.status).toBe(200);
      fs.writeFileSync(out, Buffer.from(await res.arrayBuffer()));
      const filter = `tcp.port == ${flow.bPort} && tcp.port == ${flow.aPort}`;
      const inExport = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' }).trim().split('\n');
      const inCapture = execFileSync('tshark', ['-r', h.pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' }).trim().split('\n');
      expect(inExport).toEqual(inCapture);
      expect(inExport.length).toBe(flow.aToB.packets + flow.bToA.packets);
    }
    const mixed = await fetch(`${serve.url}/api/export`, {
      method: 'POST',
      headers: { ...serve.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'pcapng', flowIds: hosts.map((h) => flows.find((f) => f.probe === h.name)?.id) }),
    });
    expect(mixed.status).toBe(400);
    expect(await mixed.text()).toMatch(/different probes/);
  }, 60_000);

  it('after nats-server is killed and restarted, the probes reconnect, the silence is counted, and totals stay exact', async () => {
    const before = await probes();
    await nats.kill();
    await new Promise((r) => setTimeout(r, 4000));
    await nats.restart();
    const after = await waitFor('both probes back', async () => {
      const l = await probes();
      return l.length === 2 && l.every((p) => p.state === 'live' && p.probeReconnects >= 1) ? l : undefined;
    }, 30_000);
    for (const p of after) {
      const was = before.find((b) => b.name === p.name);
      expect(p.silences).toBeGreaterThan(was?.silences ?? 0);
      expect(p.restarts).toBe(0);
    }
    sendTraffic(hosts[0].pair);
    sendTraffic(hosts[1].pair);
    // No traffic crossed the links during the outage: whatever the bus lost then held no frames.
    await expectTotalsEqualCaptures();
  }, 90_000);
});
