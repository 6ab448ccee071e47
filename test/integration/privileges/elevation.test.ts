import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stageCaptureRights } from '../../../src-main/electron/elevation';
import { REPO } from '../live/live-traffic';

/**
 * The app's first-launch elevation without its password prompt: the program
 * and script are staged out of an (AppImage-like) app tree whose asar holds
 * them unpacked, then the very command sudo-prompt would run is run as root.
 */
const PREFIX = '/opt/netmon';
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v setcap useradd']).status === 0;

describe.skipIf(!canRun)('first-launch elevation', () => {
  const user = `nmel${process.pid.toString(36)}`;
  let work = '';
  let installed = false;
  afterAll(() => {
    if (installed) spawnSync('/bin/sh', [path.join(REPO, 'dist', 'bin', 'capture-rights.sh'), 'uninstall']);
    spawnSync('userdel', [user]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('copies netmon-capture out of the app, and the staged command installs it for the user', async () => {
    if (fs.existsSync(PREFIX)) throw new Error(`${PREFIX} exists: this test installs there for real`);
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-appimage-'));
    const unpackedBin = path.join(work, 'resources', 'app.asar.unpacked', 'dist', 'bin');
    fs.mkdirSync(unpackedBin, { recursive: true });
    for (const f of ['netmon-capture', 'capture-rights.sh']) fs.copyFileSync(path.join(REPO, 'dist', 'bin', f), path.join(unpackedBin, f));
    // The app asks from inside the archive; the files are found beside it, unpacked.
    const staged = await stageCaptureRights(path.join(work, 'resources', 'app.asar', 'dist', 'bin'), user);
    expect(path.dirname(staged.dir)).toBe(os.tmpdir());
    expect(fs.statSync(staged.dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(staged.dir).sort()).toEqual(['capture-rights.sh', 'netmon-capture']);
    const r = spawnSync('/bin/sh', ['-c', staged.command], { encoding: 'utf8' });
    installed = true;
    fs.rmSync(staged.dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const program = path.join(PREFIX, 'bin', 'netmon-capture');
    expect(execFileSync('getcap', [program], { encoding: 'utf8' })).toContain('cap_net_admin,cap_net_raw=ep');
    expect(execFileSync('id', ['-nG', user], { encoding: 'utf8' }).trim().split(/\s+/)).toContain('netmon');
    const version = fs.readFileSync(path.join(REPO, 'dist', 'bin', 'netmon-capture.version'), 'utf8').trim();
    const manifest = fs.readFileSync(path.join(PREFIX, 'install.env'), 'utf8');
    expect(manifest).toMatch(new RegExp(`^added_users=${user}$`, 'm'));
    expect(manifest).toMatch(new RegExp(`^version=${version.replace(/[.+]/g, '\\$&')}$`, 'm'));
  });
});
