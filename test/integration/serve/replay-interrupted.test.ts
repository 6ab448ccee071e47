/**
 * A restarted helper cannot go on reading a file where the one that died stopped: a replay cut
 * short by a helper crash ends as failed, with the reason, never as finished with part of the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureSession, CaptureStatus } from '../../../src-main/api/types/capture';
import { FIXTURES, getJson, startServe, waitFor, type ServeProcess } from '../../helpers/serve-process';

/** 26 packets over 35 s of capture time: at speed 1 the replay runs long enough to be interrupted. */
const CAPTURE = path.join(FIXTURES, 'VlanPackets.pcap');

/** The helper: the child of serve started with the `helper` command. */
function helperOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((child) => {
    try {
      const stat = fs.readFileSync(`/proc/${child}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid && fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes('helper');
    } catch {
      return false;
    }
  });
}

describe('netmon serve --replay when the capture helper dies during the replay', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-replay-interrupted-'));
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', CAPTURE, '--speed', '1', '--db', path.join(dir, 'h.sqlite')]);
  });
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends the replay as failed with the reason, in the capture status and in the session history', async () => {
    const status = () => getJson<CaptureStatus>(`${serve.url}/api/capture/status`).then((r) => r.body);
    const running = await waitFor('the replay to run', async () => {
      const s = await status();
      return s.state === 'running' && s.helper === 'connected' ? s : undefined;
    }, 30_000);
    const helpers = helperOf(serve.child.pid ?? -1);
    expect(helpers, serve.stderr()).toHaveLength(1);
    process.kill(helpers[0], 'SIGKILL');

    const interrupted = await waitFor('the replay to end as interrupted', async () => {
      const s = await status();
      return s.state !== 'running' ? s : undefined;
    }, 15_000);
    expect(interrupted).toMatchObject({ state: 'error', captureId: running.captureId });
    expect(interrupted.error).toMatch(/replay was interrupted: the capture helper stopped/);

    // The helper comes back, and the replay stays failed: it is not read again from the start nor reported finished.
    await waitFor('the helper to come back', async () => {
      const s = await status();
      return s.helper === 'connected' && s.helperRestarts >= 1 ? s : undefined;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status()).toMatchObject({ state: 'error', captureId: running.captureId, error: interrupted.error });

    const sessions = (await getJson<CaptureSession[]>(`${serve.url}/api/sessions`)).body;
    const session = sessions.find((s) => s.id === running.captureId);
    expect(session).toMatchObject({ kind: 'replay', error: interrupted.error });
    expect(session?.endedAtMs).not.toBeNull();
  }, 90_000);
});
