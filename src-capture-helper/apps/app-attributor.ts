import { BoundedMap } from '../../src-shared/bounded-map';
import type { FlowApp } from '../protocol/messages';
import type { ProcessSource } from './proc-scanner';
import type { SocketEntry } from './sock-diag-parser';
import type { SocketActivity, SocketTable } from './sock-diag';

/**
 * Which process owns a flow, on the capture host (Linux). While a live
 * capture runs it reads the kernel's socket counts every tick (cheap) and
 * dumps the socket table (sock_diag) when they moved, at
 * least every two seconds, never above a share of one core; it keeps every
 * socket it saw for a while after it vanished, so a flow the capture delivers
 * a second later still finds the process of a connection that lasted 50 ms.
 * New socket inodes are looked up in /proc/PID/fd at once (while the process
 * still lives), newest processes first, within a budget of /proc reads per
 * second. Before a dump the counters asked for, it also reads the descriptors
 * of the processes started in the last seconds: on a loaded machine a dump takes tens of ms of
 * wall time, and a client that lives 60 ms has often closed its socket and
 * exited by the time the dump that showed it ends; what it held is known
 * from before. A socket of a user whose processes this user may not inspect is
 * "system (user N)", never a guess.
 */

export interface AttributorOptions {
  sockets: SocketTable;
  processes: ProcessSource;
  /** The helper's effective uid, asked each time (a helper started as root drops to its user once the capture is open): root may inspect every process, others only their own. */
  selfUid: () => number;
  userName: (uid: number) => string | null;
  now?: () => number;
  /**
   * CPU time this process used so far, in ms (every thread's). A dump's cost is the least of this and the wall
   * clock it took, each an upper bound of what the dump itself used: on a loaded machine the wall clock counts
   * the time others had the CPU, and this counts what the process's other threads (the garbage collector's,
   * another thread's work) did meanwhile.
   */
  cpuMs?: () => number;
  /** How often the activity counters are read. */
  tickMs?: number;
  /** Longest time between two dumps of the TCP table, and of the UDP table. */
  tcpRefreshMs?: number;
  udpRefreshMs?: number;
  /** Dumps never take more than this share of one core: a slow dump (a big connection hash, many sockets) runs less often. */
  maxDumpShare?: number;
  /** How long a vanished socket still attributes flows. */
  keepMs?: number;
  /** /proc reads (directory listings and fd links) per second. */
  procReadsPerSecond?: number;
  /** Processes this young (since first listed) have their descriptors read before a dump the counters asked for. */
  youngMs?: number;
  /** At most this many young processes read before a dump (the newest). */
  maxYoungReads?: number;
  maxSockets?: number;
  maxInodes?: number;
}

export interface AttributorStats {
  ticks: number;
  tcpDumps: number;
  udpDumps: number;
  /** Cost of the dumps, in CPU ms (each the least of the CPU and wall time it took). */
  dumpCpuMs: number;
  /** Dumps the counters asked for that waited for the CPU share. */
  dumpsDeferred: number;
  sockets: number;
  socketsDropped: number;
  inodesResolved: number;
  inodesNotFound: number;
  procReads: number;
  procBudgetExhausted: number;
  pollErrors: number;
}

interface SeenSocket {
  inode: number;
  uid: number;
  seenAt: number;
}

const DEFAULTS = {
  tickMs: 15,
  tcpRefreshMs: 2000,
  udpRefreshMs: 100,
  maxDumpShare: 0.1,
  keepMs: 10_000,
  procReadsPerSecond: 10_000,
  youngMs: 2000,
  maxYoungReads: 64,
  maxSockets: 100_000,
  maxInodes: 100_000,
};

/**
 * What one kind of dump (TCP or UDP: their costs differ tenfold) costs, reckoned as the least of its last few
 * measured costs. Each measure is an upper bound of what that dump used, overstated by whatever shared the
 * CPU meanwhile, so one overstated dump never stops the following ones for long (a dump costing 3 ms that
 * read as 20 ms would hold the next for 200 ms instead of 30, and a client that lives 60 ms would go unseen);
 * a table that grows raises every cost, and so the least, within a few dumps.
 */
class DumpCost {
  private static readonly WINDOW = 4;
  private readonly recent: number[] = [];

