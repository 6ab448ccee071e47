/**
 * Bench section: the cost of attributing flows to processes (src-capture-helper/apps),
 * as a live capture runs it. Linux only. Figures, not asserts; CPU times, medians.
 * - reading the activity counters (/proc/net/snmp, every tick);
 * - one TCP dump and one UDP dump of the socket table, parsed, with the
 *   host's sockets only and with N more TCP connections open in this process;
 * - one pass of /proc/PID/fd finding the inodes of those sockets;
 * - a flow lookup (appFor) with them cached;
 * - the attributor on its own timer (after its first /proc pass), a few
 *   seconds idle, then while connections open and close: the CPU share of
 *   this process (on a shared machine, other namespaces' sockets are not
 *   seen, but their load slows every figure).
 *
 *   node dist/bench/app-attribution.js [--connections N] [--runs N]
 *
 * run.ts runs it in a child process (it opens 2N file descriptors) and saves the result under `appAttribution`.
 */
import net from 'node:net';
import { AppAttributor } from '../src-capture-helper/apps/app-attributor';
import { cachedUserNames } from '../src-capture-helper/apps/live-attribution';
import { procProcessSource } from '../src-capture-helper/apps/proc-scanner';
import { openSockDiag, type SocketTable } from '../src-capture-helper/apps/sock-diag';
import { median, round } from './stats';

export interface AttributionBench {
  connections: number;
  runs: number;
  activityReadUs: number;
  /** Median CPU ms of one dump, parsed: before and after the connections opened. */
  tcpDumpMs: { hostOnly: number; withConnections: number };
  udpDumpMs: number;
  socketsSeen: { hostOnly: number; withConnections: number };
  /** One attributor tick that dumps both tables and finds the 2N new inodes in /proc, CPU ms. */
  firstResolveMs: number;
  procReads: number;
  lookupNs: number;
  /** The attributor on its timer: CPU share of one core over `windowSeconds`, idle and with `churnPerSecond` connections opened and closed. */
  windowSeconds: number;
  idleCpuShare: number;
  churnPerSecond: number;
  churnCpuShare: number;
  churnDumps: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};


function timeCpu(runs: number, f: () => unknown): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = cpuMs();
    f();
    times.push(cpuMs() - t0);
  }
  return median(times);
}

async function openConnections(n: number): Promise<{ close: () => void; ports: number[]; serverPort: number }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const serverPort = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => new Promise<void>((resolve, reject) => {
      const c = net.connect(serverPort, '127.0.0.1', () => resolve());
      c.on('error', reject);
      clients.push(c);
    })));
  }
  return {
    ports: clients.map((c) => c.localPort!),
    serverPort,
    close: () => {
      for (const c of clients) c.destroy();
      for (const s of accepted) s.destroy();
      server.close();
    },
  };
}

async function cpuShareOver(seconds: number, during: () => Promise<void>): Promise<number> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await during();
  return (cpuMs() - c0) / (performance.now() - t0);
}

export async function runAttributionBench(connections: number, runs: number): Promise<AttributionBench | { skipped: string }> {
  const opened = openSockDiag();
  if ('unavailable' in opened) return { skipped: opened.unavailable };
  const table: SocketTable = opened.table;
  const activityReadUs = timeCpu(runs * 200, () => table.activity()) * 1000;
  const hostOnly = { tcp: timeCpu(runs, () => table.tcp()), sockets: table.tcp().length + table.udp().length };
  const udpDumpMs = timeCpu(runs, () => table.udp());
  const open = await openConnections(connections);
  try {
    const withConnections = { tcp: timeCpu(runs, () => table.tcp()), sockets: table.tcp().length + table.udp().length };
    const attributor = new AppAttributor({ sockets: table, processes: procProcessSource(), selfUid: () => process.geteuid?.() ?? 0, userName: cachedUserNames(), procReadsPerSecond: 10_000_000 });
    const c0 = cpuMs();
    attributor.tick(true);
    const firstResolveMs = cpuMs() - c0;
    const { procReads } = attributor.stats();
    const lookups = open.ports.length;
    const lookupMs = timeCpu(runs, () => {
      for (const port of open.ports) attributor.appFor('tcp', '127.0.0.1', open.serverPort, '127.0.0.1', port);
    });

    const windowSeconds = 3;
    const timed = new AppAttributor({ sockets: table, processes: procProcessSource(), selfUid: () => process.geteuid?.() ?? 0, userName: cachedUserNames() });
    timed.tick(true);
    timed.start(() => undefined);
    // The first /proc pass over the N new sockets runs within its read budget: let it end before the idle window.
    await new Promise((r) => setTimeout(r, 5000));
    const idleCpuShare = await cpuShareOver(windowSeconds, () => new Promise((r) => setTimeout(r, windowSeconds * 1000)));
    // Connections opened and closed at a steady rate: each moves the counters and asks for a dump.
    const churnPerSecond = 20;
    const before = timed.stats().tcpDumps;
    const churnCpuShare = await cpuShareOver(windowSeconds, async () => {
      for (let i = 0; i < windowSeconds * churnPerSecond; i++) {
        const c = net.connect(open.serverPort, '127.0.0.1');
        await new Promise((r) => c.once('connect', r));
        c.destroy();
        await new Promise((r) => setTimeout(r, 1000 / churnPerSecond));
      }
    });
    const churnDumps = timed.stats().tcpDumps - before;
    timed.stop();
    return {
      connections,
      runs,
      activityReadUs: round(activityReadUs, 1),
      tcpDumpMs: { hostOnly: round(hostOnly.tcp, 3), withConnections: round(withConnections.tcp, 3) },
      udpDumpMs: round(udpDumpMs, 3),
      socketsSeen: { hostOnly: hostOnly.sockets, withConnections: withConnections.sockets },
      firstResolveMs: round(firstResolveMs, 1),
      procReads,
      lookupNs: round((lookupMs * 1e6) / lookups, 0),
      windowSeconds,
      idleCpuShare: round(idleCpuShare, 4),
      churnPerSecond,
      churnCpuShare: round(churnCpuShare, 4),
      churnDumps,
    };
  } finally {
    open.close();
  }
}

export function formatAttribution(r: AttributionBench | { skipped: string } | { error: string }): string[] {
  if ('skipped' in r) return [`process attribution: skipped (${r.skipped})`];
  if ('error' in r) return [`process attribution: failed: ${r.error}`];
  return [
    `process attribution (medians of ${r.runs}, CPU): activity read ${r.activityReadUs} µs per tick; ` +
      `TCP dump ${r.tcpDumpMs.hostOnly} ms (${r.socketsSeen.hostOnly} sockets) → ${r.tcpDumpMs.withConnections} ms (${r.socketsSeen.withConnections} sockets); UDP dump ${r.udpDumpMs} ms`,
    `  first resolution of ${r.connections * 2} new sockets: ${r.firstResolveMs} ms (${r.procReads} /proc reads); a flow lookup ${r.lookupNs} ns`,
    `  on its timer: ${(r.idleCpuShare * 100).toFixed(2)} % of a core idle, ${(r.churnCpuShare * 100).toFixed(2)} % with ${r.churnPerSecond} connections/s (${r.churnDumps} TCP dumps in ${r.windowSeconds} s)`,
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  runAttributionBench(arg('--connections', 5000), arg('--runs', 9)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
