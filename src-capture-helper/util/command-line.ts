import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/**
 * `node:util` parseArgs, strict (unknown options and missing values are errors), or the
 * message of what is wrong with the line (Node's own messages name the option at fault).
 */
export function parseCommandLine<T extends ParseArgsConfig & { strict: true }>(config: T): ReturnType<typeof parseArgs<T>> | string {
  try {
    return parseArgs(config);
  } catch (err) {
    if (err instanceof TypeError && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) return err.message;
    throw err;
  }
}
