import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec as sudoExec } from 'sudo-prompt';
import { captureRightsCommand } from './security-policy';

export type ElevationOutcome = { ok: true } | { ok: false; declined: boolean; message: string };

/** A file of the packaged app that the asar archive holds unpacked. */
function unpacked(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/**
 * Copies netmon-capture and capture-rights.sh out of the app into a private
 * temporary directory (root cannot read an AppImage's FUSE mount) and gives
 * the command that installs them as root for `user`.
 */
export async function stageCaptureRights(binDir: string, user: string): Promise<{ dir: string; command: string }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'netmon-rights-'));
  const script = path.join(dir, 'capture-rights.sh');
  const program = path.join(dir, 'netmon-capture');
  await fsp.copyFile(unpacked(path.join(binDir, 'capture-rights.sh')), script);
  await fsp.copyFile(unpacked(path.join(binDir, 'netmon-capture')), program);
  await fsp.chmod(program, 0o755);
  return { dir, command: captureRightsCommand(script, program, user) };
}

/**
 * Installs netmon-capture with the system's graphical authentication prompt.
 * The app never runs privileged: root runs capture-rights.sh, a POSIX shell
 * script, on copies staged outside the app.
 */
export async function installCaptureRights(binDir: string): Promise<ElevationOutcome> {
  const staged = await stageCaptureRights(binDir, os.userInfo().username);
  try {
    return await new Promise((resolve) => {
      sudoExec(staged.command, { name: 'Netmon' }, (error, _stdout, stderr) => {
        if (!error) return resolve({ ok: true });
        const declined = /did not grant permission|User did not grant/i.test(error.message);
        resolve({ ok: false, declined, message: declined ? 'Capture rights were not granted.' : `${error.message}\n${String(stderr ?? '')}`.trim() });
      });
    });
  } finally {
    await fsp.rm(staged.dir, { recursive: true, force: true });
  }
}
