import type { PacketRecord } from '../pipeline/packet-sink';
import type { ExportFormat, ExportOptions, SpoolExport } from './export-stream';
import { exportFromSpool } from './export-stream';
import type { FlowSelection, PacketSpoolOptions, SpoolStats } from './packet-spool';
import { PacketSpool } from './packet-spool';

/** What a client asks for (the `export` request's parameters). */
export interface ExportRequest {
  /** Flow ids from the flow table; an empty list exports the whole capture. */
  flowIds: readonly number[];
  format: ExportFormat;
  /** Inclusive bounds, seconds since the epoch. */
  from?: number;
  to?: number;
}

export interface SessionSpoolOptions extends PacketSpoolOptions {
  /** Interface name for pcapng interface blocks (the session's interface list, or the replayed file's name). */
  interfaceName: (ifIndex: number) => string | undefined;
}

/**
 * The spool of one capture session, as the engine and the capture service
 * use it: `packet(rec, flowId)` right after the flow table's `observe` (with
 * -1 for packets outside any flow), `tick()` from the session's wall-clock
 * timer for live captures, `export()` for the `export` request, `close()`
 * when the session is forgotten.
 */
export class SessionSpool {
  readonly spool: PacketSpool;
  private readonly interfaceName: (ifIndex: number) => string | undefined;

  constructor(options: SessionSpoolOptions) {
    this.spool = new PacketSpool(options);
    this.interfaceName = options.interfaceName;
  }

  packet(rec: PacketRecord, flowId: number): void {
    this.spool.append(rec, flowId);
  }

  /** Applies the age limit while a live capture is quiet; `nowSec` is wall-clock seconds. */
  tick(nowSec: number): void {
    this.spool.advanceTime(nowSec);
  }

  /** Throws ExportError (kind `bad-request` or `mixed-link-types`) before producing anything. */
  export(request: ExportRequest, signal?: AbortSignal, extra: Pick<ExportOptions, 'chunkBytes' | 'comment'> = {}): SpoolExport {
    const selection: FlowSelection = request.flowIds.length === 0 ? { kind: 'all' } : { kind: 'flows', flowIds: request.flowIds };
    return exportFromSpool(this.spool, {
      ...extra,
      selection,
      format: request.format,
      range: { from: request.from, to: request.to },
      interfaceName: (ifIndex) => this.interfaceName(ifIndex),
      signal,
    });
  }

  stats(): SpoolStats {
    return this.spool.stats();
  }

  close(): void {
    this.spool.close();
  }
}
