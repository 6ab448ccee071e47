import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { parseServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { encodeFrame, FrameDecoder } from '../../../src-capture-helper/protocol/frame';
import type { RollupSnapshot } from '../../../src-capture-helper/protocol/messages';
import { PROTOCOL_VERSION } from '../../../src-capture-helper/protocol/messages';
import { newToken } from '../../../src-capture-helper/protocol/token';
import { HelperServer } from '../../../src-capture-helper/server/helper-server';
import { HelperClient } from '../../../src-main/core/helper-client';
import { stalledClient } from './raw-client';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function rollup(second: number): RollupSnapshot {
  return {
    second,
    packets: 10,
    bytes: 1000,
    interfaces: [{ iface: 'eth0', packetsIn: 5, bytesIn: 500, packetsOut: 5, bytesOut: 500, kernelDrops: 0, helperDrops: 0 }],
    byProtocol: { tcp: { packets: 10, bytes: 1000 } },
    topHosts: Array.from({ length: 20 }, (_, i) => ({ addr: `10.0.0.${i}`, packets: i, bytes: i * 100 })),
    topFlows: [],
    activeFlows: 3,
    newFlows: 1,
  };
}

async function startServer(maxQueueBytes: number, names: () => unknown = () => Promise.reject(new Error('unused'))): Promise<{ server: HelperServer; token: string; socketPath: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-queue-test-'));
  const socketPath = path.join(dir, 'helper.sock');
  const token = newToken();
  const server = new HelperServer({ socketPath, token, helperVersion: 'test', limits: { maxQueueBytes } });
  server.setHandlers({
    interfaces: () => Promise.reject(new Error('unused')),
    start: () => Promise.reject(new Error('unused')),
    stop: () => Promise.reject(new Error('unused')),
    status: () => ({ protocolVersion: PROTOCOL_VERSION, helperVersion: 'test', pid: process.pid, uptimeMs: 0, sessions: [] }),
    flows: () => Promise.reject(new Error('unused')),
    names: names as never,
    webSections: () => Promise.reject(new Error('unused')),
    stats: () => ({ helper: server.helperStats(0), session: null }),
    export: () => Promise.reject(new Error('unused')),
    exportCancel: () => ({ cancelled: false }),
  });
  await server.listen();
  cleanups.push(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, token, socketPath };
}

describe('per-client send queue', () => {
  it('drops and counts rollups for a client that stops reading while a reading client gets every one', async () => {
    const { server, token, socketPath } = await startServer(256 * 1024);
    const fast = await HelperClient.connect({ socketPath, token });
    cleanups.push(() => fast.close());
    const fastSeconds: number[] = [];
    fast.on('rollup', (r) => fastSeconds.push(r.second));
    const slow = await stalledClient(socketPath, token);
    cleanups.push(() => slow.destroy());

    const total = 6000;
    for (let s = 0; s < total; s++) {
      server.emit('rollup', 'sess', rollup(s));
      // Let the reading client keep up, as a live helper emitting once a second would.
      if (s % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(fastSeconds).toHaveLength(total);
    expect(fastSeconds[total - 1]).toBe(total - 1);

    const stats = await fast.request('stats', {});
    expect(stats.helper.eventsDroppedSlowClients).toBeGreaterThan(0);
    expect(stats.helper.clients).toBe(2);

    const got = await slow.resume();
    const rollups = got.filter((e) => e.name === 'rollup');
    const notices = got.filter((e) => e.name === 'eventsDropped').map((e) => e.payload as { dropped: number; total: number });
    expect(notices.length).toBeGreaterThan(0);
    const dropped = notices[notices.length - 1].total;
    expect(dropped).toBe(stats.helper.eventsDroppedSlowClients);
    // Every rollup either arrived or was counted as dropped; the sequence numbers show where.
    expect(rollups.length + dropped).toBe(total);
    const seqs = rollups.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('tells a client of the events it lost before any later event that is never dropped', async () => {
    // As a capture's end follows its last delta: the client must know the delta was lost when it hears of the end.
    const { server, token, socketPath } = await startServer(256 * 1024);
    const slow = await stalledClient(socketPath, token);
    cleanups.push(() => slow.destroy());
    for (let s = 0; s < 6000 && server.helperStats(0).eventsDroppedSlowClients === 0; s++) {
      server.emit('rollup', 'sess', rollup(s));
      if (s % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const lost = server.helperStats(0).eventsDroppedSlowClients;
    expect(lost).toBeGreaterThan(0);
    server.emit('drops', 'sess', { kernel: 1, helper: 0 });
    const got = await slow.resume();
    const end = got.findIndex((e) => e.name === 'drops');
    const notice = got.findIndex((e) => e.name === 'eventsDropped');
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(notice).toBeLessThan(end);
    expect(got[notice].payload).toEqual({ dropped: lost, total: lost });
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('keeps half the bound for answers: a client behind on large events still gets a large answer', async () => {
    const bound = 256 * 1024;
    // An answer of just under half the bound, behind events of 30 % each.
    const names = { dns: [], sni: Array.from({ length: 1000 }, (_, i) => `${'x'.repeat(110)}-${i}.example`), httpHosts: [] };
    const { server, token, socketPath } = await startServer(bound, () => names);
    const socket = net.connect(socketPath);
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(encodeFrame({ t: 'hello', version: PROTOCOL_VERSION, token }));
    await new Promise((r) => setTimeout(r, 100));
    socket.pause();
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    const big = { ...rollup(0), topHosts: Array.from({ length: 1750 }, (_, i) => ({ addr: `10.0.${i >> 8}.${i & 255}`, packets: i, bytes: i * 100 })) };
    const eventBytes = encodeFrame({ t: 'event', name: 'rollup', session: 'sess', seq: 1, payload: big }).length;
    const answerBytes = encodeFrame({ t: 'res', id: 1, ok: true, result: names }).length;
    expect(eventBytes / bound).toBeGreaterThan(0.25);
    expect(eventBytes / bound).toBeLessThan(0.35);
    expect(answerBytes / bound).toBeGreaterThan(0.45);
    expect(answerBytes / bound).toBeLessThan(0.5);
    // Until the kernel's socket buffer is full and events are being dropped, then a little more.
    let extra = 0;
    for (let s = 0; s < 20_000 && extra < 20; s++) {
      server.emit('rollup', 'sess', { ...big, second: s });
      if (server.helperStats(0).eventsDroppedSlowClients > 0) extra++;
      await new Promise((r) => setImmediate(r));
    }
    expect(server.helperStats(0).eventsDroppedSlowClients).toBeGreaterThan(0);
    socket.write(encodeFrame({ t: 'req', id: 1, method: 'names', params: { sessionId: 'sess' } }));
    await new Promise((r) => setTimeout(r, 200));
    const decoder = new FrameDecoder();
    const answer = new Promise<ServerMessage>((resolve) => {
      socket.on('data', (d: Buffer) => decoder.push(d, (f) => {
        // The events here are oversized on purpose: only the answer is read as the protocol defines it.
        if ((JSON.parse(f.json.toString()) as { t: string }).t === 'res') resolve(parseServerMessage(f).message);
      }));
    });
    socket.resume();
    const first = await Promise.race([answer, closed]);
    expect(first).toMatchObject({ t: 'res', id: 1, ok: true });
    expect(server.helperStats(0).clientsRejected).toBe(0);
  });

  it('disconnects a client that lets responses pile up beyond the bound, and no one else', async () => {
    const { token, socketPath } = await startServer(64 * 1024);
    const fast = await HelperClient.connect({ socketPath, token });
    cleanups.push(() => fast.close());
    const socket = net.connect(socketPath);
    cleanups.push(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(encodeFrame({ t: 'hello', version: PROTOCOL_VERSION, token }));
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Requests whose answers it never reads; each status response is ~100 bytes.
    const burst = Buffer.concat(Array.from({ length: 60 }, (_, i) => encodeFrame({ t: 'req', id: i + 1, method: 'status', params: {} })));
    for (let i = 0; i < 200; i++) {
      socket.write(burst);
      await new Promise((r) => setImmediate(r));
    }
    socket.resume();
    await closed;
    expect((await fast.request('status', {})).pid).toBe(process.pid);
    expect((await fast.request('stats', {})).helper.clientsRejected).toBe(1);
  });
});
