import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../src-capture-helper/protocol/messages';
import type { HelperClient } from '../../../src-main/core/helper-client';
import type { VethPair } from '../../helpers/netns';
import { canCreateNamespaces, createVethPair } from '../../helpers/netns';
import type { RunningHelper } from '../../helpers/helper-process';
import { fixturesDir, startHelperWithClient } from '../../helpers/helper-process';

const namespaces = canCreateNamespaces();
let pair: VethPair | null = null;
let helper: RunningHelper;
let client: HelperClient;
let stopHelper: () => Promise<void>;

beforeAll(async () => {
  if (!namespaces) return;
  pair = createVethPair();
  // The helper runs inside the receiving namespace, so it captures on the pair's interface there.
  ({ helper, client, stop: stopHelper } = await startHelperWithClient([], { prefix: ['ip', 'netns', 'exec', pair.nsB] }));
});
afterAll(async () => {
  if (!namespaces) return;
  await stopHelper();
  pair?.destroy();
});

describe.skipIf(!namespaces)('capture errors in a live helper process', () => {
  it('answers a bad BPF filter and an unknown interface with errors and keeps serving', async () => {
    const p = pair as VethPair;
    await expect(client.request('start', { source: { kind: 'live', interfaces: [p.ifB] }, bpf: 'tcp port' }))
      .rejects.toMatchObject({ code: 'invalid', name: 'LiveCaptureOpenError', message: expect.stringMatching(/syntax error/) });
    await expect(client.request('start', { source: { kind: 'live', interfaces: ['netmon-nosuch0'] } }))
      .rejects.toMatchObject({ code: 'invalid', name: 'LiveCaptureOpenError', message: expect.stringMatching(/netmon-nosuch0/) });
    expect((await client.request('status', {})).sessions).toEqual([]);
    // Each refusal carries what it means to the client, which main answers API clients with.
    await expect(client.request('stop', { sessionId: 'never-started' })).rejects.toMatchObject({ code: 'not-found', name: 'NoSuchSession' });
    await expect(client.request('start', { source: { kind: 'file', path: path.join(fixturesDir, 'no-such-file.pcap'), speed: 0 } }))
      .rejects.toMatchObject({ code: 'invalid', name: 'CaptureFileError' });
  });

  it('reports an interface that vanishes during a capture as an event, and the helper carries on', async () => {
    const p = pair as VethPair;
    const errors: EventMap['captureError'][] = [];
    client.on('captureError', (e, meta) => meta.session === 'vanish' && errors.push(e));
    let packets = 0;
    const direction = { in: 0, out: 0 };
    client.on('rollup', (r, meta) => {
      if (meta.session !== 'vanish') return;
      packets += r.packets;
      for (const i of r.interfaces) {
        direction.in += i.packetsIn;
        direction.out += i.packetsOut;
      }
    });
    await client.request('start', { sessionId: 'vanish', source: { kind: 'live', interfaces: [p.ifB] }, bpf: 'icmp' });
    p.exec(p.nsA, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', p.addrB]);
    for (let i = 0; i < 20 && packets < 6; i++) await new Promise((r) => setTimeout(r, 250));
    expect(packets).toBe(6); // three echo requests and three replies
    // Seen from the capturing host: requests come in to its address, replies go out.
    expect(direction).toEqual({ in: 3, out: 3 });

    const failed = new Promise<EventMap['captureState']>((resolve) => client.on('captureState', (s) => s.sessionId === 'vanish' && s.state === 'failed' && resolve(s)));
    execFileSync('ip', ['-n', p.nsB, 'link', 'del', p.ifB]);
    // Its only interface is gone: the session fails with the reason, after the packets it counted.
    const state = await failed;
    expect(state).toMatchObject({ packets: 6, error: { message: expect.stringContaining(p.ifB) } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ fatal: true, error: { message: expect.stringContaining(p.ifB) } });
    expect(helper.child.exitCode).toBeNull();

    // Still serving: a replay runs to its end.
    const done = new Promise<string>((resolve) => client.on('captureState', (s) => s.sessionId === 'after' && s.state !== 'running' && resolve(s.state)));
    await client.request('start', { sessionId: 'after', source: { kind: 'file', path: path.join(fixturesDir, 'dns_tcp.pcap'), speed: 0 } });
    expect(await done).toBe('finished');
  });
});
