import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppAttributor } from '../../../src-capture-helper/apps/app-attributor';
import { cachedUserNames } from '../../../src-capture-helper/apps/live-attribution';
import { procProcessSource, type ProcessSource } from '../../../src-capture-helper/apps/proc-scanner';
import type { SocketEntry } from '../../../src-capture-helper/apps/sock-diag-parser';
import { openSockDiag, type SocketTable } from '../../../src-capture-helper/apps/sock-diag';

const self = process.geteuid?.() ?? 0;

describe.skipIf(process.platform !== 'linux')('AppAttributor on this host (real sock_diag and /proc)', () => {
  it('names the process of a connection in both directions, and still does once the connection is gone', async () => {
    const opened = openSockDiag();
    if ('unavailable' in opened) throw new Error(opened.unavailable);
    const attributor = new AppAttributor({ sockets: opened.table, processes: procProcessSource(), selfUid: () => self, userName: cachedUserNames() });
    const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const clientPort = client.localPort!;
    attributor.tick(true);
    await new Promise<void>((resolve) => client.on('close', () => resolve()).resume());
    server.close();
    attributor.tick(true);
    const expected = {
      label: fs.readFileSync('/proc/self/comm', 'utf8').trim(),
      pid: process.pid,
      name: fs.readFileSync('/proc/self/comm', 'utf8').trim(),
      exe: fs.realpathSync(process.execPath),
      uid: self,
      user: cachedUserNames()(self),
      system: false,
    };
    expect(attributor.appFor('tcp', '127.0.0.1', clientPort, '127.0.0.1', port)).toEqual(expected);
    expect(attributor.appFor('tcp', '127.0.0.1', port, '127.0.0.1', clientPort)).toEqual(expected);
    expect(attributor.appFor('udp', '127.0.0.1', clientPort, '127.0.0.1', port)).toBeUndefined();
    expect(attributor.stats().inodesResolved).toBeGreaterThanOrEqual(2);
  });
});

/** A socket table that shows what a test puts in it. */
function table(): SocketTable & { sockets: SocketEntry[]; dumps: number } {
  const t = {
    sockets: [] as SocketEntry[],
    dumps: 0,
    tcp: () => {
      t.dumps++;
      return t.sockets.filter((s) => s.proto === 'tcp');
    },
    udp: () => t.sockets.filter((s) => s.proto === 'udp'),
    activity: () => null,
  };
  return t;
}

/** Processes that hold given socket inodes, counting the fd reads asked of them. */
function processes(held: Map<number, { inodes: number[]; name: string }>): ProcessSource & { reads: number } {
  const p = {
    reads: 0,
    pids: () => [...held.keys()],
    socketInodes: (pid: number) => {
      const h = held.get(pid);
      if (h === undefined) return null;
      p.reads += h.inodes.length + 1;
      return { inodes: h.inodes, reads: h.inodes.length + 1 };
    },
    describe: (pid: number) => ({ name: held.get(pid)?.name ?? null, exe: held.get(pid) ? path.join('/usr/bin', held.get(pid)!.name) : null }),
  };
  return p;
}

const sock = (inode: number, uid: number, localPort: number, remotePort = 443, proto: 'tcp' | 'udp' = 'tcp'): SocketEntry => ({
  proto, localAddress: '10.0.0.2', localPort, remoteAddress: remotePort === 0 ? '0.0.0.0' : '93.184.216.34', remotePort, uid, inode,
});

