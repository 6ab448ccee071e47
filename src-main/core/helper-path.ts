import fs from 'node:fs';
import path from 'node:path';
import type { HelperLaunch } from './helper-supervisor';

/**
 * Path of the capture helper's entry script in this build. Main starts the
 * helper as a separate process and never imports its internals.
 */
export function helperEntryPath(): string {
  return path.join(__dirname, '..', '..', 'src-capture-helper', 'cli.js');
}

/** Where `netmon install` puts the helper runtime (root-owned, group netmon, capture capabilities); see docs/privileges.md. */
export const INSTALLED_HELPER = {
  nodePath: '/opt/netmon/helper/bin/node',
  entry: '/opt/netmon/helper/lib/src-capture-helper/cli.js',
} as const;

/**
 * The installed helper when this user may run it (member of its group),
 * otherwise this build's helper, which captures only when started with rights
 * (root) and replays files in any case.
 */
export function preferredHelperLaunch(): HelperLaunch {
  try {
    fs.accessSync(INSTALLED_HELPER.nodePath, fs.constants.X_OK);
    return { kind: 'spawn', nodePath: INSTALLED_HELPER.nodePath, entry: INSTALLED_HELPER.entry };
  } catch {
    return { kind: 'spawn' };
  }
}
