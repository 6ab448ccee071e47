import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AF_INET, AF_INET6, AF_UNSPEC, IPPROTO_TCP, IPPROTO_UDP, parseSockDiag } from './sock-diag-parser';
import type { SocketEntry } from './sock-diag-parser';

/**
 * The socket table of the helper's network namespace: every TCP and UDP
 * socket, IPv4 and IPv6, in two dumps of different cost (TCP walks the whole
 * connection hash), and the kernel's counters of opened connections and
 * datagrams, which say when a dump is worth its cost.
 */
export interface SocketTable {
  tcp(): SocketEntry[];
  udp(): SocketEntry[];
  /** Counters that move when TCP connections open (active and passive) and when UDP datagrams pass; null when unknown (dump every time). */
  activity(): { tcp: number; udp: number } | null;
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
  const helperRoot = path.resolve(__dirname, '..');
  const candidates = [
    path.join(helperRoot, 'addon', 'build', 'Release', 'netmon_sockets.node'),
    path.resolve(helperRoot, '..', '..', 'src-capture-helper', 'addon', 'build', 'Release', 'netmon_sockets.node'),
  ];
  const file = candidates.find((f) => fs.existsSync(f));
  if (file === undefined) return { unavailable: `the sockets addon is not built (looked in ${candidates.join(', ')})` };
  let addon: SocketsAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as SocketsAddon;
  } catch (err) {
    return { unavailable: `the sockets addon does not load: ${(err as Error).message}` };
  }
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
  return { table: { tcp, udp, activity: snmpActivity() } };
}

/**
 * Reads /proc/net/snmp (this namespace's) through one open descriptor: a
 * re-read from offset 0 costs tens of microseconds, where opening the file
 * each time costs ten times more.
 */
function snmpActivity(): () => { tcp: number; udp: number } | null {
  let fd: number | null;
  try {
    fd = fs.openSync('/proc/net/snmp', 'r');
  } catch {
    fd = null;
  }
  const buffer = Buffer.alloc(8192);
  return () => {
    if (fd === null) return null;
    let text: string;
    try {
      text = buffer.toString('latin1', 0, fs.readSync(fd, buffer, 0, buffer.length, 0));
    } catch {
      return null;
    }
    return snmpCounters(text);
  };
}

/** Opened TCP connections (ActiveOpens + PassiveOpens) and UDP datagrams (InDatagrams + OutDatagrams) of a /proc/net/snmp text; null when it has none. */
export function snmpCounters(text: string): { tcp: number; udp: number } | null {
  const tcp = snmpRow(text, 'Tcp');
  const udp = snmpRow(text, 'Udp');
  if (tcp === null || udp === null) return null;
  const sum = (row: Map<string, number>, a: string, b: string) => (row.get(a) ?? 0) + (row.get(b) ?? 0);
  return { tcp: sum(tcp, 'ActiveOpens', 'PassiveOpens'), udp: sum(udp, 'InDatagrams', 'OutDatagrams') };
}

/** A /proc/net/snmp section: a line of names, then a line of values, both led by `Name:`. */
function snmpRow(text: string, name: string): Map<string, number> | null {
  const lead = `${name}: `;
  const first = text.indexOf(`\n${lead}`);
  const at = text.startsWith(lead) ? 0 : first < 0 ? -1 : first + 1;
  if (at < 0) return null;
  const namesEnd = text.indexOf('\n', at);
  if (namesEnd < 0 || !text.startsWith(lead, namesEnd + 1)) return null;
  const valuesEnd = text.indexOf('\n', namesEnd + 1);
  const names = text.slice(at + lead.length, namesEnd).split(' ');
  const values = text.slice(namesEnd + 1 + lead.length, valuesEnd < 0 ? undefined : valuesEnd).split(' ');
  return new Map(names.map((n, i) => [n, Number(values[i])]));
}
