import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasNatsServer, startNatsServer, type NatsServer } from '../../helpers/nats-server';
import { startProbe, type ProbeProcess } from '../../helpers/probe-process';
import { getJson, startServe, waitFor, type ServeProcess } from '../../helpers/serve-process';

/**
 * A probe or `serve --nats` started before its NATS server: each says on stderr that it waits
 * for NATS at that address, keeps retrying, and connects once the server is up.
 */
describe.skipIf(!hasNatsServer())('the first connection to NATS', () => {
  let work: string;
  let nats: NatsServer;
  let probe: ProbeProcess | undefined;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-first-connect-'));
    // Its address and credentials, then nothing listening there until the test starts it again.
    nats = await startNatsServer(work);
    await nats.stop();
  });

  afterAll(async () => {
    await probe?.stop();
    await serve?.stop();
    await nats?.stop();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  const env = () => ({ XDG_CONFIG_HOME: work, NETMON_BUS_USER: nats.user, NETMON_BUS_PASSWORD: nats.password });

  it('a probe says it is waiting for NATS, then connects and publishes once the server starts; serve --nats likewise', async () => {
    const name = `first-${process.pid}`;
    const started = startProbe(['--iface', 'lo', '--nats', nats.url, '--name', name], { env: env() });
    probe = started;
    serve = await startServe(['--nats', nats.url, '--bind', '127.0.0.1:0', '--db', path.join(work, 'h.sqlite')], env());

    const waiting = `waiting for NATS at ${nats.url}`;
    await waitFor('the probe to say it waits', async () => (started.stderr().includes(waiting) ? true : undefined), 10_000);
    await waitFor('serve to say it waits', async () => (serve?.stderr().includes(waiting) ? true : undefined), 10_000);
    // Said once, not at each retry (every 0.5 s).
    await new Promise((r) => setTimeout(r, 2000));
    expect(started.stderr().split(waiting).length - 1).toBe(1);
    expect(started.child.exitCode).toBeNull();
    expect((await getJson(`${serve.url}/api/probes`)).status).toBe(503);

    await nats.restart();
    const watcher = await connect({ servers: nats.url, user: nats.user, pass: nats.password });
    try {
      const heartbeats = watcher.subscribe(`netmon.${name}.hb`, { max: 1 });
      await watcher.flush();
      await waitFor('the probe to say it connected', async () => (started.stderr().includes(`connected to NATS at ${nats.url}`) ? true : undefined), 15_000);
      for await (const m of heartbeats) expect(m.subject).toBe(`netmon.${name}.hb`);
      const probes = await waitFor('serve to hear the probe', async () => {
        const answer = await getJson<{ name: string }[]>(`${serve?.url ?? ''}/api/probes`);
        return answer.status === 200 && answer.body.some((p) => p.name === name) ? answer.body : undefined;
      }, 15_000);
      expect(probes.map((p) => p.name)).toContain(name);
      expect(serve.stderr()).toContain(`connected to NATS at ${nats.url}`);
    } finally {
      await watcher.close();
    }
  }, 90_000);
});
