import { CapLiveSource } from './cap-source';
import { captureRights, type CaptureRights } from './capture-program';
import { takeCaptureHandoff } from './capture-handoff';
import type { CapturePath, LiveCaptureOptions, LiveSource } from './live-types';
import { ProgramLiveSource } from './program-source';

export type CapturePathChoice = CapturePath | 'auto';

export interface CapturePathInfo {
  /** The path `auto` takes on this installation. */
  path: CapturePath;
  /** Whether and how live capture can be attempted (which program, or what to run first). */
  rights: CaptureRights;
}

/** The path `auto` takes: netmon-capture, except on Windows, where capture goes through Npcap in this process. */
export function capturePathInfo(): CapturePathInfo {
  return { path: process.platform === 'win32' ? 'cap' : 'netmon-capture', rights: captureRights() };
}

/**
 * Opens a live source on every interface in `options` (all or none): through
 * netmon-capture, or through `cap` in this process when asked (or on Windows).
 */
export async function openLiveSource(options: LiveCaptureOptions, choice: CapturePathChoice = 'auto'): Promise<LiveSource> {
  const path = choice === 'auto' ? capturePathInfo().path : choice;
  if (path === 'netmon-capture') {
    const handed = takeCaptureHandoff(options);
    return handed ? ProgramLiveSource.attach(handed, options.interfaces, 'handoff') : ProgramLiveSource.open(options);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const capModule = require('cap') as ConstructorParameters<typeof CapLiveSource>[0];
  return new CapLiveSource(capModule, options);
}
