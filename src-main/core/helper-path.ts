import path from 'node:path';

/**
 * Path of the capture helper's entry script in this build. Main starts the
 * helper as a separate process and never imports its internals.
 */
export function helperEntryPath(): string {
  return path.join(__dirname, '..', '..', 'src-capture-helper', 'cli.js');
}