  /** Adds a measured cost and gives the cost to reckon with. */
  add(measured: number): number {
    this.recent.push(measured);
    if (this.recent.length > DumpCost.WINDOW) this.recent.shift();
    return Math.min(...this.recent);
  }
}

function processCpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

function tupleKey(proto: string, localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${proto} ${localAddress} ${localPort} ${remoteAddress} ${remotePort}`;
}

const WILDCARDS = ['0.0.0.0', '::'];

export class AppAttributor {
  private readonly o: Required<AttributorOptions>;
  /** Connected sockets by 5-tuple, oldest first. */
  private readonly sockets: BoundedMap<string, SeenSocket>;
  /** Unconnected UDP sockets (a client that sends with sendto) by protocol, local address and port. */
  private readonly unconnected: BoundedMap<string, SeenSocket>;
  /** What each socket inode belongs to, once known. */
  private readonly apps = new Map<number, FlowApp>();
  /** Inodes the current /proc pass looks for, with their owner; those still missing when it ends are not found. */
  private readonly pending = new Map<number, number>();
  private readonly notFound = new Set<number>();
  /** When each process was first listed (-Infinity: already there at the first listing, never young). */
  private firstListed = new Map<number, number>();
  /** Socket inodes young processes held when read before a dump, with their process. */
  private readonly heldByYoung = new BoundedMap<number, { pid: number; name: string | null; exe: string | null }>(4096);
  private pass: { pids: number[]; next: number; covers: Set<number> } | null = null;
  private knownPids = new Set<number>();
  /** The process listing of the tick in progress (null: not listed yet): the young reads and a new pass share it. */
  private tickPids: number[] | null = null;
  private budget: number;
  private budgetAt: number;
  private nextDumpAt = 0;
  private readonly tcpCost = new DumpCost();
  private readonly udpCost = new DumpCost();
  private tcpAt = -Infinity;
  private udpAt = -Infinity;
  private lastActivity: SocketActivity | null = null;
  private lastSweep = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly counters: AttributorStats = {
    ticks: 0, tcpDumps: 0, udpDumps: 0, dumpCpuMs: 0, dumpsDeferred: 0, sockets: 0, socketsDropped: 0, inodesResolved: 0, inodesNotFound: 0, procReads: 0, procBudgetExhausted: 0, pollErrors: 0,
  };

  constructor(options: AttributorOptions) {
    this.o = { ...DEFAULTS, now: () => performance.now(), cpuMs: processCpuMs, ...options };
    this.budget = this.o.procReadsPerSecond;
    this.budgetAt = this.o.now();
    // Their sizes are bounded together below (the connected go first); each alone never exceeds the bound.
    this.sockets = new BoundedMap(this.o.maxSockets);
    this.unconnected = new BoundedMap(this.o.maxSockets);
  }

  /** Ticks on a timer until stop(); `onError` hears of a failed dump once (attribution then stops). */
  start(onError: (err: Error) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.counters.pollErrors++;
        this.stop();
        onError(err as Error);
      }
    }, this.o.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Dumps what the counters say changed (or is due for a refresh), then reads
   * /proc for the inodes it showed first; `force` dumps both tables now.
   */
  tick(force = false): void {
    this.counters.ticks++;
    this.tickPids = null;
    const now = this.o.now();
    const activity = this.o.sockets.activity();
    const tcpMoved = activity === null || activity.tcp !== this.lastActivity?.tcp;
    const udpMoved = activity === null || activity.udp !== this.lastActivity?.udp;
    const tcpDue = force || tcpMoved || now - this.tcpAt >= this.o.tcpRefreshMs;
    const udpDue = force || udpMoved || now - this.udpAt >= this.o.udpRefreshMs;
    if (!tcpDue && !udpDue) return;
    if (!force && now < this.nextDumpAt) {
      // The counters keep their last dumped values, so what moved is dumped once the share allows.
      this.counters.dumpsDeferred++;
      return;
    }
    // A socket opened (or closed): the process that opened it may be gone by the time the dump ends.
    if (force || tcpMoved || udpMoved) this.readYoungProcesses(now);
    let reckoned = 0;
    if (tcpDue) {
      const started = this.costMark();
      for (const s of this.o.sockets.tcp()) this.see(s, now);
      reckoned += this.tcpCost.add(this.costSince(started));
      this.tcpAt = now;
      this.counters.tcpDumps++;
    }
    if (udpDue) {
      const started = this.costMark();
      for (const s of this.o.sockets.udp()) this.see(s, now);
      reckoned += this.udpCost.add(this.costSince(started));
      this.udpAt = now;
      this.counters.udpDumps++;
    }
    if (activity !== null) this.lastActivity = { tcp: tcpDue ? activity.tcp : this.lastActivity?.tcp ?? '', udp: udpDue ? activity.udp : this.lastActivity?.udp ?? '' };
    // /proc reads have their own budget: only the dumps count against the share.
    this.nextDumpAt = now + reckoned / this.o.maxDumpShare;
    if (now - this.lastSweep >= 1000) {
      this.forgetOlderThan(now - this.o.keepMs);
      this.lastSweep = now;
    }
    this.resolvePending();
  }

  private costMark(): { cpu: number; wall: number } {
    return { cpu: this.o.cpuMs(), wall: this.o.now() };
  }

  /** What a dump started at `mark` cost: the least of the process's CPU time and the wall time since (see cpuMs); counted in the stats. */
  private costSince(mark: { cpu: number; wall: number }): number {
    const cost = Math.max(0, Math.min(this.o.cpuMs() - mark.cpu, this.o.now() - mark.wall));
    this.counters.dumpCpuMs += cost;
    return cost;
  }

  /** The process of a flow whose endpoints are a and b (either may be this host's). */
  appFor(proto: string, a: string, portA: number, b: string, portB: number): FlowApp | undefined {
    if (proto !== 'tcp' && proto !== 'udp') return undefined;
    const seen = this.sockets.get(tupleKey(proto, a, portA, b, portB)) ?? this.sockets.get(tupleKey(proto, b, portB, a, portA)) ?? (proto === 'udp' ? this.unconnectedFor(a, portA) ?? this.unconnectedFor(b, portB) : undefined);
    return seen === undefined ? undefined : this.appOf(seen);
  }

  stats(): AttributorStats {
    return { ...this.counters, sockets: this.sockets.size + this.unconnected.size };
  }

  private unconnectedFor(address: string, port: number): SeenSocket | undefined {
    return this.unconnected.get(`udp ${address} ${port}`) ?? this.unconnected.get(`udp ${WILDCARDS[0]} ${port}`) ?? this.unconnected.get(`udp ${WILDCARDS[1]} ${port}`);
  }

  private appOf(seen: SeenSocket): FlowApp | undefined {
    // Asked first: what a helper learnt as root before it dropped to its user is not that user's to see.
    if (!this.mayInspect(seen.uid)) return this.systemApp(seen.uid);
    return this.apps.get(seen.inode);
  }

  private mayInspect(uid: number): boolean {
    const self = this.o.selfUid();
    return self === 0 || uid === self;
  }

  private systemApp(uid: number): FlowApp {
    return { label: `system (user ${uid})`, pid: null, name: null, exe: null, uid, user: this.o.userName(uid), system: true };
  }

  private see(s: SocketEntry, now: number): void {
    const connected = s.remotePort !== 0;
    const map = connected ? this.sockets : this.unconnected;
    const key = connected ? tupleKey(s.proto, s.localAddress, s.localPort, s.remoteAddress, s.remotePort) : `${s.proto} ${s.localAddress} ${s.localPort}`;
    const known = map.get(key);
    // A socket closed by its process (inode 0, TCP FIN_WAIT) keeps the owner it had.
    if (s.inode === 0) {
      if (known) known.seenAt = now;
      return;
    }
    if (known && known.inode === s.inode) {
      known.seenAt = now;
      return;
    }
    if (known) map.delete(key);
    if (this.sockets.size + this.unconnected.size >= this.o.maxSockets) {
      const oldest = this.sockets.oldest();
      if (oldest !== undefined) this.sockets.delete(oldest[0]);
      this.counters.socketsDropped++;
    }
    map.set(key, { inode: s.inode, uid: s.uid, seenAt: now });
    if (!this.mayInspect(s.uid) || this.apps.has(s.inode) || this.notFound.has(s.inode)) return;
    const young = this.heldByYoung.get(s.inode);
    if (young === undefined) {
      this.pending.set(s.inode, s.uid);
      return;
    }
    this.apps.set(s.inode, this.processApp(young.pid, s.uid, young));
    this.counters.inodesResolved++;
  }

  private forgetOlderThan(cutoff: number): void {
    const live = new Set<number>();
    for (const map of [this.sockets, this.unconnected]) {
      for (const [key, seen] of map) {
        if (seen.seenAt < cutoff) map.delete(key);
        else live.add(seen.inode);
      }
    }
    // What no kept socket refers to any more is forgotten with it.
    if (this.apps.size > this.o.maxInodes / 2) for (const inode of this.apps.keys()) if (!live.has(inode)) this.apps.delete(inode);
    if (this.notFound.size > this.o.maxInodes / 2) this.notFound.clear();
  }

  /**
   * Reads the socket inodes of the processes listed first in the last youngMs
   * (the newest first, within the read budget), so a dump that shows a socket
   * of one that has exited since still finds its process.
   */
  private readYoungProcesses(now: number): void {
    const all = this.listPids();
    const first = this.firstListed.size === 0;
    const listed = new Map<number, number>();
    for (const pid of all) listed.set(pid, this.firstListed.get(pid) ?? (first ? -Infinity : now));
    this.firstListed = listed;
    const young = all.filter((pid) => now - listed.get(pid)! < this.o.youngMs).sort((x, y) => y - x).slice(0, this.o.maxYoungReads);
    for (const pid of young) {
      if (!this.spend()) return;
      const read = this.o.processes.socketInodes(pid);
      this.charge(read?.reads ?? 1);
      if (read === null) continue;
      const unknown = read.inodes.filter((inode) => !this.apps.has(inode) && !this.heldByYoung.has(inode));
      if (unknown.length === 0) continue;
      const { name, exe } = this.o.processes.describe(pid);
      for (const inode of unknown) this.heldByYoung.set(inode, { pid, name, exe });
    }
  }

  /** Refills the /proc read budget for the time passed; false (counted) when it is spent. */
  private spend(): boolean {
    const now = this.o.now();
    this.budget = Math.min(this.o.procReadsPerSecond, this.budget + ((now - this.budgetAt) / 1000) * this.o.procReadsPerSecond);
    this.budgetAt = now;
    if (this.budget > 0) return true;
    this.counters.procBudgetExhausted++;
    return false;
  }

  private charge(reads: number): void {
    this.budget -= reads;
    this.counters.procReads += reads;
  }

  /** Walks /proc/PID/fd for the pending inodes, within the read budget; a pass ends when every process was read once. */
  private resolvePending(): void {
    if (this.pending.size === 0 && this.pass === null) return;
    if (this.pass === null) this.pass = this.newPass();
    const pass = this.pass;
    while (pass.next < pass.pids.length && this.pending.size > 0) {
      if (!this.spend()) return;
      const pid = pass.pids[pass.next++];
      const read = this.o.processes.socketInodes(pid);
      this.charge(read?.reads ?? 1);
      if (read === null) continue;
      for (const inode of read.inodes) {
        const uid = this.pending.get(inode);
        if (uid === undefined) continue;
        this.pending.delete(inode);
        this.apps.set(inode, this.processApp(pid, uid));
        this.counters.inodesResolved++;
      }
    }
    for (const inode of pass.covers) {
      if (!this.pending.has(inode)) continue;
      this.pending.delete(inode);
      this.notFound.add(inode);
      this.counters.inodesNotFound++;
    }
    this.pass = this.pending.size > 0 ? this.newPass() : null;
  }

  /** Processes started since the last pass first: a new socket most often belongs to a new process (a curl). */
  /** Lists /proc once a tick. */
  private listPids(): number[] {
    return (this.tickPids ??= this.o.processes.pids());
  }

  private newPass(): { pids: number[]; next: number; covers: Set<number> } {
    const all = this.listPids();
    const fresh = all.filter((p) => !this.knownPids.has(p)).sort((x, y) => y - x);
    const old = all.filter((p) => this.knownPids.has(p));
    this.knownPids = new Set(all);
    return { pids: [...fresh, ...old], next: 0, covers: new Set(this.pending.keys()) };
  }

  /** The app of process `pid`, described now unless what it was is already known (a young process may have exited). */
  private processApp(pid: number, uid: number, described = this.o.processes.describe(pid)): FlowApp {
    const { name, exe } = described;
    return { label: name ?? `pid ${pid}`, pid, name, exe, uid, user: this.o.userName(uid), system: false };
  }
}
