import fs from 'node:fs';
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
 * Installs netmon-capture with the system's graphical authentication prompt.
 * The app never runs privileged: root runs capture-rights.sh on a copy of the
 * program. Both are copied out of the app first into a private directory,
 * because root cannot read an AppImage's FUSE mount.
 */
export async function installCaptureRights(binDir: string): Promise<ElevationOutcome> {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-rights-'));
  try {
    const script = path.join(staging, 'capture-rights.sh');
    const program = path.join(staging, 'netmon-capture');
    fs.copyFileSync(unpacked(path.join(binDir, 'capture-rights.sh')), script);
    fs.copyFileSync(unpacked(path.join(binDir, 'netmon-capture')), program);
    fs.chmodSync(program, 0o755);
    const command = captureRightsCommand(script, program, os.userInfo().username);
    return await new Promise((resolve) => {
      sudoExec(command, { name: 'Netmon' }, (error, _stdout, stderr) => {
        if (!error) return resolve({ ok: true });
        const declined = /did not grant permission|User did not grant/i.test(error.message);
        resolve({ ok: false, declined, message: declined ? 'Capture rights were not granted.' : `${error.message}\n${String(stderr ?? '')}`.trim() });
      });
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
