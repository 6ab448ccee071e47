import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src-capture-helper/protocol/frame';
import { PROTOCOL_VERSION } from '../../../src-capture-helper/protocol/messages';
import { HelperClient } from '../../../src-main/core/helper-client';
import type { RunningHelper } from '../../helpers/helper-process';
import { startHelper } from '../../helpers/helper-process';
import { rawExchange } from './raw-client';

let helper: RunningHelper;

beforeAll(async () => {
  helper = await startHelper(['--hello-timeout-ms', '400']);
});
afterAll(async () => {
  await helper.stop();
});

const byeName = (x: { messages: { t: string }[] }) => {
  const bye = x.messages.find((m) => m.t === 'bye') as { error: { name: string } } | undefined;
  return bye?.error.name;
};

async function expectServes(): Promise<void> {
  const client = await HelperClient.connect({ socketPath: helper.socketPath, token: helper.token });
  const status = await client.request('status', {});
  expect(status.pid).toBe(helper.child.pid);
  client.close();
}

describe('helper socket against hostile clients (real helper process)', () => {
  it('lives in a 0700 directory with a 0600 socket', () => {
    expect(fs.statSync(path.dirname(helper.socketPath)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(helper.socketPath).mode & 0o777).toBe(0o600);
  });

  it('rejects a wrong token, a wrong version, requests before the hello, oversized and silent clients, each with its reason', async () => {
    const hello = (token: string, version = PROTOCOL_VERSION) => encodeFrame({ t: 'hello', version, token });
    const oversized = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const cases: Array<[Uint8Array[], string]> = [
      [[hello('not-the-token-at-all')], 'AuthError'],
      [[hello(helper.token, PROTOCOL_VERSION + 1)], 'VersionError'],
      [[encodeFrame({ t: 'req', id: 1, method: 'status', params: {} })], 'ProtocolError'],
      [[oversized], 'FrameError'],
      [[hello(helper.token), oversized], 'FrameError'],
      [[hello(helper.token), hello(helper.token)], 'ProtocolError'],
      [[Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], 'FrameError'],
      [[], 'HelloTimeout'],
    ];
    for (const [chunks, reason] of cases) {
      const x = await rawExchange(helper.socketPath, chunks, 3000);
      expect(x.closed, reason).toBe(true);
      expect(byeName(x), reason).toBe(reason);
    }
    await expect(HelperClient.connect({ socketPath: helper.socketPath, token: `${helper.token}x` })).rejects.toThrow('wrong token');
    await expectServes();
  });

  it('stays up through random and mutated frames and serves the next authenticated client', async () => {
    const validHello = encodeFrame({ t: 'hello', version: PROTOCOL_VERSION, token: helper.token });
    const validRequest = encodeFrame({ t: 'req', id: 9, method: 'flows', params: { sessionId: 'abc', offset: 0, limit: 10 } });
    const mutated = (frame: Buffer) =>
      fc.array(fc.tuple(fc.nat(frame.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((muts) => {
        const b = Buffer.from(frame);
        for (const [at, v] of muts) b[at] = v;
        return [b];
      });
    const attack = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 600 }).map((b) => [b]),
      mutated(validHello),
      mutated(validRequest).map((chunks) => [validHello, ...chunks]),
      fc.jsonValue().map((v) => [encodeFrame(v)]),
      fc.jsonValue().map((v) => [validHello, encodeFrame({ t: 'req', id: 1, method: 'start', params: v })]),
    );
    const samples = fc.sample(attack, { numRuns: 120, seed: 42 });
    let closed = 0;
    for (let i = 0; i < samples.length; i += 12) {
      const batch = await Promise.all(samples.slice(i, i + 12).map((chunks) => rawExchange(helper.socketPath, chunks, 1500)));
      closed += batch.filter((x) => x.closed).length;
      expect(helper.child.exitCode).toBeNull();
    }
    expect(closed).toBeGreaterThan(60);
    await expectServes();
    const client = await HelperClient.connect({ socketPath: helper.socketPath, token: helper.token });
    const stats = await client.request('stats', {});
    expect(stats.helper.clientsRejected).toBeGreaterThan(60);
    client.close();
  });
});
