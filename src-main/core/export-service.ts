import { randomInt } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { EventMap } from '../../src-capture-helper/protocol/messages';
import type { ExportProgress, ExportRequest, ExportSummary } from '../api/types/export';
import type { FlowFilter } from '../api/types/flows';
import type { ApiError, ApiResult } from '../api/types/results';
import { apiErrorOfHelperFailure } from './helper-client';
import type { HelperPort } from './helper-port';
import type { Logger } from './log';

/** Flows the helper accepts in one export request. */
const MAX_EXPORT_FLOWS = 100_000;
/** Bytes written to a sink and not yet flushed beyond which the export is cancelled (a receiver that stopped reading). */
export const MAX_SINK_PENDING_BYTES = 64 * 1024 * 1024;
/** At most one progress event per export in this interval (plus the final one). */
const PROGRESS_INTERVAL_MS = 200;
/** Exports running at once; more are refused rather than queued. */
const MAX_RUNNING = 8;

export interface ExportServiceDeps {
  helper: () => HelperPort | null;
  /** The capture session the dashboard shows (whole-capture and filter exports come from it). */
  captureId: () => string | null;
  /** Ids (`session:n`) of the flows that match a filter, active and finished, at most `limit`. */
  flowIdsMatching: (filter: FlowFilter, limit: number) => string[];
  emitProgress: (progress: ExportProgress) => void;
  logger: Logger;
}

/** An export request checked and mapped onto the helper's ids, ready to stream. */
export interface ExportPlan {
  exportId: string;
  helperExportId: number;
  sessionId: string;
  /** Helper flow ids; empty = every packet of the session still in the spool. */
  flowIds: number[];
  format: 'pcapng' | 'pcap';
  from?: number;
  to?: number;
  /** A file name to offer: `netmon-<session>-<UTC time>.<format>`. */
  fileName: string;
  contentType: string;
}

export interface ExportOutcome extends ExportSummary {
  fileBytes: number;
  missingBytes: number;
  cancelled: boolean;
}

function fail<T>(code: ApiError['code'], message: string): ApiResult<T> {
  return { ok: false, error: { code, message } };
}

/** Media types of the two formats (`application/vnd.tcpdump.pcap` is the IANA registration). */
export function exportContentType(format: 'pcapng' | 'pcap'): string {
  return format === 'pcapng' ? 'application/x-pcapng' : 'application/vnd.tcpdump.pcap';
}

function hasCriteria(filter: FlowFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0));
}

/** Splits main's flow id `session:n` into the helper's session and flow number. */
export function parseFlowId(id: string): { sessionId: string; flowId: number } | null {
  const colon = id.lastIndexOf(':');
  if (colon <= 0) return null;
  const n = Number(id.slice(colon + 1));
  if (!Number.isSafeInteger(n) || n < 0 || id.slice(colon + 1) === '') return null;
  return { sessionId: id.slice(0, colon), flowId: n };
}

/**
 * Cuts pcap/pcapng files of selected flows out of the helper's packet spool:
 * maps main's flow ids (or the current filter) onto the helper's, streams the
 * chunks into a sink with progress events, cancels on request or when the
 * receiver goes away, and returns the summary with what had left the spool.
 */
export class ExportService {
  private readonly running = new Map<string, () => void>();
  /** Exports cancelled because the sink did not keep up. */
  sinkOverflows = 0;

  constructor(private readonly deps: ExportServiceDeps) {}

  /** Checks a request and resolves its flows; nothing is sent to the helper yet. */
  plan(request: ExportRequest, nowMs = Date.now()): ApiResult<ExportPlan> {
    if (request.fromMs !== undefined && request.toMs !== undefined && request.fromMs > request.toMs) {
      return fail('invalid', 'the time range ends before it starts');
    }
    let sessionId: string | null;
    let flowIds: number[];
    if (request.flowIds !== undefined) {
      if (request.flowIds.length === 0) return fail('invalid', 'select at least one flow, or export the whole capture');
      const parsed = request.flowIds.map((id) => ({ id, parsed: parseFlowId(id) }));
      const bad = parsed.find((p) => p.parsed === null);
      if (bad !== undefined) return fail('invalid', `not a flow id: ${JSON.stringify(bad.id.slice(0, 80))}`);
      const sessions = new Set(parsed.map((p) => p.parsed?.sessionId));
      if (sessions.size > 1) return fail('invalid', 'the selected flows belong to different captures; export them one capture at a time');
      sessionId = parsed[0].parsed?.sessionId ?? null;
      flowIds = [...new Set(parsed.map((p) => p.parsed?.flowId ?? 0))];
    } else {
      sessionId = this.deps.captureId();
      if (sessionId === null) return fail('unavailable', 'there is no capture to export from');
      if (request.filter !== undefined && hasCriteria(request.filter)) {
        const prefix = `${sessionId}:`;
        const ids = this.deps.flowIdsMatching(request.filter, MAX_EXPORT_FLOWS + 1).filter((id) => id.startsWith(prefix));
        if (ids.length === 0) return fail('not-found', 'no flow of the current capture matches the filter');
        if (ids.length > MAX_EXPORT_FLOWS) return fail('invalid', `more than ${MAX_EXPORT_FLOWS} flows match the filter; narrow it or export the whole capture`);
        flowIds = [...new Set(ids.map((id) => parseFlowId(id)?.flowId ?? 0))];
      } else {
        flowIds = [];
      }
    }
    if (sessionId === null) return fail('invalid', 'no flow selected');
    const refusal = this.deps.helper()?.checkExport?.(flowIds) ?? null;
    if (refusal !== null) return fail('invalid', refusal);
    const helperExportId = randomInt(1, 0x7fffffff);
    const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return {
      ok: true,
      value: {
        exportId: String(helperExportId),
        helperExportId,
        sessionId,
        flowIds,
        format: request.format,
        ...(request.fromMs !== undefined ? { from: request.fromMs / 1000 } : {}),
        ...(request.toMs !== undefined ? { to: request.toMs / 1000 } : {}),
        fileName: `netmon-${sessionId.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}.${request.format}`,
        contentType: exportContentType(request.format),
      },
    };
  }

