import type { NatsConnection } from '@nats-io/nats-core';
import { createInbox } from '@nats-io/nats-core';
import type { EventMap, RequestParams, RequestResult } from '../../src-capture-helper/protocol/messages';
import { HelperRequestError } from '../core/helper-client';
import type { ExportOrigin } from './probe-flow-ids';
import type { ExportRequestBody } from './wire';
import { decodeExportReply, encodeWire, subjects, WIRE_VERSION } from './wire';

/** An export whose probe sends nothing for this long fails. */
const EXPORT_FIRST_REPLY_MS = 5000;
const EXPORT_IDLE_MS = 30_000;

/** An export the probes could not deliver: the probe is gone or silent, or its part was lost on the bus. */
function probeUnavailable(message: string): HelperRequestError {
  return new HelperRequestError('unavailable', 'ProbeExportError', message);
}

/**
 * Exports of probes' flows by request/reply on the bus: each probe keeps its own packets, so
 * the one that holds the flows streams the file's chunks back; a cancel goes to that probe.
 */
export class ProbeExports {
  private readonly exportProbes = new Map<number, string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly emitChunk: (chunk: EventMap['exportChunk'], data: Buffer) => void,
  ) {}

  cancel(exportId: number): { cancelled: boolean } {
    const probe = this.exportProbes.get(exportId);
    if (probe === undefined) return { cancelled: false };
    this.nc.publish(subjects.exportCancel(probe), new TextEncoder().encode(String(exportId)));
    return { cancelled: true };
  }

  /** Asks the probe that holds the flows for their packets and streams its reply as the helper's export would. */
  async run(origin: ExportOrigin, params: RequestParams<'export'>): Promise<RequestResult<'export'>> {
    const { probe, session } = origin;
    const request: ExportRequestBody = {
      v: WIRE_VERSION, sessionId: session, exportId: params.exportId, format: params.format, flowIds: origin.flowIds,
      ...(params.from !== undefined ? { from: params.from } : {}),
      ...(params.to !== undefined ? { to: params.to } : {}),
    };
    const { nc } = this;
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    this.exportProbes.set(params.exportId, probe);
    let timer: NodeJS.Timeout | null = null;
    let failure: Error | null = null;
    const arm = (ms: number, message: string) => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        failure = probeUnavailable(message);
        sub.unsubscribe();
      }, ms);
    };
    try {
      nc.publish(subjects.exportRequest(probe), encodeWire(request), { reply: inbox });
      arm(EXPORT_FIRST_REPLY_MS, `probe ${probe} did not answer the export request`);
      let seq = 0;
      for await (const m of sub) {
        arm(EXPORT_IDLE_MS, `probe ${probe} stopped sending the export`);
        const reply = decodeExportReply(m.data);
        if (reply.seq !== seq) throw probeUnavailable(`part of the export from probe ${probe} was lost on the bus`);
        seq++;
        if (reply.kind === 'error') throw new HelperRequestError('invalid', 'ProbeExportError', `probe ${probe}: ${reply.message}`);
        if (reply.kind === 'done') return { exportId: params.exportId, ...reply.result };
        this.emitChunk({
          exportId: params.exportId, seq: reply.seq, packets: 0, bytes: 0,
          packetsDone: reply.packetsDone, packetsTotal: reply.packetsTotal, bytesDone: reply.bytesDone, bytesTotal: reply.bytesTotal,
        }, Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
      }
      throw failure ?? probeUnavailable(`the export from probe ${probe} ended early`);
    } finally {
      if (timer !== null) clearTimeout(timer);
      sub.unsubscribe();
      this.exportProbes.delete(params.exportId);
    }
  }
}
