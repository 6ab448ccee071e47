import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS } from '../../../src-main/api/contract';
import { checkParams } from '../../../src-main/core/request-params';

describe('request params, one check for HTTP, WebSocket and IPC', () => {
  it('answers a bad field with the invalid code, the message and the issue at its path', () => {
    expect(checkParams('flows.query', { scope: 'all', filter: { ports: [[80, 70_000]] }, sort: { key: 'bytes', dir: 'desc' }, offset: 0, limit: 10 })).toEqual({
      ok: false,
      error: { code: 'invalid', message: 'params.filter.ports[0][1]: must be between 0 and 65535, got 70000', issues: [{ path: 'params.filter.ports[0][1]', message: 'must be between 0 and 65535, got 70000' }] },
    });
    expect(checkParams('capture.start', { kind: 'tape' })).toMatchObject({ ok: false, error: { issues: [{ path: 'params.kind', message: 'expected one of live, replay, got "tape"' }] } });
    expect(checkParams('capture.start', { kind: 'live', interfaces: ['eth0'], promiscuous: 'yes' })).toMatchObject({ ok: false, error: { issues: [{ path: 'params.promiscuous', message: 'expected true or false, got "yes"' }] } });
    expect(checkParams('sessions.list', { limit: 10.5 })).toMatchObject({ ok: false, error: { issues: [{ path: 'params.limit', message: 'expected a whole number, got 10.5' }] } });
  });

  it('keeps known fields only, and alert payloads whole for the alert engine to judge', () => {
    const parsed = JSON.parse('{"kind":"replay","file":"a.pcap","speed":0,"extra":1,"__proto__":{"polluted":true}}') as unknown;
    const checked = checkParams('capture.start', parsed);
    expect(checked).toEqual({ ok: true, value: { kind: 'replay', file: 'a.pcap', speed: 0 } });
    expect(checkParams('alerts.rules.create', { name: 'x', anything: [1] })).toEqual({ ok: true, value: { name: 'x', anything: [1] } });
    expect(checkParams('flows.query', { scope: 'all', filter: {}, sort: { key: 'bytes', dir: 'asc' }, offset: 0, limit: 5, after: { value: 'a', id: 'b' } }).ok).toBe(true);
  });

  it('never throws, whatever a client sends on any channel', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REQUEST_CHANNELS), fc.jsonValue({ maxDepth: 4 }), (channel, params) => {
        const result = checkParams(channel, params);
        if (!result.ok) {
          expect(result.error.code).toBe('invalid');
          expect(result.error.issues?.[0].path).toMatch(/^params/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
