import type { ApiError, ApiResult, ExportProgress, ExportRequest } from '../../transport/api-types';
import type { Transport } from '../../transport/transport';

/** What the Export screen shows when an export ends. */
export interface ExportDone {
  packets: number;
  bytes: number;
  missingPackets: number;
  /** The file Electron wrote, or the name of the browser download. */
  location: string;
  cancelled: boolean;
}

export interface RunningExport {
  cancel(): void;
  done: Promise<ApiResult<ExportDone>>;
}

/** How long the browser waits for the final progress event (it carries the summary) after the download ended. */
const SUMMARY_WAIT_MS = 3000;

function fileNameOf(disposition: string | null, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m?.[1] ?? fallback;
}

/**
 * Runs one export. Electron: the `export.start` channel (main asks where to
 * save and writes the file). Browser: `POST /api/export` with the bearer
 * token, the body saved through a download link; the summary comes with the
 * final `export.progress` event of that export.
 */
export function runExport(
  transport: Transport,
  request: ExportRequest,
  token: string | null,
  onProgress: (p: ExportProgress) => void,
): RunningExport {
  let exportId: string | null = null;
  const finals = new Map<string, ExportProgress>();
  const waiters = new Map<string, (p: ExportProgress) => void>();
  const off = transport.on('export.progress', (p) => {
    // Electron learns the id from the first event: this screen runs one export at a time.
    if (transport.kind === 'electron' && exportId === null) exportId = p.exportId;
    if (p.done) {
      finals.set(p.exportId, p);
      waiters.get(p.exportId)?.(p);
    }
    if (p.exportId === exportId) onProgress(p);
  });
  if (transport.kind === 'electron') {
    const done = transport.request('export.start', request).then((r): ApiResult<ExportDone> => {
      off();
      if (!r.ok) return r;
      return { ok: true, value: { packets: r.value.packets, bytes: r.value.bytes, missingPackets: r.value.missingPackets, location: r.value.location, cancelled: false } };
    });
    return {
      cancel: () => {
        if (exportId !== null) void transport.request('export.cancel', { exportId });
      },
      done,
    };
  }
  const abort = new AbortController();
  const done = (async (): Promise<ApiResult<ExportDone>> => {
    try {
      const res = await fetch('/api/export', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(request),
        signal: abort.signal,
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
        return { ok: false, error: { code: (body?.error?.code ?? 'internal') as ApiError['code'], message: body?.error?.message ?? `the server answered ${res.status}` } };
      }
      const id = res.headers.get('X-Netmon-Export-Id');
      exportId = id;
      const blob = await res.blob();
      const name = fileNameOf(res.headers.get('Content-Disposition'), `netmon.${request.format}`);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const final = id === null ? undefined : finals.get(id) ?? await new Promise<ExportProgress | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), SUMMARY_WAIT_MS);
        waiters.set(id, (p) => {
          clearTimeout(timer);
          resolve(p);
        });
      });
      return { ok: true, value: { packets: final?.packets ?? 0, bytes: final?.bytes ?? 0, missingPackets: final?.missingPackets ?? 0, location: name, cancelled: false } };
    } catch (err) {
      if (abort.signal.aborted) return { ok: true, value: { packets: 0, bytes: 0, missingPackets: 0, location: '', cancelled: true } };
      return { ok: false, error: { code: 'unavailable', message: `the download failed: ${(err as Error).message}` } };
    } finally {
      off();
    }
  })();
  // Closing the request makes the server cancel the export.
  return { cancel: () => abort.abort(), done };
}
