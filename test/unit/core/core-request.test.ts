/**
 * Finding 10: the Electron bridge hands the renderer's params to `NetmonCore.request`
 * (src-main/electron/ipc.ts), as the WebSocket and REST do. The core checks them there,
 * before any handler, including the handlers the desktop app provides itself.
 */
import { describe, expect, it } from 'vitest';
import { HistoryDb } from '../../../src-main/core/history-db';
import { createLogger } from '../../../src-main/core/log';
import { NetmonCore } from '../../../src-main/core/netmon-core';
import { defaultSettings } from '../../../src-main/core/settings';

function core(): NetmonCore {
  return new NetmonCore({ settings: defaultSettings(), history: new HistoryDb(':memory:'), logger: createLogger({ level: 'fatal' }) });
}

describe('NetmonCore.request: one validation path for every transport', () => {
  it('refuses params of the wrong shape with the field, before the handler', async () => {
    const c = core();
    const seen: unknown[] = [];
    c.provide('export.start', async (params) => {
      seen.push(params);
      return { ok: false, error: { code: 'unavailable', message: 'test' } };
    });
    const bad = await c.request('export.start', { format: 'exe', flowIds: 'all' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/params\.format/) } });
    expect(await c.request('flows.query', { scope: 'all', filter: {}, sort: { key: 'bytes; DROP TABLE', dir: 'desc' }, offset: 0, limit: 1 }))
      .toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await c.request('names.get', null)).toMatchObject({ ok: true });
    expect(seen).toEqual([]);
    // Known fields only reach the handler.
    await c.request('export.start', { format: 'pcap', flowIds: ['a:1'], __proto__: { polluted: true }, extra: 1 });
    expect(seen).toEqual([{ format: 'pcap', flowIds: ['a:1'] }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    c.close();
  });

  it('answers a client replay outside the replay directory as refused, whatever the path', async () => {
    const c = core();
    const a = await c.request('capture.start', { kind: 'replay', file: '/etc/shadow', speed: 0 });
    const b = await c.request('capture.start', { kind: 'replay', file: '/no/such/file.pcap', speed: 0 });
    expect(a).toMatchObject({ ok: false, error: { code: 'permission' } });
    expect(b).toEqual(a);
    c.close();
  });
});
