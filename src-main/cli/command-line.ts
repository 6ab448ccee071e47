import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** A command line that cannot be read: the command prints the message with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * `node:util` parseArgs, strict (unknown options and missing values are errors), its
 * errors turned into UsageError: Node's own messages name the option at fault.
 */
export function parseCommandLine<T extends ParseArgsConfig & { strict: true }>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (err instanceof TypeError && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) throw new UsageError(err.message);
    throw err;
  }
}