describe('AppAttributor bounds and rules', () => {
  it('shows another user\'s socket as system (user N) without reading /proc, and its own user\'s by process', () => {
    const t = table();
    const p = processes(new Map([[4242, { inodes: [11], name: 'curl' }]]));
    let clock = 0;
    const a = new AppAttributor({ sockets: t, processes: p, selfUid: () => 1000, userName: (uid) => (uid === 0 ? 'root' : 'alice'), now: () => clock, cpuMs: () => 0 });
    t.sockets = [sock(11, 1000, 40000), sock(12, 0, 40001), sock(0, 1000, 40002)];
    a.tick(true);
    expect(a.appFor('tcp', '93.184.216.34', 443, '10.0.0.2', 40000)).toEqual({ label: 'curl', pid: 4242, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false });
    expect(a.appFor('tcp', '10.0.0.2', 40001, '93.184.216.34', 443)).toEqual({ label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true });
    // A socket with no file (closed by its process before it was ever seen) names nothing.
    expect(a.appFor('tcp', '10.0.0.2', 40002, '93.184.216.34', 443)).toBeUndefined();
    clock += 5000;
    t.sockets = [];
    a.tick(true);
    expect(a.appFor('tcp', '10.0.0.2', 40000, '93.184.216.34', 443)?.label).toBe('curl');
    // Forgotten keepMs (10 s) after it was last seen.
    clock += 6000;
    a.tick(true);
    expect(a.appFor('tcp', '10.0.0.2', 40000, '93.184.216.34', 443)).toBeUndefined();
  });

  it('finds an unconnected UDP socket (sendto) by its local port, bound to the address or to any', () => {
    const t = table();
    const p = processes(new Map([[7, { inodes: [21, 22], name: 'dig' }]]));
    const a = new AppAttributor({ sockets: t, processes: p, selfUid: () => 0, userName: () => null, now: () => 0, cpuMs: () => 0 });
    t.sockets = [sock(21, 0, 5353, 0, 'udp'), { ...sock(22, 0, 6000, 0, 'udp'), localAddress: '::' }];
    a.tick(true);
    expect(a.appFor('udp', '10.0.0.2', 5353, '8.8.8.8', 53)?.name).toBe('dig');
    expect(a.appFor('udp', '8.8.8.8', 53, '10.0.0.2', 6000)?.name).toBe('dig');
    expect(a.appFor('udp', '10.0.0.2', 6001, '8.8.8.8', 53)).toBeUndefined();
  });

  it('keeps at most maxSockets (dropping the oldest, counted) and reads /proc within its budget', () => {
    const t = table();
    const inodes = Array.from({ length: 500 }, (_, i) => 1000 + i);
    const p = processes(new Map(inodes.map((inode, i) => [10_000 + i, { inodes: [inode], name: `p${i}` }])));
    let clock = 0;
    const a = new AppAttributor({ sockets: t, processes: p, selfUid: () => 0, userName: () => null, now: () => clock, cpuMs: () => 0, maxSockets: 100, procReadsPerSecond: 300 });
    t.sockets = inodes.map((inode, i) => sock(inode, 0, 20_000 + i));
    a.tick(true);
    expect(a.stats()).toMatchObject({ sockets: 100, socketsDropped: 400 });
    // 300 reads a second: two per process here, so 150 processes in the first second.
    expect(p.reads).toBe(300);
    expect(a.stats().procBudgetExhausted).toBe(1);
    clock += 1000;
    a.tick(true);
    expect(p.reads).toBe(600);
    expect(a.appFor('tcp', '10.0.0.2', 20_499, '93.184.216.34', 443)?.name).toBe('p499');
  });

  it('gives up on an inode no process holds after one pass over every process, and does not look again', () => {
    const t = table();
    const p = processes(new Map([[1, { inodes: [5], name: 'a' }], [2, { inodes: [6], name: 'b' }]]));
    const a = new AppAttributor({ sockets: t, processes: p, selfUid: () => 0, userName: () => null, now: () => 0, cpuMs: () => 0 });
    t.sockets = [sock(99, 0, 1234)];
    a.tick(true);
    expect(a.stats()).toMatchObject({ inodesResolved: 0, inodesNotFound: 1 });
    const reads = p.reads;
    a.tick(true);
    expect(p.reads).toBe(reads);
    expect(a.appFor('tcp', '10.0.0.2', 1234, '93.184.216.34', 443)).toBeUndefined();
  });

  it('dumps again only when the counters moved or the refresh is due, and within its share of the CPU', () => {
    const t = table();
    let counters = { tcp: '1', udp: '1' };
    t.activity = () => counters;
    let clock = 0;
    let cpu = 0;
    const tcp = t.tcp;
    // Each TCP dump costs 2 ms of CPU, and so takes 2 ms.
    t.tcp = () => {
      cpu += 2;
      clock += 2;
      return tcp();
    };
    const a = new AppAttributor({ sockets: t, processes: processes(new Map()), selfUid: () => 0, userName: () => null, now: () => clock, cpuMs: () => cpu });
    a.tick();
    expect(t.dumps).toBe(1);
    clock += 15;
    a.tick();
    expect(t.dumps).toBe(1);
    counters = { tcp: '2', udp: '1' };
    // 2 ms of a 10 % share: the next dump waits until 20 ms after the last.
    a.tick();
    expect([t.dumps, a.stats().dumpsDeferred]).toEqual([1, 1]);
    clock += 13;
    a.tick();
    expect(t.dumps).toBe(2);
    clock += 2000;
    a.tick();
    expect(t.dumps).toBe(3);
  });

  it('keeps naming short-lived clients when a dump reads as costly because the CPU was shared (other threads, preemption)', () => {
    // A TCP dump costs 3 ms; ticks every 15 ms; a client (pid 900+k) holds its socket 60 ms, then exits with it.
    const t = table();
    let clock = 0;
    let cpu = 0;
    /** What the process's other threads (the garbage collector's) or other processes add while the next dump runs. */
    let sharedCpu = 0;
    let sharedWall = 0;
    const tcp = t.tcp;
    t.tcp = () => {
      cpu += 3 + sharedCpu;
      clock += 3 + sharedWall;
      sharedCpu = 0;
      sharedWall = 0;
      return tcp();
    };
    let counted = 0;
    t.activity = () => ({ tcp: String(counted), udp: '0' });
    const held = new Map<number, { inodes: number[]; name: string }>([[1, { inodes: [], name: 'init' }]]);
    const a = new AppAttributor({ sockets: t, processes: processes(held), selfUid: () => 1000, userName: () => 'alice', now: () => clock, cpuMs: () => cpu });
    const clients: { port: number; pid: number; until: number }[] = [];
    const connect = (k: number) => {
      const pid = 900 + k;
      held.set(pid, { inodes: [5000 + k], name: 'curl' });
      t.sockets.push(sock(5000 + k, 1000, 41_000 + k));
      clients.push({ port: 41_000 + k, pid, until: clock + 60 });
      counted++;
    };
    const runFor = (ms: number) => {
      const end = clock + ms;
      while (clock < end) {
        for (const c of clients.filter((x) => x.until <= clock && held.has(x.pid))) {
          held.delete(c.pid);
          t.sockets = t.sockets.filter((s) => s.localPort !== c.port);
          counted++;
        }
        a.tick();
        clock += 15;
      }
    };
    runFor(100);
    // The garbage collector's threads ran 20 ms while this dump ran: it reads as 23 ms of CPU.
    sharedCpu = 20;
    connect(0);
    runFor(30);
    connect(1);
    runFor(100);
    // Preempted and shared at once: 20 ms of CPU over 60 ms of wall.
    sharedCpu = 20;
    sharedWall = 57;
    connect(2);
    runFor(70);
    connect(3);
    runFor(100);
    for (const c of clients) expect(a.appFor('tcp', '10.0.0.2', c.port, '93.184.216.34', 443), `client ${c.pid}`).toMatchObject({ name: 'curl', pid: c.pid });
    // Still within its share: 3 ms a dump, at most 10 % of the time run.
    expect((t.dumps * 3) / clock).toBeLessThanOrEqual(0.1);
  });

  it('names a client that closed its socket and exited while the dump that showed it ran (a loaded machine)', () => {
    const t = table();
    let clock = 0;
    let counted = 0;
    t.activity = () => ({ tcp: String(counted), udp: '0' });
    const held = new Map<number, { inodes: number[]; name: string }>([[1, { inodes: [], name: 'init' }], [50, { inodes: [7], name: 'sshd' }]]);
    const p = processes(held);
    const a = new AppAttributor({ sockets: t, processes: p, selfUid: () => 1000, userName: () => 'alice', now: () => clock, cpuMs: () => clock });
    a.tick();
    clock += 15;
    // curl starts and connects; the next dump takes 40 ms of wall time, and curl exits meanwhile.
    held.set(4321, { inodes: [77], name: 'curl' });
    t.sockets = [sock(77, 1000, 45_840)];
    counted++;
    const tcp = t.tcp;
    t.tcp = () => {
      const shown = tcp();
      clock += 40;
      held.delete(4321);
      return shown;
    };
    a.tick();
    expect(a.appFor('tcp', '10.0.0.2', 45_840, '93.184.216.34', 443)).toEqual({ label: 'curl', pid: 4321, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false });
    expect(a.stats().inodesNotFound).toBe(0);
    // Processes there from the start are never read before a dump; a new one is, before each dump while it is young (one read: it holds no socket).
    const reads = p.reads;
    t.tcp = tcp;
    held.set(4400, { inodes: [], name: 'sleep' });
    for (let i = 0; i < 5; i++) {
      clock += 15;
      counted++;
      a.tick();
    }
    expect(p.reads - reads).toBe(5);
  });
});
