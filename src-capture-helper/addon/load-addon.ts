import fs from 'node:fs';
import path from 'node:path';

/**
 * Loads one of the helper's own native addons (`binding.gyp`'s targets) from this build: beside the compiled
 * helper, or in the source tree when run from it. Returns the module, or why it cannot be had.
 */
export function loadHelperAddon<T>(target: 'netmon_privileges' | 'netmon_sockets'): T | { unavailable: string } {
  const helperRoot = path.resolve(__dirname, '..');
  const candidates = [
    path.join(helperRoot, 'addon', 'build', 'Release', `${target}.node`),
    path.resolve(helperRoot, '..', '..', 'src-capture-helper', 'addon', 'build', 'Release', `${target}.node`),
  ];
  const file = candidates.find((f) => fs.existsSync(f));
  if (file === undefined) return { unavailable: `the ${target} addon is not built (looked in ${candidates.join(', ')})` };
  try {
    // The one computed load in the helper: its own addon, at the path of this build (found above).
    // eslint-disable-next-line @typescript-eslint/no-require-imports, no-restricted-syntax
    return require(file) as T;
  } catch (err) {
    return { unavailable: `the ${target} addon does not load: ${(err as Error).message}` };
  }
}

export function isUnavailable<T>(loaded: T | { unavailable: string }): loaded is { unavailable: string } {
  return typeof loaded === 'object' && loaded !== null && 'unavailable' in loaded && typeof (loaded as { unavailable: unknown }).unavailable === 'string';
}
