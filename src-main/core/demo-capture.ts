import fs from 'node:fs';
import path from 'node:path';

/**
 * The demo capture shipped with Netmon: beside the build (dist/src-main/core), beside the
 * sources (src-main/core), or in the packaged app's resources. Null when this installation has none.
 */
export function demoCapturePath(): string | null {
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  const candidates = [
    path.join(__dirname, '..', '..', '..', 'assets', 'demo.pcapng'),
    path.join(__dirname, '..', '..', 'assets', 'demo.pcapng'),
    ...(resources === undefined ? [] : [path.join(resources, 'demo.pcapng')]),
  ];
  // eslint-disable-next-line no-restricted-syntax -- looked for once, as the app starts
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
}
