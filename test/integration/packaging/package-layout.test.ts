import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * electron-builder's --dir build, offline: Electron's binary cannot be
 * downloaded here, so a stand-in Electron distribution (electronDist) takes
 * its place and native modules are not rebuilt for Electron's ABI (that
 * needs Electron's headers). Everything Netmon adds to the layout is checked.
 */
const REPO = path.resolve(__dirname, '../../..');

describe('packaged layout (electron-builder --dir with a stand-in Electron)', () => {
  let work: string;
  let app: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-package-'));
    const dist = path.join(work, 'electron-dist');
    fs.mkdirSync(path.join(dist, 'locales'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'electron'), '#!/bin/sh\necho stand-in for Electron\n', { mode: 0o755 });
    for (const f of ['chrome-sandbox', 'LICENSE', 'version']) fs.writeFileSync(path.join(dist, f), '');
    const out = path.join(work, 'release');
    execFileSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--dir', '--linux', `-c.electronDist=${dist}`, '-c.npmRebuild=false', `-c.directories.output=${out}`], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000,
    });
    app = path.join(out, 'linux-unpacked');
  }, 300_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('ships netmon-capture and its install script unpacked and runnable, and no Node runtime of its own', () => {
    const bin = path.join(app, 'resources', 'app.asar.unpacked', 'dist', 'bin');
    const program = path.join(bin, 'netmon-capture');
    expect(fs.statSync(program).mode & 0o111).toBe(0o111);
    const version = fs.readFileSync(path.join(REPO, 'dist', 'bin', 'netmon-capture.version'), 'utf8').trim();
    expect(execFileSync(program, ['--version'], { encoding: 'utf8' })).toBe(`netmon-capture ${version} protocol 1\n`);
    expect(fs.readFileSync(path.join(bin, 'netmon-capture.version'), 'utf8').trim()).toBe(version);
    expect(spawnSync('sh', ['-n', path.join(bin, 'capture-rights.sh')]).status).toBe(0);
    expect(fs.existsSync(path.join(app, 'resources', 'node-runtime'))).toBe(false);
    expect(fs.readdirSync(path.join(app, 'resources')).sort()).toEqual(['app.asar', 'app.asar.unpacked', 'demo.pcapng']);
  });

  it('keeps the helper, the dashboard and the tray icon in the archive and the native modules outside it', () => {
    const listing = execFileSync(process.execPath, [require.resolve('@electron/asar/bin/asar.js'), 'list', path.join(app, 'resources', 'app.asar')], { encoding: 'utf8' }).split('\n');
    for (const f of ['/assets/icon.png', '/dist/src-capture-helper/cli.js', '/dist/src-main/electron/main.js', '/dist/renderer/index.html']) expect(listing).toContain(f);
    expect(listing.some((f) => f.endsWith('.map'))).toBe(false);
    const unpacked = path.join(app, 'resources', 'app.asar.unpacked', 'node_modules');
    expect(fs.existsSync(path.join(unpacked, 'cap', 'build', 'Release', 'cap.node'))).toBe(true);
    expect(fs.existsSync(path.join(unpacked, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    // The helper's addons, where its loader looks for them from the archive (addon/load-addon.ts).
    const addons = path.join(app, 'resources', 'app.asar.unpacked', 'src-capture-helper', 'addon', 'build', 'Release');
    for (const target of ['netmon_privileges', 'netmon_sockets']) expect(fs.existsSync(path.join(addons, `${target}.node`)), target).toBe(true);
  });
});
