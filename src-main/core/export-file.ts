import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiResult } from '../api/types/results';
import type { ExportOutcome, ExportPlan, ExportService } from './export-service';

/**
 * Runs an export into the file the user chose, atomically: the data goes to a
 * temporary file beside the target, renamed over it only when the export is
 * complete; a failed or cancelled export leaves the target untouched.
 */
export async function exportToFile(service: ExportService, plan: ExportPlan, target: string): Promise<ApiResult<ExportOutcome>> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.partial`);
  const sink = fs.createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  let outcome: ApiResult<ExportOutcome>;
  try {
    outcome = await service.run(plan, sink, target);
    if (outcome.ok && !outcome.value.cancelled) {
      await fs.promises.rename(temp, target);
      return outcome;
    }
  } catch (err) {
    outcome = { ok: false, error: { code: 'internal', message: `cannot write ${target}: ${(err as Error).message}` } };
  }
  await fs.promises.rm(temp, { force: true });
  return outcome;
}