  /**
   * Streams a planned export into `sink`. On success the sink is ended and
   * flushed; on failure or cancel it is destroyed (the caller removes a partial
   * file). `signal` cancels, as `cancel(exportId)` does; `beforeEnd` sees the
   * summary before the sink ends (HTTP trailers).
   */
  async run(
    plan: ExportPlan,
    sink: Writable,
    location: string,
    options: { signal?: AbortSignal; beforeEnd?: (summary: ExportOutcome) => void } = {},
  ): Promise<ApiResult<ExportOutcome>> {
    const { signal } = options;
    const helper = this.deps.helper();
    if (helper === null) return fail('unavailable', 'the capture helper is not running');
    if (this.running.size >= MAX_RUNNING) return fail('conflict', `${MAX_RUNNING} exports are already running`);
    const { exportId, helperExportId } = plan;
    let cancelled = false;
    let failure: string | null = null;
    let packetsDone = 0;
    let bytesDone = 0;
    let packetsTotal = 0;
    let lastProgress = 0;
    const cancel = (reason: string | null) => {
      if (reason !== null && failure === null) failure = reason;
      if (cancelled) return;
      cancelled = true;
      helper.request('exportCancel', { exportId: helperExportId }, { timeoutMs: 5000 })
        .catch((err: unknown) => this.deps.logger.debug({ err, exportId }, 'export cancel not delivered'));
    };
    const onSinkError = (err: Error) => cancel(`cannot write the export: ${err.message}`);
    sink.on('error', onSinkError);
    const onAbort = () => cancel(null);
    if (signal?.aborted === true) return fail('conflict', 'the export was cancelled before it started');
    signal?.addEventListener('abort', onAbort);
    this.running.set(exportId, () => cancel(null));
    const progress = (done: boolean, extra: Partial<ExportProgress> = {}) => {
      this.deps.emitProgress({
        exportId, packets: packetsDone, bytes: bytesDone, packetsTotal, missingPackets: 0, cancelled, error: failure, done, ...extra,
      });
    };
    const onChunk = (chunk: EventMap['exportChunk'], meta: { attachment?: Buffer }) => {
      if (chunk.exportId !== helperExportId || cancelled) return;
      const data = meta.attachment;
      if (data === undefined) return cancel('the helper sent an export chunk without data');
      sink.write(data);
      packetsDone = chunk.packetsDone;
      bytesDone = chunk.bytesDone;
      packetsTotal = chunk.packetsTotal;
      if (sink.writableLength > MAX_SINK_PENDING_BYTES) {
        this.sinkOverflows++;
        return cancel(`the receiver stopped reading (more than ${MAX_SINK_PENDING_BYTES} bytes waiting)`);
      }
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        progress(false);
      }
    };
    const unsubscribe = helper.on('exportChunk', onChunk);
    try {
      const result = await helper.request('export', {
        sessionId: plan.sessionId,
        exportId: helperExportId,
        flowIds: plan.flowIds,
        format: plan.format,
        ...(plan.from !== undefined ? { from: plan.from } : {}),
        ...(plan.to !== undefined ? { to: plan.to } : {}),
      }, { timeoutMs: 0 });
      cancelled ||= result.cancelled;
      if (cancelled) {
        sink.destroy();
        progress(true, { missingPackets: result.missingPackets });
        if (failure !== null) return fail('internal', failure);
        return { ok: true, value: { ...this.summary(result, location), cancelled: true } };
      }
      const summary = { ...this.summary(result, location), cancelled: false };
      options.beforeEnd?.(summary);
      await finish(sink);
      progress(true, { packets: result.packets, bytes: result.bytes, missingPackets: result.missingPackets });
      this.deps.logger.info({ exportId, packets: result.packets, missing: result.missingPackets }, 'export written');
      return { ok: true, value: summary };
    } catch (err) {
      sink.destroy();
      failure ??= (err as Error).message;
      cancelled = true;
      progress(true);
      const refusal = apiErrorOfHelperFailure(err);
      if (refusal !== null) return fail(refusal.code, refusal.code === 'unavailable' ? `capture helper: ${failure}` : failure);
      this.deps.logger.error({ err, exportId }, 'export failed');
      return fail('internal', failure);
    } finally {
      unsubscribe();
      sink.off('error', onSinkError);
      signal?.removeEventListener('abort', onAbort);
      this.running.delete(exportId);
    }
  }

  cancel(exportId: string): ApiResult<{ exportId: string }> {
    const cancel = this.running.get(exportId);
    if (cancel === undefined) return fail('not-found', `no running export ${JSON.stringify(exportId.slice(0, 80))}`);
    cancel();
    return { ok: true, value: { exportId } };
  }

  private summary(result: { exportId: number; packets: number; bytes: number; fileBytes: number; missingPackets: number; missingBytes: number }, location: string): Omit<ExportOutcome, 'cancelled'> {
    return {
      exportId: String(result.exportId),
      packets: result.packets,
      bytes: result.bytes,
      fileBytes: result.fileBytes,
      missingPackets: result.missingPackets,
      missingBytes: result.missingBytes,
      location,
    };
  }
}

function finish(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once('error', reject);
    sink.end(() => resolve());
  });
}
