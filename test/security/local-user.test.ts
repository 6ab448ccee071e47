/**
 * Findings 3, 8 and 9, with a second real account: another local user cannot use a user's
 * `netmon serve` (no token), read its token, history or settings, nor feed it a settings file.
 * The accounts are made with useradd and removed afterwards; the tests need root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeProcess } from '../helpers/serve-process';
import { getJson, runServeToExit, startServe } from '../helpers/serve-process';

const canSwitchUsers = process.geteuid?.() === 0 && ['useradd', 'userdel', 'runuser'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const other = `nmsec${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

/** What the other user's program could do against the serve at `url` (it runs as that user, in Node). */
const PROBE = `
const fs = require('node:fs');
const [url, tokenFile, db, settings] = process.argv.slice(2);
const tryRead = (f) => { try { fs.readFileSync(f); return 'read'; } catch (e) { return e.code; } };
(async () => {
  const stats = (await fetch(url + '/api/stats')).status;
  const exported = (await fetch(url + '/api/export', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"format":"pcap"}' })).status;
  const channel = (await fetch(url + '/api/alerts/channels', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'command', name: 'x', argv: ['/usr/bin/id'] }) })).status;
  console.log(JSON.stringify({ stats, exported, channel, token: tryRead(tokenFile), db: tryRead(db), wal: tryRead(db + '-wal'), settings: tryRead(settings) }));
})();
`;

describe.skipIf(!canSwitchUsers)("another local user against a user's netmon serve", () => {
  let work: string;
  let dataHome: string;
  let config: string;
  let serve: ServeProcess;
  let uid: number;

  beforeAll(async () => {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', other]);
    uid = Number(execFileSync('id', ['-u', other], { encoding: 'utf8' }).trim());
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sec-user-'));
    // Everything on the way is open to the other user: only Netmon's own modes protect the files.
    fs.chmodSync(work, 0o755);
    dataHome = path.join(work, 'data');
    fs.mkdirSync(dataHome, { mode: 0o755 });
    fs.writeFileSync(path.join(work, 'probe.js'), PROBE, { mode: 0o644 });
    config = path.join(work, 'netmon.yaml');
    fs.writeFileSync(config, 'log:\n  level: warn\n', { mode: 0o644 });
    // No --db: the history goes to the default data directory, as for a user who just runs `netmon serve`.
    serve = await startServe(['--bind', '127.0.0.1:0', '--config', config], { XDG_DATA_HOME: dataHome, XDG_RUNTIME_DIR: '' });
    // A settings change through the API writes the file: it stays the owner's only.
    expect((await getJson(`${serve.url}/api/settings`, { method: 'PUT', body: JSON.stringify({ flows: { tcpIdleSec: 240 } }) })).status).toBe(200);
  });

  afterAll(async () => {
    await serve?.stop();
    spawnSync('userdel', [other]);
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('keeps the data directory 0700 and the database, its WAL/SHM, the token and the settings file 0600', () => {
    const netmon = path.join(dataHome, 'netmon');
    const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
    expect(mode(netmon)).toBe('700');
    for (const f of ['history.sqlite', 'history.sqlite-wal', 'history.sqlite-shm', `serve-${new URL(serve.url).port}.token`]) {
      expect(mode(path.join(netmon, f)), f).toBe('600');
    }
    expect(mode(config)).toBe('600');
    expect(fs.readFileSync(path.join(netmon, `serve-${new URL(serve.url).port}.token`), 'utf8').trim()).toBe(serve.token);
  });

  it("refuses the other user's requests and files: no token, nothing to read", () => {
    const netmon = path.join(dataHome, 'netmon');
    const out = execFileSync('runuser', ['-u', other, '--', process.execPath, path.join(work, 'probe.js'),
      serve.url, path.join(netmon, `serve-${new URL(serve.url).port}.token`), path.join(netmon, 'history.sqlite'), config], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ stats: 401, exported: 401, channel: 401, token: 'EACCES', db: 'EACCES', wal: 'EACCES', settings: 'EACCES' });
  });

  it('refuses a settings file the other user owns or that others can write, and says why', async () => {
    const theirs = path.join(work, 'theirs.yaml');
    fs.writeFileSync(theirs, 'alerts:\n  channels: [{ id: x, kind: command, name: x, argv: [/usr/bin/id] }]\n', { mode: 0o644 });
    fs.chownSync(theirs, uid, uid);
    const owned = await runServeToExit(['--bind', '127.0.0.1:0', '--db', path.join(work, 'x.sqlite'), '--config', theirs]);
    expect(owned.code).toBe(2);
    expect(owned.stderr).toMatch(new RegExp(`refusing .*theirs\\.yaml: it belongs to another user \\(uid ${uid}\\)`));
    const shared = path.join(work, 'shared.yaml');
    fs.writeFileSync(shared, 'log:\n  level: warn\n');
    fs.chmodSync(shared, 0o666);
    const writable = await runServeToExit(['--bind', '127.0.0.1:0', '--db', path.join(work, 'y.sqlite'), '--config', shared]);
    expect(writable.code).toBe(2);
    expect(writable.stderr).toMatch(/refusing .*shared\.yaml: it is writable by group and others \(mode 0666\); run chmod go-w on it/);
  });
});
