/** One netmon per history database: two real `serve` processes on the same data, and the lock's life. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import { getJson, runServeToExit, startServe } from '../../helpers/serve-process';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-instance-lock-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a second netmon on the same history database', () => {
  it('is refused with the holder\'s pid and the way out, and the first one keeps running', async () => {
    const db = path.join(dir, 'shared.sqlite');
    const first = await startServe(['--bind', '127.0.0.1:0', '--db', db]);
    try {
      const lock = `${db}.lock`;
      expect(fs.statSync(lock).mode & 0o777).toBe(0o600);
      const second = await runServeToExit(['--bind', '127.0.0.1:0', '--db', db]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`netmon serve: another Netmon (pid ${first.child.pid}) is using the history database ${db}`);
      expect(second.stderr).toContain('--db PATH');
      // The same data directory through the default path ($XDG_DATA_HOME/netmon/history.sqlite) is the same database.
      const dataHome = path.join(dir, 'data');
      const a = await startServe(['--bind', '127.0.0.1:0'], { XDG_DATA_HOME: dataHome });
      try {
        const b = await runServeToExit(['--bind', '127.0.0.1:0'], { XDG_DATA_HOME: dataHome });
        expect(b.code).toBe(1);
        expect(b.stderr).toContain(`(pid ${a.child.pid}) is using the history database ${path.join(dataHome, 'netmon', 'history.sqlite')}`);
      } finally {
        await a.stop();
      }
      // A database of its own is the way out.
      const other = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'other.sqlite')]);
      await other.stop();
      expect((await getJson<CaptureStatus>(`${first.url}/api/capture/status`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(fs.existsSync(`${db}.lock`)).toBe(false);
  });

  it('takes over a lock whose process is gone (killed), and releases its own on exit', async () => {
    const db = path.join(dir, 'stale.sqlite');
    const killed = await startServe(['--bind', '127.0.0.1:0', '--db', db]);
    killed.child.kill('SIGKILL');
    await killed.stop();
    expect(JSON.parse(fs.readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: killed.child.pid });
    const next = await startServe(['--bind', '127.0.0.1:0', '--db', db]);
    try {
      expect(JSON.parse(fs.readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: next.child.pid });
    } finally {
      expect(await next.stop()).toBe(0);
    }
    expect(fs.existsSync(`${db}.lock`)).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process (a reused pid: another start time)', async () => {
    const db = path.join(dir, 'reused.sqlite');
    // This test's own process runs, but started at another time than the lock says.
    fs.writeFileSync(`${db}.lock`, JSON.stringify({ pid: process.pid, started: '1' }), { mode: 0o600 });
    const serve = await startServe(['--bind', '127.0.0.1:0', '--db', db]);
    try {
      expect(JSON.parse(fs.readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: serve.child.pid });
    } finally {
      await serve.stop();
    }
  });
});
