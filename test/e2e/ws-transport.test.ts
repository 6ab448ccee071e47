/** The dashboard's WebSocket transport against a real `netmon serve`: requests by id, pushed events, and the token. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { WsTransport } from '../../src-renderer/transport/ws-transport';
import type { ConnectionStatus } from '../../src-renderer/transport/transport';
import type { Served } from './browser';
import { missingPrerequisite, REPO, startServe } from './browser';

// The transport is written for the browser's WebSocket; `ws` offers the same interface under Node.
(globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;

const TOKEN = 'dashboard-test-token-0123456789';

function waitFor(t: WsTransport, state: ConnectionStatus['state']): Promise<ConnectionStatus> {
  return new Promise((resolve) => {
    const off = t.onStatus((s) => {
      if (s.state === state) {
        queueMicrotask(() => off());
        resolve(s);
      }
    });
  });
}

describe('WebSocket transport', () => {
  let served: Served;
  let wsUrl: string;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`these tests need the build: ${missing}`);
    served = await startServe({ replay: path.join(REPO, 'assets/demo.pcapng'), speed: 1, token: TOKEN });
    wsUrl = `${served.url.replace(/^http/, 'ws')}/ws`;
  });

  afterAll(async () => {
    await served?.stop();
  });

  it('answers requests by id and pushes one tick per second of traffic', async () => {
    const t = new WsTransport(wsUrl, TOKEN);
    try {
      await waitFor(t, 'open');
      // serve answers at once and starts its replay as soon as the helper is up.
      await expect
        .poll(async () => {
          const status = await t.request('capture.status', {});
          return status.ok ? `${status.value.source?.kind}:${status.value.state}` : status.error.message;
        }, { timeout: 20_000 })
        .toBe('replay:running');
      const ifaces = await t.request('interfaces.list', {});
      expect(ifaces.ok && Array.isArray(ifaces.value)).toBe(true);
      const ticks: number[] = [];
      const off = t.on('rollup.tick', (tick) => ticks.push(tick.tsMs));
      await new Promise((r) => setTimeout(r, 8000));
      off();
      // The demo has packets in every second: one tick each, in order, none repeated.
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBe(1000);
      const bad = await t.request('flows.details', { id: 'no-such-flow' });
      expect(bad.ok).toBe(false);
    } finally {
      t.close();
    }
  });

  it('is refused without the token and keeps retrying, without throwing at the caller', async () => {
    const t = new WsTransport(wsUrl, null);
    try {
      const closed = await waitFor(t, 'closed');
      expect(closed.state === 'closed' && closed.everOpened).toBe(false);
      const r = await t.request('capture.status', {});
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('unavailable');
    } finally {
      t.close();
    }
  });
});
