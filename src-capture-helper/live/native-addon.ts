import fs from 'node:fs';
import path from 'node:path';

/** Counters of one live handle, from pcap_stats plus the addon's own. */
export interface NativeStats {
  /** Packets the kernel saw for this socket (pcap_stats ps_recv). */
  received?: number;
  /** Packets the kernel dropped because the ring was full (ps_drop). */
  kernelDrops?: number;
  /** Drops reported by the interface or driver (ps_ifdrop). */
  interfaceDrops?: number;
  /** Packets the addon could not store in its batch buffer. */
  helperDrops: number;
}

export interface NativeLiveHandleOptions {
  iface: string;
  snaplen: number;
  promisc: boolean;
  bufferSize: number;
  timeoutMs: number;
  batchBytes: number;
}

export interface NativeLiveHandle {
  readonly linkType: number;
  readonly nanoTimestamps: boolean;
  readonly warning: string | null;
  setFilter(filter: string): void;
  start(
    onBatch: (buffer: Buffer, count: number, usedBytes: number) => void,
    onError: (message: string, code: string) => void,
  ): void;
  stats(): NativeStats;
  close(): void;
}

export interface NativeInterfaceAddress {
  family: 'IPv4' | 'IPv6' | 'link';
  address: string;
  netmask: string | null;
  broadcast: string | null;
}

export interface NativeInterface {
  name: string;
  description: string | null;
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  connection: 'connected' | 'disconnected' | 'not-applicable' | 'unknown';
  addresses: NativeInterfaceAddress[];
}

export type NativeProbe =
  | { ok: true; linkType: number; linkTypeName: string | null }
  | { ok: false; error: string; permissionDenied?: boolean };

export interface NetmonPcapAddon {
  LiveHandle: new (options: NativeLiveHandleOptions) => NativeLiveHandle;
  listInterfaces(): NativeInterface[];
  probeInterface(name: string): NativeProbe;
  dropCapabilities(): void;
  setNoNewPrivs(): void;
  libVersion(): string;
  recordHeaderBytes: number;
}

const ADDON_FILE = 'netmon_pcap.node';

/**
 * Places the addon is looked for, relative to this module: beside the helper
 * in an installed runtime, and in the node-gyp output of a source checkout
 * (from dist/ or, under the test runner, from the TypeScript source).
 * There is deliberately no environment override: the installed helper runs
 * with file capabilities and must not load code a caller points it to.
 */
export function addonCandidates(): string[] {
  const helperRoot = path.resolve(__dirname, '..');
  return [
    path.join(helperRoot, 'addon', ADDON_FILE),
    path.join(helperRoot, 'addon', 'build', 'Release', ADDON_FILE),
    path.resolve(helperRoot, '..', '..', 'src-capture-helper', 'addon', 'build', 'Release', ADDON_FILE),
  ];
}

type AddonLoad = { addon: NetmonPcapAddon; file: string } | { addon: null; reason: string };

let cached: AddonLoad | undefined;

/** Loads the addon once; when absent or broken, says why (the `cap` path takes over). */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const tried: string[] = [];
  for (const file of addonCandidates()) {
    if (!fs.existsSync(file)) {
      tried.push(file);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(file) as NetmonPcapAddon;
      cached = { addon, file };
      return cached;
    } catch (err) {
      cached = { addon: null, reason: `the batching addon at ${file} failed to load: ${(err as Error).message}` };
      return cached;
    }
  }
  cached = { addon: null, reason: `the batching addon is not built (looked in ${tried.join(', ')})` };
  return cached;
}
