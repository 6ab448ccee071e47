import type http from 'node:http';
import type { ApiError } from '../api/types/results';
import type { ExportService } from '../core/export-service';
import { checkParams } from '../core/request-params';

/** Response header naming the export, so that a client can follow its `export.progress` events and cancel it. */
export const EXPORT_ID_HEADER = 'X-Netmon-Export-Id';

/**
 * `POST /api/export`: the body is an ExportRequest (no flow ids and no filter =
 * the whole capture); the answer is the file as a download, streamed chunk by
 * chunk from the helper. Summary counts follow as HTTP trailers and in the
 * final `export.progress` event; a client that disconnects cancels the export.
 * The params go through the same validator as the `export.start` channel.
 */
export async function serveExport(
  service: ExportService,
  res: http.ServerResponse,
  body: unknown,
  headers: Record<string, string>,
  statusOf: (error: ApiError) => number,
): Promise<void> {
  const sendError = (error: ApiError) => {
    const text = JSON.stringify({ error });
    res.writeHead(statusOf(error), { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
  };
  const params = checkParams('export.start', body);
  if (!params.ok) return sendError(params.error);
  const plan = service.plan(params.value);
  if (!plan.ok) return sendError(plan.error);
  const { exportId, fileName } = plan.value;
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  res.writeHead(200, {
    ...headers,
    'Content-Type': plan.value.contentType,
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
    [EXPORT_ID_HEADER]: exportId,
    Trailer: 'X-Netmon-Packets, X-Netmon-Bytes, X-Netmon-Missing-Packets',
  });
  const outcome = await service.run(plan.value, res, `/api/export#${exportId}`, {
    signal: gone.signal,
    beforeEnd: (summary) => res.addTrailers({
      'X-Netmon-Packets': String(summary.packets),
      'X-Netmon-Bytes': String(summary.bytes),
      'X-Netmon-Missing-Packets': String(summary.missingPackets),
    }),
  });
  // Headers are out: a failure or a cancel can only cut the download short.
  if ((!outcome.ok || outcome.value.cancelled) && !res.destroyed) res.destroy();
}
