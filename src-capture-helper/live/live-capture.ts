import { AddonLiveSource } from './addon-source';
import { CapLiveSource } from './cap-source';
import type { CapturePath, LiveCaptureOptions, LiveSource } from './live-types';
import { LiveCaptureOpenError } from './live-types';
import { loadAddon } from './native-addon';

export type CapturePathChoice = CapturePath | 'auto';

export interface CapturePathInfo {
  /** The path `auto` takes on this installation. */
  path: CapturePath;
  /** Why the batching addon is not used, when it is not. */
  addonUnavailable: string | null;
  /** libpcap version string when the addon is loaded. */
  libpcap: string | null;
}

/** Which live path runs here, for `netmon interfaces` and the UI. */
export function capturePathInfo(): CapturePathInfo {
  const loaded = loadAddon();
  if (loaded.addon) return { path: 'addon', addonUnavailable: null, libpcap: loaded.addon.libVersion() };
  return { path: 'cap', addonUnavailable: loaded.reason, libpcap: null };
}

/**
 * Opens a live source on every interface in `options` (all or none), through
 * the batching addon when it is built, else through `cap`.
 */
export function openLiveSource(options: LiveCaptureOptions, choice: CapturePathChoice = 'auto'): LiveSource {
  const loaded = loadAddon();
  const useAddon = choice === 'addon' || (choice === 'auto' && loaded.addon !== null);
  if (useAddon) {
    if (!loaded.addon) throw new LiveCaptureOpenError(loaded.reason, 'ENOTSUP', options.interfaces[0] ?? '');
    return new AddonLiveSource(loaded.addon, options);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const capModule = require('cap') as ConstructorParameters<typeof CapLiveSource>[0];
  return new CapLiveSource(capModule, options);
}
