import path from 'node:path';
import type { HelperLaunch } from './helper-supervisor';

/**
 * Path of the capture helper's entry script in this build. Main starts the
 * helper as a separate process and never imports its internals.
 */
export function helperEntryPath(): string {
  return path.join(__dirname, '..', '..', 'src-capture-helper', 'cli.js');
}

/**
 * The helper runs as this user on this runtime (Electron itself, as Node, in
 * the app): it holds no rights. It finds netmon-capture, the one program
 * that does, itself (src-capture-helper/live/capture-program.ts).
 */
export function preferredHelperLaunch(): Extract<HelperLaunch, { kind: 'spawn' }> {
  return { kind: 'spawn' };
}
