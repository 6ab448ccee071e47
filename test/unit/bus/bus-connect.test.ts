import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectWaiting } from '../../../src-main/bus/bus-connect';

/** A port nothing listens on: bound, its number read, closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('connectWaiting', () => {
  it('says it waits once, then once per interval, never at each retry, while nothing listens', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const server = `nats://127.0.0.1:${port}`;
    // The connection never comes: the promise stays pending, and the notices go on.
    void connectWaiting({ servers: server, waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 50 }, server, (l) => lines.push(l), { firstAfterMs: 100, everyMs: 400 })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1150));
    expect(lines[0]).toBe(`waiting for NATS at ${server}; retrying until it answers`);
    // About 0.1 s, 0.5 s and 0.9 s: three notices for some twenty retries.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.slice(1).every((l) => l.startsWith(`still waiting for NATS at ${server}`))).toBe(true);
  });
});
