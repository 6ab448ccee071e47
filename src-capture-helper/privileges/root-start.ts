import type { Readable, Writable } from 'node:stream';
import { captureRights } from '../live/capture-program';
import { programArgs, spawnProgram } from '../live/program-source';
import { dropRoot, type PrivilegeOutcome } from './process-privileges';

/** A capture opened while root, for the helper to read as the user (fds 3 and 4 of `helper --handoff-iface`). */
export interface CaptureHandoff {
  interfaces: string[];
  output: Readable;
  control: Writable;
}

/**
 * `sudo netmon serve`: while still root, start netmon-capture for the
 * interfaces named on the command line (it opens them and drops to the
 * invoking user itself), then make this process the invoking user. The
 * returned handoff goes to the helper; captures started later need the
 * installed program, as for any user. The program holds its output until the
 * helper releases it: this process holds the pipes until it passes them on,
 * and Node starts reading a child's output pipe at once, so anything the
 * program wrote before would be read here and lost to the helper.
 */
export function startAsRoot(interfaces: string[]): { handoff: CaptureHandoff | null; privileges: PrivilegeOutcome } {
  let handoff: CaptureHandoff | null = null;
  if (interfaces.length > 0) {
    const streams = spawnProgram(captureRights(), programArgs({ interfaces }), interfaces[0], true);
    handoff = { interfaces, output: streams.output, control: streams.control };
  }
  return { handoff, privileges: dropRoot() };
}
