import { execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killGroup, spawnInGroup } from './process-groups';

/**
 * Two network namespaces joined by a veth pair, for live-capture tests.
 * Names are unique per test run; addresses come from 198.18.0.0/15 (the
 * benchmarking range of RFC 2544), so nothing leaves the pair. IPv6 is off
 * and neighbours are static, so the only packets on the link are the ones a
 * test sends.
 */
export interface VethPair {
  /** Namespace and interface of the sending side. */
  nsA: string;
  ifA: string;
  addrA: string;
  macA: string;
  /** Namespace and interface of the receiving side (where capture runs). */
  nsB: string;
  ifB: string;
  addrB: string;
  macB: string;
  /** Runs a command inside a namespace and returns its stdout. */
  exec(ns: string, cmd: string, args: string[], options?: { input?: string; timeoutMs?: number }): string;
  /** Starts a command inside a namespace, in a process group of its own that `destroy` kills if it still runs. */
  spawn(ns: string, cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Kills the process groups of what `spawn` started and still runs, then removes both namespaces (and with them
   *  the veth pair). Safe to call twice. */
  destroy(): void;
}

let counter = 0;
const live = new Set<VethPair>();

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** True when this process may create namespaces (root with CAP_SYS_ADMIN and iproute2). */
export function canCreateNamespaces(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function createVethPair(): VethPair {
  counter += 1;
  // Interface names are limited to 15 bytes.
  const tag = `${(process.pid % 46656).toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const nsA = `nmA${tag}`;
  const nsB = `nmB${tag}`;
  const ifA = `nva${tag}`;
  const ifB = `nvb${tag}`;
  // A /30 per pair from 198.18.0.0/15, so concurrent pairs never overlap.
  const slot = (process.pid * 31 + counter * 7) % 32768;
  const base = 198 * 2 ** 24 + 18 * 2 ** 16 + slot * 4;
  const addrA = toDotted(base + 1);
  const addrB = toDotted(base + 2);
  const macA = `02:6e:6d:00:00:01`;
  const macB = `02:6e:6d:00:00:02`;

  const spawned: ChildProcess[] = [];
  const pair: VethPair = {
    nsA, ifA, addrA, macA, nsB, ifB, addrB, macB,
    exec(ns, cmd, args, options = {}) {
      return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], {
        input: options.input,
        timeout: options.timeoutMs ?? 30_000,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    },
    spawn(ns, cmd, args, options = {}) {
      const child = spawnInGroup('ip', ['netns', 'exec', ns, cmd, ...args], options);
      spawned.push(child);
      return child;
    },
    destroy() {
      if (!live.delete(pair)) return;
      // A process left running keeps its namespace alive after `netns del`: a test that failed, timed out or
      // forgot one must not leave it (and what it started) behind.
      for (const child of spawned.splice(0)) killGroup(child);
      for (const ns of [nsA, nsB]) {
        try {
          ip(['netns', 'del', ns]);
        } catch {
          // Already gone.
        }
      }
    },
  };
  live.add(pair);
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', ifA, 'netns', nsA, 'address', macA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB, 'address', macB]);
    for (const [ns, ifc, addr, peerAddr, peerMac] of [
      [nsA, ifA, addrA, addrB, macB],
      [nsB, ifB, addrB, addrA, macA],
    ] as const) {
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.all.disable_ipv6=1`], { stdio: 'ignore' });
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.default.disable_ipv6=1`], { stdio: 'ignore' });
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', ifc]);
      ip(['-n', ns, 'neigh', 'add', peerAddr, 'lladdr', peerMac, 'dev', ifc, 'nud', 'permanent']);
      ip(['-n', ns, 'link', 'set', ifc, 'up']);
    }
  } catch (err) {
    pair.destroy();
    throw err;
  }
  return pair;
}

/** A veth link between the root namespace and one namespace of a pair (to reach a service running in the root namespace). */
export interface RootLink {
  rootIf: string;
  rootAddr: string;
  nsIf: string;
  nsAddr: string;
}

let rootLinks = 0;

/** Root-namespace link addresses are shared by every test process: each /30 slot is claimed by an exclusive file. */
const ROOT_LINK_SLOTS = 64;
const claimedSlots = new Set<string>();

function slotClaimFile(slot: number): string {
  return path.join(os.tmpdir(), `netmon-test-root-link-${slot}.claim`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Root-namespace test links take their /30s from 100.100.100.0/24 (shared address space, RFC 6598): an address on a
 * root interface is one of this machine's own, and tests written with documentation addresses (198.51.100.0/24,
 * 203.0.113.0/24) as remote hosts would see those turn local while a link exists.
 */
const ROOT_LINK_PREFIX = '100.100.100.';

/** A free /30 of ROOT_LINK_PREFIX in the root namespace, claimed for this process until it exits. */
function claimRootLinkSlot(): number {
  // A link left behind by a test run that died keeps its addresses: never reuse a /30 still on an interface.
  const inUse = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const start = Math.floor(Math.random() * ROOT_LINK_SLOTS);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < ROOT_LINK_SLOTS; i++) {
      const slot = (start + i) % ROOT_LINK_SLOTS;
      if (inUse.includes(` ${ROOT_LINK_PREFIX}${slot * 4 + 1}/`) || inUse.includes(` ${ROOT_LINK_PREFIX}${slot * 4 + 2}/`)) continue;
      const file = slotClaimFile(slot);
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
        claimedSlots.add(file);
        return slot;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A claim left by a process that died is taken over on the second pass.
        const holder = Number(fs.readFileSync(file, 'utf8'));
        if (pass === 1 && !(holder > 0 && processAlive(holder))) fs.rmSync(file, { force: true });
      }
    }
  }
  throw new Error(`every root-namespace test link slot (${ROOT_LINK_SLOTS}) is claimed by a running process`);
}

function releaseRootLinkSlots(): void {
  for (const file of claimedSlots) fs.rmSync(file, { force: true });
  claimedSlots.clear();
}

/**
 * Joins `ns` (a namespace of `pair`) to the root namespace by a second veth
 * pair, addressed from ROOT_LINK_PREFIX. The link goes with the
 * namespace when the pair is destroyed. Traffic on it never touches the
 * pair's own link, so captures there stay exact.
 */
export function linkToRoot(pair: VethPair, ns: string): RootLink {
  rootLinks += 1;
  const tag = `${(process.pid % 46656).toString(36)}${rootLinks.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const rootIf = `nrr${tag}`;
  const nsIf = `nrn${tag}`;
  const slot = claimRootLinkSlot();
  const rootAddr = `${ROOT_LINK_PREFIX}${slot * 4 + 1}`;
  const nsAddr = `${ROOT_LINK_PREFIX}${slot * 4 + 2}`;
  if (ns !== pair.nsA && ns !== pair.nsB) throw new Error(`${ns} is not a namespace of this pair`);
  ip(['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns]);
  ip(['addr', 'add', `${rootAddr}/30`, 'dev', rootIf]);
  ip(['link', 'set', rootIf, 'up']);
  ip(['-n', ns, 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf]);
  ip(['-n', ns, 'link', 'set', nsIf, 'up']);
  return { rootIf, rootAddr, nsIf, nsAddr };
}

/** Lets `ns` reach `addr`, an address of the root namespace, over its link. */
export function routeToRoot(ns: string, link: RootLink, addr: string): void {
  ip(['-n', ns, 'route', 'add', `${addr}/32`, 'dev', link.nsIf]);
}

/** Removes every pair this process created and has not destroyed yet. */
export function destroyAllVethPairs(): void {
  for (const pair of [...live]) pair.destroy();
}

function toDotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

// Namespaces outlive the process: remove ours even when a test run dies.
process.once('exit', () => {
  destroyAllVethPairs();
  releaseRootLinkSlots();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    destroyAllVethPairs();
    releaseRootLinkSlots();
    process.kill(process.pid, signal);
  });
}
