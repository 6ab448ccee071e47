import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import type { LiveCaptureError, LiveCaptureOptions, LiveSource, LiveStats } from './live-types';
import { LIVE_DEFAULTS, LiveCaptureOpenError, liveStats } from './live-types';
import { GRANT_COMMAND } from './capture-program';

/** The part of the `cap` package this path uses. */
interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}
interface CapModule {
  Cap: new () => CapInstance;
}

/** LINKTYPE numbers for the names `cap` returns from open(). */
const CAP_LINK_TYPES: Record<string, number> = {
  NULL: 0,
  ETHERNET: 1,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: 113,
  RAW: 101,
};

/** Largest packet `cap` captures (its snaplen is fixed at 65535). */
const CAP_SNAPLEN = 65535;

interface Slot {
  name: string;
  cap: CapInstance;
  buffer: Buffer;
  linkType: number;
  packets: number;
  bytes: number;
  helperDrops: number;
  closed: boolean;
}

/**
 * Live capture in this process through the `cap` package: the path where
 * netmon-capture does not run (Windows, with Npcap), and one that works only
 * when this process itself may capture. It costs one JS callback per packet, gives neither timestamps nor the wire
 * length nor pcap_stats, and is always promiscuous: packets are stamped with
 * the helper's clock on arrival and their wire length is the captured length.
 */
export class CapLiveSource implements LiveSource {
  readonly path = 'cap' as const;
  readonly caveats: readonly string[] = [
    'timestamps are taken by the helper on arrival, not by the kernel',
    'wire length is the captured length',
    'kernel drops are not reported (no pcap_stats)',
    'one callback per packet: packets are lost above a few tens of thousands per second',
    'an interface that disappears during capture ends the helper process (cap asserts instead of reporting)',
  ];
  private readonly slots: Slot[] = [];

  constructor(capModule: CapModule, options: LiveCaptureOptions) {
    if (options.interfaces.length === 0) throw new LiveCaptureOpenError('no interface to capture on', 'EINVAL', '');
    const bufSize = options.bufferSize ?? LIVE_DEFAULTS.bufferSize;
    try {
      for (const name of options.interfaces) {
        const cap = new capModule.Cap();
        const buffer = Buffer.alloc(CAP_SNAPLEN);
        let linkName: string;
        try {
          linkName = cap.open(name, options.bpf ?? '', bufSize, buffer);
        } catch (err) {
          // cap's close() crashes on a handle whose open() failed, so none is attempted.
          throw classifyCapError(err, name, options.bpf);
        }
        const linkType = CAP_LINK_TYPES[linkName];
        const slot: Slot = { name, cap, buffer, linkType: linkType ?? -1, packets: 0, bytes: 0, helperDrops: 0, closed: false };
        this.slots.push(slot);
        if (linkType === undefined) {
          throw new LiveCaptureOpenError(`${name}: link type ${linkName} is not supported on the cap path`, 'ENOTSUP', name);
        }
      }
    } catch (err) {
      this.closeAll();
      throw err;
    }
  }

  get linkTypes(): readonly number[] {
    return this.slots.map((s) => s.linkType);
  }

  start(sink: PacketSink, onError: (err: LiveCaptureError) => void): void {
    this.slots.forEach((slot, ifIndex) => {
      const record: PacketRecord = {
        ifIndex,
        linkType: slot.linkType,
        tsSec: 0,
        tsNsec: 0,
        hasTimestamp: true,
        wireLength: 0,
        bytes: slot.buffer,
        offset: 0,
        length: 0,
      };
      slot.cap.on('packet', (nbytes) => {
        if (slot.closed) return;
        // The wall clock now, as the kernel's stamps read it: a monotonic clock anchored at the process's start
        // drifts from it (and its anchor has only whole milliseconds), so stamps could fall before the kernel's.
        const nowMs = Date.now();
        const sec = Math.floor(nowMs / 1000);
        record.tsSec = sec;
        record.tsNsec = (nowMs - sec * 1000) * 1_000_000;
        record.wireLength = nbytes;
        record.length = Math.min(nbytes, slot.buffer.length);
        try {
          sink.packet(record);
        } catch (err) {
          slot.helperDrops++;
          this.closeSlot(slot);
          onError({ iface: slot.name, message: `packet processing failed: ${(err as Error).message}`, code: 'EINTERNAL' });
          return;
        }
        slot.packets++;
        slot.bytes += nbytes;
      });
    });
  }

  stats(): LiveStats {
    // No pcap_stats on this path: the kernel's counters are unknown.
    return liveStats(this.path, this.slots, () => null, (s) => s.helperDrops);
  }

  /** Waits one libpcap timeout, so packets the kernel already holds arrive, then closes every handle. */
  async stop(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, LIVE_DEFAULTS.timeoutMs + 50));
    this.closeAll();
  }

  private closeAll(): void {
    for (const slot of this.slots) this.closeSlot(slot);
  }

  private closeSlot(slot: Slot): void {
    if (slot.closed) return;
    slot.closed = true;
    slot.cap.close();
  }
}

function classifyCapError(err: unknown, iface: string, bpf: string | undefined): LiveCaptureOpenError {
  const message = (err as Error).message ?? String(err);
  if (/No such device/i.test(message)) return new LiveCaptureOpenError(`cannot capture on ${iface}: ${message}`, 'ENODEV', iface);
  if (/permission|not permitted/i.test(message)) {
    return new LiveCaptureOpenError(
      `cannot capture on ${iface}: ${message}; the cap path captures in this process, which has no capture rights: use the netmon-capture path, set up once with '${GRANT_COMMAND}'`,
      'EPERM',
      iface,
    );
  }
  if (bpf && /syntax|parse|filter|unknown|expression/i.test(message)) {
    return new LiveCaptureOpenError(`invalid capture filter '${bpf}': ${message}`, 'EBPF', iface);
  }
  return new LiveCaptureOpenError(`cannot capture on ${iface}: ${message}`, 'EPCAP', iface);
}
