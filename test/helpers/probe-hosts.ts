import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canCreateNamespaces, createVethPair, linkToRoot, routeToRoot, type RootLink, type VethPair } from './netns';
import { hasNatsServer, startNatsServer, type NatsServer } from './nats-server';
import { startProbe } from './probe-process';
import { CLI } from './serve-process';
import { waitForOutput } from '../integration/live/live-traffic';

/** One host of a bus test: the receiving namespace of a veth pair, joined to the root namespace by a second link. */
export interface ProbeHost {
  name: string;
  pair: VethPair;
  link: RootLink;
  tcpdump: ChildProcess;
  pcap: string;
  probe: ChildProcess | null;
}

export interface ProbeHosts {
  nats: NatsServer;
  /** A settings file (0600) with the bus credentials, for probes and serve. */
  config: string;
  hosts: ProbeHost[];
  startProbe(host: ProbeHost): Promise<void>;
  close(): Promise<void>;
}

export function canRunProbeHosts(): boolean {
  if (!canCreateNamespaces() || !hasNatsServer() || !fs.existsSync(CLI)) return false;
  return ['tcpdump', 'tshark'].every((tool) => {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Hosts named `names`, each the receiving side of its own veth pair with
 * tcpdump on its capture link, and nats-server (user and password required)
 * in the root namespace: it listens on the first host's link only, the
 * others route to that address over their own link.
 */
export async function setUpProbeHosts(work: string, names: readonly string[]): Promise<ProbeHosts> {
  const pairs = names.map(() => createVethPair());
  const links = pairs.map((p) => linkToRoot(p, p.nsB));
  const nats = await startNatsServer(work, links[0].rootAddr);
  for (let i = 1; i < pairs.length; i++) routeToRoot(pairs[i].nsB, links[i], links[0].rootAddr);
  const config = path.join(work, 'netmon.yaml');
  fs.writeFileSync(config, `bus:\n  user: ${nats.user}\n  password: "${nats.password}"\n`, { mode: 0o600 });
  const hosts: ProbeHost[] = [];
  for (const [i, pair] of pairs.entries()) {
    const pcap = path.join(work, `${names[i]}.pcap`);
    const tcpdump = pair.spawn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '--immediate-mode', '-w', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(tcpdump, /listening on/, 15_000);
    hosts.push({ name: names[i], pair, link: links[i], tcpdump, pcap, probe: null });
  }
  return {
    nats,
    config,
    hosts,
    async startProbe(host) {
      const probe = startProbe(['--iface', host.pair.ifB, '--nats', nats.url, '--name', host.name, '--config', config], {
        spawnWith: (command, args, options) => host.pair.spawn(host.pair.nsB, command, args, options),
      }).child;
      host.probe = probe;
      // Start-up only (helper spawn, capture open): slow when the machine is busy.
      await waitForOutput(probe, /capturing on/, 60_000);
    },
    async close() {
      for (const h of hosts) {
        const running = [h.probe, h.tcpdump].filter((c): c is ChildProcess => c !== null && c.exitCode === null && c.signalCode === null);
        await Promise.all(running.map((c) => new Promise((r) => {
          c.once('exit', r);
          c.kill('SIGTERM');
        })));
        h.pair.destroy();
      }
      await nats.stop();
    },
  };
}

