import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AF_INET, AF_INET6, AF_UNSPEC, IPPROTO_TCP, IPPROTO_UDP, parseSockDiag } from './sock-diag-parser';
import type { SocketEntry } from './sock-diag-parser';

/** One read of the socket table: every TCP and UDP socket, IPv4 and IPv6, of the helper's network namespace. */
export type SocketTableReader = () => SocketEntry[];

interface SocketsAddon {
  dumpSockets(family: number, protocol: number): { bytes: Buffer; cut: boolean };
}

/** TCP in one walk of the connection hash for both families (its size, not the socket count, is most of a poll's cost), UDP per family. */
const DUMPS: readonly (readonly [number, number])[] = [
  [AF_UNSPEC, IPPROTO_TCP],
  [AF_INET, IPPROTO_UDP],
  [AF_INET6, IPPROTO_UDP],
];
/** For a kernel that refuses the older one-walk TCP request. */
const DUMPS_PER_FAMILY: readonly (readonly [number, number])[] = [
  [AF_INET, IPPROTO_TCP],
  [AF_INET6, IPPROTO_TCP],
  [AF_INET, IPPROTO_UDP],
  [AF_INET6, IPPROTO_UDP],
];

/**
 * The sock_diag reader through the helper's sockets addon, or the reason
 * there is none (not Linux, addon not built, sock_diag refused). One trial
 * dump decides, so a kernel without INET_DIAG is found at start, not later.
 */
export function openSockDiag(): { read: SocketTableReader } | { unavailable: string } {
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
  const reader = (dumps: readonly (readonly [number, number])[]): SocketTableReader => () => {
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
  let firstError: Error | null = null;
  for (const read of [reader(DUMPS), reader(DUMPS_PER_FAMILY)]) {
    try {
      read();
      return { read };
    } catch (err) {
      firstError ??= err as Error;
    }
  }
  return { unavailable: firstError?.message ?? 'sock_diag failed' };
}
