import type { RequestErrorCode } from '../protocol/messages';
import type { PacketSink } from '../pipeline/packet-sink';

/** Which code path delivers live packets; the UI shows it. */
export type CapturePath = 'netmon-capture' | 'cap';

export interface LiveCaptureOptions {
  /** Interfaces to capture on; the index in this list becomes PacketRecord.ifIndex. */
  interfaces: string[];
  /** BPF filter applied to every interface; empty or absent for none. */
  bpf?: string;
  /** Bytes kept of each packet (netmon-capture; `cap` always keeps 65535). */
  snaplen?: number;
  /** Promiscuous mode (netmon-capture; `cap` is always promiscuous). */
  promisc?: boolean;
  /** Kernel ring size in bytes per interface. */
  bufferSize?: number;
  /** Longest delay before a partly filled ring block reaches the helper. */
  timeoutMs?: number;
  /** Largest batch netmon-capture writes at once. */
  batchBytes?: number;
}

export interface LiveInterfaceStats {
  name: string;
  linkType: number;
  /** Packets handed to the sink. */
  packets: number;
  bytes: number;
  /** Packets the kernel saw (absent on the `cap` path, which has no pcap_stats). */
  received: number | null;
  /** Kernel drops (ring full); null when the path cannot tell. */
  kernelDrops: number | null;
  interfaceDrops: number | null;
  /** Packets the helper itself discarded. */
  helperDrops: number;
}

export interface LiveStats {
  path: CapturePath;
  interfaces: LiveInterfaceStats[];
}

/** What both live paths count themselves for each interface they capture on. */
export interface CountedInterface {
  name: string;
  linkType: number;
  packets: number;
  bytes: number;
}

/** A path's stats from its own counts, plus what the kernel told it (null: nothing) and the drops it made. */
export function liveStats<S extends CountedInterface>(
  path: CapturePath,
  interfaces: readonly S[],
  kernel: (s: S) => { received: number; kernelDrops: number; interfaceDrops: number } | null,
  helperDrops: (s: S) => number,
): LiveStats {
  return {
    path,
    interfaces: interfaces.map((s) => {
      const k = kernel(s);
      return {
        name: s.name, linkType: s.linkType, packets: s.packets, bytes: s.bytes,
        received: k?.received ?? null, kernelDrops: k?.kernelDrops ?? null, interfaceDrops: k?.interfaceDrops ?? null,
        helperDrops: helperDrops(s),
      };
    }),
  };
}

/** Error of a running capture (vanished interface, device error). */
export interface LiveCaptureError {
  iface: string;
  message: string;
  code: string;
}

/** A live packet source feeding one PacketSink. */
export interface LiveSource {
  readonly path: CapturePath;
  /** Link type of each interface, in the order given. */
  readonly linkTypes: readonly number[];
  /** What the user should know about this path's limits (e.g. `cap` has no wire length). */
  readonly caveats: readonly string[];
  start(sink: PacketSink, onError: (err: LiveCaptureError) => void): void;
  stats(): LiveStats;
  /** Ends the capture; resolves once the packets it had taken are delivered and stats() is final. */
  stop(): Promise<void>;
}

export const LIVE_DEFAULTS = {
  snaplen: 262144,
  promisc: true,
  bufferSize: 32 * 1024 * 1024,
  timeoutMs: 100,
} as const;

/** A live-capture failure with a stable code the client can act on. */
export class LiveCaptureOpenError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly iface: string,
  ) {
    super(message);
    this.name = 'LiveCaptureOpenError';
  }

  /** Missing or outdated capture rights, a capture that did not open in time, else a bad interface or filter. */
  get requestErrorCode(): RequestErrorCode {
    if (this.code === 'EPERM' || this.code === 'EACCES' || this.code === 'ENOTSUP' || this.code === 'ESTALE') return 'permission';
    if (this.code === 'ETIMEDOUT' || this.code === 'EPROTO') return 'unavailable';
    return 'invalid';
  }
}
