import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces } from '../../helpers/netns';
import { TRAFFIC, captureWithTcpdump, requireBuilt, vethTestBed, waitForExit, waitForOutput } from './live-traffic';

interface Report {
  packets: number;
  bytes: number;
  protocols: Record<string, { packets: number; bytes: number }>;
  conversations: Record<string, Record<string, unknown>[]>;
  flows: { proto: string; a: string; b: string; port_a: number; port_b: number; state: string; packets_a_to_b: number; bytes_a_to_b: number; packets_b_to_a: number; bytes_b_to_a: number; first_ts: string; last_ts: string }[];
  read: { complete: boolean; error: string | null };
  format: { interfaces: { linktype: number; if_name?: string }[] };
  capture: { path: string; privileges: string; interfaces: { name: string; packets: number; kernelDrops: number | null; helperDrops: number }[] };
}

/** Report fields that depend on the traffic alone (not on timestamps, file or capture details). */
function trafficView(r: Report) {
  const strip = (rows: Record<string, unknown>[]) =>
    rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !/start|duration|ts|time/.test(k))));
  return {
    packets: r.packets,
    bytes: r.bytes,
    protocols: r.protocols,
    conversations: Object.fromEntries(Object.entries(r.conversations).map(([k, rows]) => [k, strip(rows)])),
    flows: r.flows.map(({ first_ts: _f, last_ts: _l, ...rest }) => rest),
  };
}

describe.skipIf(!canCreateNamespaces())('netmon capture on a veth pair', () => {
  const bed = vethTestBed('netmon-capture-');
  let cli: string;

  beforeAll(() => {
    cli = requireBuilt('cli.js');
  });

  for (const capturePath of ['netmon-capture', 'cap'] as const) {
    it(`${capturePath} path: reports the known traffic exactly as 'analyze' reports tcpdump's capture of it`, async () => {
      const pair = bed.newPair();
      const pcap = path.join(bed.dir, `${capturePath}.pcap`);
      const stdout = await captureWithTcpdump(pair, cli, ['--path', capturePath, '--json'], pcap, bed.children);

      const live = JSON.parse(stdout) as Report;
      const offline = JSON.parse(execFileSync(process.execPath, [cli, 'analyze', pcap, '--json'], { encoding: 'utf8' })) as Report;
      expect(trafficView(live)).toEqual(trafficView(offline));

      // And the traffic is what was sent.
      expect(live.read.complete).toBe(true);
      expect(live.format.interfaces).toMatchObject([{ linktype: 1, if_name: pair.ifB }]);
      expect(live.protocols.icmp).toEqual({ packets: 2 * TRAFFIC.pings, bytes: 2 * TRAFFIC.pings * TRAFFIC.pingFrame });
      expect(live.protocols.udp).toEqual({
        packets: TRAFFIC.udpPayloads.length,
        bytes: TRAFFIC.udpPayloads.reduce((s: number, n) => s + 42 + n, 0),
      });
      expect(live.protocols.other.packets).toBe(0);
      const udp = live.flows.filter((f) => f.proto === 'udp');
      expect(udp).toHaveLength(1);
      expect(udp[0].packets_a_to_b + udp[0].packets_b_to_a).toBe(TRAFFIC.udpPayloads.length);
      const tcp = live.flows.filter((f) => f.proto === 'tcp');
      expect(tcp).toHaveLength(1);
      expect(tcp[0].state).toBe('closed');
      expect([tcp[0].port_a, tcp[0].port_b]).toContain(TRAFFIC.tcpPort);
      expect(live.flows.filter((f) => f.proto === 'icmp')).toHaveLength(1);

      expect(live.capture.path).toBe(capturePath);
      expect(live.capture.interfaces[0].packets).toBe(live.packets);
      expect(live.capture.interfaces[0].helperDrops).toBe(0);
      if (capturePath === 'netmon-capture') expect(live.capture.interfaces[0].kernelDrops).toBe(0);
      else expect(live.capture.interfaces[0].kernelDrops).toBeNull();
    });
  }

  it('`netmon interfaces` says where capture is permitted, with link types from netmon-capture', () => {
    const pair = bed.newPair();
    // A name too long for a network interface (libpcap's own sources have such names) must not hide the others.
    const listing = JSON.parse(pair.exec(pair.nsB, process.execPath, [cli, 'interfaces', '--json'])) as {
      capture: { path: string; rights: { state: string } };
      interfaces: { name: string; capturePermitted: boolean; linkTypeName: string | null; captureError: string | null }[];
    };
    expect(listing.capture).toMatchObject({ path: 'netmon-capture', rights: { state: 'ready' } });
    const byName = new Map(listing.interfaces.map((i) => [i.name, i]));
    expect(byName.get(pair.ifB)).toMatchObject({ capturePermitted: true, linkTypeName: 'EN10MB', captureError: null });
    expect(byName.get('lo')).toMatchObject({ capturePermitted: true });
    for (const i of listing.interfaces) if (Buffer.byteLength(i.name) >= 16) expect(i.captureError).toMatch(/not a network interface/);
  });

  it('a bad capture filter exits 2 with libpcap\'s reason', () => {
    const pair = bed.newPair();
    let status = 0;
    let stderr = '';
    try {
      pair.exec(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '--bpf', 'udp port banana', '--duration', '1']);
    } catch (err) {
      const e = err as { status: number; stderr: string };
      status = e.status;
      stderr = e.stderr;
    }
    expect(status).toBe(2);
    expect(stderr).toContain("invalid capture filter 'udp port banana'");
  });

  it('captures on two interfaces at once, each with its own index', async () => {
    const pair = bed.newPair();
    const capture = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '--iface', 'lo', '--duration', '2.5', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bed.children.push(capture);
    let stdout = '';
    capture.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitForOutput(capture, /capturing on/);
    pair.exec(pair.nsA, 'ping', ['-q', '-c', '2', '-i', '0.05', pair.addrB]);
    pair.exec(pair.nsB, 'ping', ['-q', '-c', '3', '-i', '0.05', '127.0.0.1']);
    expect(await waitForExit(capture)).toBe(0);
    const live = JSON.parse(stdout) as Report;
    expect(live.capture.interfaces.map((i) => [i.name, i.packets])).toEqual([
      [pair.ifB, 4],
      ['lo', 6],
    ]);
    expect(live.protocols.icmp.packets).toBe(10);
  });
});
