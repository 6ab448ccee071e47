import fs from 'node:fs';
import os from 'node:os';
import { isUnavailable, loadHelperAddon } from '../addon/load-addon';
import { AF_INET, AF_INET6, AF_UNSPEC, IPPROTO_TCP, IPPROTO_UDP, parseSockDiag } from './sock-diag-parser';
import type { SocketEntry } from './sock-diag-parser';

/**
 * The socket table of the helper's network namespace: every TCP and UDP
 * socket, IPv4 and IPv6, in two dumps of different cost (TCP walks the whole
 * connection hash), and the kernel's socket counts, which say when a dump
 * is worth its cost.
 */
export interface SocketTable {
  tcp(): SocketEntry[];
  udp(): SocketEntry[];
  /** What moves when sockets open and close (compared, never read as numbers); null when unknown (dump every time). */
  activity(): SocketActivity | null;
}

export interface SocketActivity {
  tcp: string;
  udp: string;
}

interface SocketsAddon {
  dumpSockets(family: number, protocol: number): { bytes: Buffer; cut: boolean };
}

type Dumps = readonly (readonly [number, number])[];
/** TCP in one walk of the connection hash for both families: its size, not the socket count, is most of a dump's cost. */
const TCP_ONE_WALK: Dumps = [[AF_UNSPEC, IPPROTO_TCP]];
/** For a kernel that refuses the older one-walk TCP request. */
const TCP_PER_FAMILY: Dumps = [
  [AF_INET, IPPROTO_TCP],
  [AF_INET6, IPPROTO_TCP],
];
const UDP: Dumps = [
  [AF_INET, IPPROTO_UDP],
  [AF_INET6, IPPROTO_UDP],
];

/**
 * The sock_diag reader through the helper's sockets addon, or the reason
 * there is none (not Linux, addon not built, sock_diag refused). One trial
 * dump decides, so a kernel without INET_DIAG is found at start, not later.
 */
export function openSockDiag(): { table: SocketTable } | { unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: `sock_diag exists only on Linux (this is ${process.platform})` };
  const addon = loadHelperAddon<SocketsAddon>('netmon_sockets');
  if (isUnavailable(addon)) return addon;
  const littleEndian = os.endianness() === 'LE';
  const reader = (dumps: Dumps) => (): SocketEntry[] => {
    const sockets: SocketEntry[] = [];
    for (const [family, protocol] of dumps) {
      const dump = addon.dumpSockets(family, protocol);
      const parsed = parseSockDiag(dump.bytes, protocol, littleEndian);
      if (parsed.status === 'error') throw new Error(`sock_diag refused the dump: errno ${parsed.errno}`);
      // A cut or malformed dump still gives the sockets read before the cut.
      for (const s of parsed.sockets) sockets.push(s);
    }
    return sockets;
  };
  const udp = reader(UDP);
  let tcp: (() => SocketEntry[]) | null = null;
  let firstError: Error | null = null;
  for (const candidate of [reader(TCP_ONE_WALK), reader(TCP_PER_FAMILY)]) {
    try {
      candidate();
      tcp = candidate;
      break;
    } catch (err) {
      firstError ??= err as Error;
    }
  }
  try {
    udp();
  } catch (err) {
    firstError ??= err as Error;
    tcp = null;
  }
  if (tcp === null) return { unavailable: firstError?.message ?? 'sock_diag failed' };
  return { table: { tcp, udp, activity: sockstatActivity() } };
}

/**
 * Reads /proc/net/sockstat and sockstat6 (this namespace's) through open
 * descriptors: a re-read from offset 0 costs a few microseconds, where
 * opening the file each time (or reading /proc/net/snmp, which sums every
 * protocol's per-CPU counters) costs ten times more.
 */
function sockstatActivity(): () => SocketActivity | null {
  const open = (file: string) => {
    try {
      return fs.openSync(file, 'r');
    } catch {
      return null;
    }
  };
  const v4 = open('/proc/net/sockstat');
  const v6 = open('/proc/net/sockstat6');
  const buffer = Buffer.alloc(4096);
  const read = (fd: number | null) => (fd === null ? '' : buffer.toString('latin1', 0, fs.readSync(fd, buffer, 0, buffer.length, 0)));
  return () => {
    try {
      return socketActivity(read(v4), read(v6));
    } catch {
      return null;
    }
  };
}

/**
 * What of /proc/net/sockstat and sockstat6 moves when a socket of this
 * namespace opens or closes: TCP sockets in use and in TIME_WAIT, UDP sockets
 * in use. Not `alloc` and `orphan` (counted over every namespace of the host)
 * nor the memory figures (they move with traffic). Null without the IPv4 file's lines.
 */
export function socketActivity(v4: string, v6: string): SocketActivity | null {
  const tcp = /^TCP: inuse (\d+) orphan \d+ tw (\d+)/m.exec(v4);
  const udp = /^UDP: inuse (\d+)/m.exec(v4);
  if (tcp === null || udp === null) return null;
  const tcp6 = /^TCP6: inuse (\d+)/m.exec(v6)?.[1] ?? '-';
  const udp6 = /^UDP6: inuse (\d+)/m.exec(v6)?.[1] ?? '-';
  return { tcp: `${tcp[1]} ${tcp[2]} ${tcp6}`, udp: `${udp[1]} ${udp6}` };
}
