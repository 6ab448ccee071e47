import os from 'node:os';
import { exec as sudoExec } from 'sudo-prompt';
import { helperInstallCommand } from './security-policy';

export type ElevationOutcome = { ok: true } | { ok: false; declined: boolean; message: string };

/**
 * Runs the helper's one-time `install` with the system's graphical
 * authentication prompt. The app itself never runs privileged: only this one
 * command does, and it only sets up the helper's capture rights.
 */
export function runHelperInstall(runtime: string, helperEntry: string): Promise<ElevationOutcome> {
  const command = helperInstallCommand(runtime, helperEntry, os.userInfo().username);
  return new Promise((resolve) => {
    sudoExec(command, { name: 'Netmon' }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const declined = /did not grant permission|User did not grant/i.test(error.message);
      resolve({ ok: false, declined, message: declined ? 'Capture rights were not granted.' : `${error.message}\n${String(stderr ?? '')}`.trim() });
    });
  });
}
