import fs from 'node:fs/promises';
import path from 'node:path';
import type { ApiResult } from '../api/types/results';

/**
 * Where a client may name a capture file for replay: inside the replay directory the user
 * configured (`capture.replayDir`), and nowhere else. A path outside gets the same answer
 * whether or not it exists, so a client cannot probe the file system; symbolic links are
 * followed before the check, so a link inside cannot point outside.
 */
export async function resolveReplayFile(replayDir: string, file: string): Promise<ApiResult<string>> {
  const refused: ApiResult<string> = {
    ok: false,
    error: {
      code: 'permission',
      message: replayDir === ''
        ? 'this server replays only files it is given: upload the capture, or set capture.replayDir in its settings to name files there'
        : `only files inside the replay directory ${replayDir} can be named; upload other captures`,
    },
  };
  if (replayDir === '') return refused;
  let root: string;
  try {
    root = await fs.realpath(replayDir);
  } catch {
    return { ok: false, error: { code: 'unavailable', message: `the replay directory ${replayDir} cannot be read` } };
  }
  const lexical = path.resolve(root, file);
  if (!isInside(root, lexical)) return refused;
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch {
    return { ok: false, error: { code: 'not-found', message: `no file ${path.relative(root, lexical)} in the replay directory` } };
  }
  return isInside(root, real) ? { ok: true, value: real } : refused;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
