import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceLock, InstanceLockedError } from '../../../src-main/core/instance-lock';

let dir: string;
let db: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-lock-'));
  db = path.join(dir, 'history.sqlite');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A pid that ran and is gone: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('InstanceLock', () => {
  it('is a 0600 file beside the database naming this process, removed on release', () => {
    const lock = InstanceLock.acquire(db);
    expect(lock.file).toBe(`${db}.lock`);
    expect(fs.statSync(lock.file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
  });

  it('refuses a second holder while the first runs, naming its pid and the way out', () => {
    const lock = InstanceLock.acquire(db);
    try {
      expect(() => InstanceLock.acquire(db)).toThrow(InstanceLockedError);
      expect(() => InstanceLock.acquire(db)).toThrow(`another Netmon (pid ${process.pid}) is using the history database ${db}`);
      expect(() => InstanceLock.acquire(db)).toThrow('--db PATH');
    } finally {
      lock.release();
    }
    InstanceLock.acquire(db).release();
  });

  it('takes over a lock whose process is gone, and one it cannot read', () => {
    fs.writeFileSync(`${db}.lock`, JSON.stringify({ pid: deadPid(), started: null }), { mode: 0o600 });
    const lock = InstanceLock.acquire(db);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    // An unreadable lock may be a holder between its create and its write: looked at again after a moment, then taken.
    fs.writeFileSync(`${db}.lock`, 'not json', { mode: 0o600 });
    InstanceLock.acquire(db).release();
  });

  it('leaves a lock that another process took meanwhile in place on release', () => {
    const lock = InstanceLock.acquire(db);
    fs.writeFileSync(lock.file, JSON.stringify({ pid: 1, started: 'other' }));
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(true);
  });
});
