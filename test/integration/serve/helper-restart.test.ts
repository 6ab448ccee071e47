import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { InterfaceStats, Stats } from '../../../src-main/api/types/stats';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import { TRAFFIC, startServers, waitForOutput } from '../live/live-traffic';
import type { ServeProcess } from '../../helpers/serve-process';
import { startServe, waitFor } from '../../helpers/serve-process';

/** Two batches of UDP datagrams from A to B; each frame is 14 + 20 + 8 + payload bytes on the wire. */
const FIRST = { count: 40, payload: 300 };
const SECOND = { count: 25, payload: 700 };
const frameBytes = (batch: { count: number; payload: number }) => batch.count * (14 + 20 + 8 + batch.payload);

/** Sends `count` datagrams of `size` bytes, each after the previous one left the socket. */
const SENDER_JS = `
const u = require('dgram').createSocket('udp4');
const [addr, port, count, size] = process.argv.slice(1);
(async () => {
  for (let i = 0; i < +count; i++) await new Promise((r) => u.send(Buffer.alloc(+size, 0x63), +port, addr, r));
  u.close();
})().catch((e) => { console.error(e); process.exit(1); });`;

/** Children of a process, from /proc. */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name in parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

describe.skipIf(!canCreateNamespaces())('netmon serve when the capture helper dies during a live capture on veth', () => {
  let pair: VethPair;
  let sink: ChildProcess;
  let serve: ServeProcess;
  let url: string;
  let token: string;
  let work: string;

  /** HTTP inside namespace B, where serve listens on its loopback. */
  function getJson<T>(route: string): T {
    return JSON.parse(pair.exec(pair.nsB, 'curl', ['-sS', '--fail', '--max-time', '10', '-H', `Authorization: Bearer ${token}`, `${url}${route}`])) as T;
  }
  function sendBatch(batch: { count: number; payload: number }): void {
    pair.exec(pair.nsA, process.execPath, ['-e', SENDER_JS, pair.addrB, String(TRAFFIC.udpPort), String(batch.count), String(batch.payload)]);
  }
  function ifaceTotals(): InterfaceStats | undefined {
    return getJson<Stats>('/api/stats').interfaces.find((i) => i.iface === pair.ifB);
  }
  /** The interface's totals once they reach `packets` and stay there for a second (so an overcount shows). */
  async function totalsAt(packets: number): Promise<InterfaceStats> {
    let last = '';
    return waitFor(`${packets} packets counted on ${pair.ifB}`, async () => {
      const t = ifaceTotals();
      const key = JSON.stringify(t);
      const settled = t !== undefined && t.in.packets + t.out.packets >= packets && key === last;
      last = key;
      if (!settled) await new Promise((r) => setTimeout(r, 1000));
      return settled ? t : undefined;
    }, 30_000);
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-restart-'));
    pair = createVethPair();
    // A UDP sink on B, so no ICMP port-unreachable joins the counted traffic.
    sink = startServers(pair);
    await waitForOutput(sink, /servers-ready/);
    serve = await startServe(['--iface', pair.ifB, '--bind', '127.0.0.1:0', '--db', path.join(work, 'h.sqlite')], {}, {
      spawnWith: (command, args, options) => pair.spawn(pair.nsB, command, args, options),
    });
    url = serve.url;
    token = serve.token ?? '';
  }, 60_000);

  afterAll(async () => {
    await serve?.stop();
    sink?.kill();
    pair?.destroy();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('restarts the helper, resumes the same capture and the counters go on exactly', async () => {
    // Starting probes every interface with netmon-capture: slow while the rest of the suite loads both cores.
    const running = await waitFor('the live capture', async () => {
      const s = getJson<CaptureStatus>('/api/capture/status');
      return s.state === 'running' && s.helper === 'connected' ? s : undefined;
    }, 45_000);
    expect(running.helperRestarts).toBe(0);

    sendBatch(FIRST);
    const before = await totalsAt(FIRST.count);
    expect({ packets: before.in.packets + before.out.packets, bytes: before.in.bytes + before.out.bytes })
      .toEqual({ packets: FIRST.count, bytes: frameBytes(FIRST) });

    // `ip netns exec` execs serve in place, so the helper is a direct child of the spawned pid.
    const helpers = childrenOf(serve.child.pid ?? -1).filter((pid) => cmdline(pid).includes('helper'));
    expect(helpers, serve.stdout() + serve.stderr()).toHaveLength(1);
    process.kill(helpers[0], 'SIGKILL');

    const resumed = await waitFor('the helper to come back', async () => {
      const s = getJson<CaptureStatus>('/api/capture/status');
      return s.helperRestarts >= 1 && s.helper === 'connected' && s.state === 'running' ? s : undefined;
    });
    expect(resumed.captureId).toBe(running.captureId);
    const restarted = childrenOf(serve.child.pid ?? -1).filter((pid) => cmdline(pid).includes('helper'));
    expect(restarted).toHaveLength(1);
    expect(restarted).not.toContain(helpers[0]);

    sendBatch(SECOND);
    const after = await totalsAt(FIRST.count + SECOND.count);
    expect({ packets: after.in.packets + after.out.packets, bytes: after.in.bytes + after.out.bytes })
      .toEqual({ packets: FIRST.count + SECOND.count, bytes: frameBytes(FIRST) + frameBytes(SECOND) });
    // Every datagram arrived on B, before and after the restart.
    expect(after.in).toEqual({ packets: FIRST.count + SECOND.count, bytes: frameBytes(FIRST) + frameBytes(SECOND) });
    expect(getJson<CaptureStatus>('/api/capture/status').captureId).toBe(running.captureId);
  }, 90_000);
});
