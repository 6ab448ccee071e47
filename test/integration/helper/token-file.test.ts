import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HelperSupervisor } from '../../../src-main/core/helper-supervisor';
import { HelperExited, startHelper } from '../../helpers/helper-process';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('installed helper service with a token file', () => {
  it('creates a 0600 token file, and a client that reads it connects', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-service-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'run', 'helper.sock');
    const tokenFile = path.join(dir, 'run', 'token');
    fs.mkdirSync(path.dirname(tokenFile), { mode: 0o700 });
    const helper = await startHelper([], { socketPath, tokenFile });
    cleanups.push(() => helper.stop());
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);

    const supervisor = new HelperSupervisor({ launch: { kind: 'connect', socketPath, tokenFile } });
    cleanups.push(() => supervisor.stop());
    await supervisor.start();
    expect(supervisor.status()).toMatchObject({ state: 'connected', mode: 'service', pid: helper.child.pid });
    expect((await supervisor.request('status', {})).pid).toBe(helper.child.pid);
  });

  it('reconnects to a service helper that was restarted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-service-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'helper.sock');
    const tokenFile = path.join(dir, 'token');
    const first = await startHelper([], { socketPath, tokenFile });
    cleanups.push(() => first.stop());
    const supervisor = new HelperSupervisor({ launch: { kind: 'connect', socketPath, tokenFile }, initialBackoffMs: 100, maxBackoffMs: 200 });
    cleanups.push(() => supervisor.stop());
    await supervisor.start();

    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((r) => setTimeout(r, 500));
    expect(supervisor.status().state).toBe('restarting');
    // The service manager starts it again: same socket, same token file.
    const second = await startHelper([], { socketPath, tokenFile });
    cleanups.push(() => second.stop());
    const status = await supervisor.request('status', {}, { timeoutMs: 5000 });
    expect(status.pid).toBe(second.child.pid);
    expect(supervisor.status()).toMatchObject({ state: 'connected', pid: second.child.pid });
    expect(supervisor.status().restarts).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token file that others can read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-service-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'a-token-that-is-long-enough\n', { mode: 0o644 });
    fs.chmodSync(tokenFile, 0o644);
    const refused = await startHelper([], { socketPath: path.join(dir, 'helper.sock'), tokenFile }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(HelperExited);
    expect((refused as HelperExited).code).toBe(2);
    expect((refused as HelperExited).stderr).toMatch(/readable by others \(mode 644\)/);
  });
});
