import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import type { NativeLiveHandle, NativeStats, NetmonPcapAddon } from './native-addon';
import type { LiveCaptureError, LiveCaptureOptions, LiveSource, LiveStats } from './live-types';
import { LIVE_DEFAULTS, LiveCaptureOpenError } from './live-types';

interface Slot {
  name: string;
  handle: NativeLiveHandle;
  linkType: number;
  packets: number;
  bytes: number;
  /** Batches whose packets the sink failed on: those packets count as helper drops. */
  sinkDrops: number;
  /** Counters read just before the handle closed (pcap_stats needs an open handle). */
  final: NativeStats | null;
}

/**
 * Live capture through the batching addon: one JS call per pcap_dispatch
 * batch, records unpacked into one reused PacketRecord.
 */
export class AddonLiveSource implements LiveSource {
  readonly path = 'addon' as const;
  readonly caveats: readonly string[] = [];
  private readonly slots: Slot[] = [];
  private readonly headerBytes: number;

  /** Opens every interface and applies the filter; on any failure nothing stays open. */
  constructor(addon: NetmonPcapAddon, options: LiveCaptureOptions) {
    if (options.interfaces.length === 0) throw new LiveCaptureOpenError('no interface to capture on', 'EINVAL', '');
    this.headerBytes = addon.recordHeaderBytes;
    try {
      for (const name of options.interfaces) {
        let handle: NativeLiveHandle;
        try {
          handle = new addon.LiveHandle({
            iface: name,
            snaplen: options.snaplen ?? LIVE_DEFAULTS.snaplen,
            promisc: options.promisc ?? LIVE_DEFAULTS.promisc,
            bufferSize: options.bufferSize ?? LIVE_DEFAULTS.bufferSize,
            timeoutMs: options.timeoutMs ?? LIVE_DEFAULTS.timeoutMs,
            batchBytes: options.batchBytes ?? LIVE_DEFAULTS.batchBytes,
          });
        } catch (err) {
          throw toOpenError(err, name);
        }
        this.slots.push({ name, handle, linkType: handle.linkType, packets: 0, bytes: 0, sinkDrops: 0, final: null });
        if (options.bpf) {
          try {
            handle.setFilter(options.bpf);
          } catch (err) {
            throw toOpenError(err, name);
          }
        }
      }
    } catch (err) {
      this.stop();
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
        bytes: new Uint8Array(0),
        offset: 0,
        length: 0,
      };
      let view: DataView | undefined;
      const header = this.headerBytes;
      slot.handle.start(
        (buffer, count, used) => {
          if (view === undefined || view.buffer !== buffer.buffer) {
            view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
          }
          let off = 0;
          let delivered = 0;
          try {
            for (let i = 0; i < count && off + header <= used; i++) {
              const caplen = view.getUint32(off, true);
              record.wireLength = view.getUint32(off + 4, true);
              record.tsSec = view.getUint32(off + 8, true) + view.getInt32(off + 12, true) * 4294967296;
              record.tsNsec = view.getUint32(off + 16, true);
              record.bytes = buffer;
              record.offset = off + header;
              record.length = caplen;
              sink.packet(record);
              delivered++;
              slot.bytes += record.wireLength;
              off += (header + caplen + 7) & ~7;
            }
          } catch (err) {
            // A failing consumer is a bug of ours: count what it lost, stop
            // this interface and report, instead of killing the helper.
            slot.sinkDrops += count - delivered;
            slot.packets += delivered;
            this.closeSlot(slot);
            onError({ iface: slot.name, message: `packet processing failed: ${(err as Error).message}`, code: 'EINTERNAL' });
            return;
          }
          slot.packets += delivered;
        },
        (message, code) => {
          this.closeSlot(slot);
          onError({ iface: slot.name, message, code });
        },
      );
    });
  }

  stats(): LiveStats {
    return {
      path: this.path,
      interfaces: this.slots.map((s) => {
        const st = s.final ?? readStats(s.handle);
        return {
          name: s.name,
          linkType: s.linkType,
          packets: s.packets,
          bytes: s.bytes,
          received: st.received ?? null,
          kernelDrops: st.kernelDrops ?? null,
          interfaceDrops: st.interfaceDrops ?? null,
          helperDrops: st.helperDrops + s.sinkDrops,
        };
      }),
    };
  }

  stop(): void {
    for (const slot of this.slots) this.closeSlot(slot);
  }

  private closeSlot(slot: Slot): void {
    if (slot.final) return;
    let last: NativeStats | null = null;
    try {
      last = slot.handle.stats();
    } catch {
      // A vanished interface has no kernel counters left; keep the helper's.
    }
    slot.handle.close();
    slot.final = last ?? slot.handle.stats();
  }
}

function readStats(handle: NativeLiveHandle): NativeStats {
  try {
    return handle.stats();
  } catch {
    return { helperDrops: 0 };
  }
}

function toOpenError(err: unknown, iface: string): LiveCaptureOpenError {
  const e = err as { message?: string; code?: string };
  return new LiveCaptureOpenError(e.message ?? String(err), typeof e.code === 'string' ? e.code : 'EPCAP', iface);
}
