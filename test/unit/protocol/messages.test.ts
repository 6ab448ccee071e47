import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseServerMessage, ProtocolError } from '../../../src-capture-helper/protocol/envelope';
import type { Frame } from '../../../src-capture-helper/protocol/frame';
import { tokensEqual, newToken } from '../../../src-capture-helper/protocol/token';

function frame(text: string, attachment: number[] = []): Frame {
  return { json: Buffer.from(text, 'utf8'), attachment: Buffer.from(attachment) };
}
const json = (v: unknown, attachment: number[] = []) => frame(JSON.stringify(v), attachment);

describe('client message parsing', () => {
  it('accepts a hello and a start request, keeping only known fields', () => {
    expect(parseClientMessage(json({ t: 'hello', version: 1, token: 'x', extra: 1 }))).toEqual({ t: 'hello', version: 1, token: 'x' });
    const req = parseClientMessage(json({
      t: 'req', id: 3, method: 'start',
      params: { source: { kind: 'file', path: '/tmp/a.pcap', speed: 0 }, bpf: 'tcp', snaplen: 1500, junk: true },
    }));
    expect(req).toEqual({ t: 'req', id: 3, method: 'start', params: { source: { kind: 'file', path: '/tmp/a.pcap', speed: 0 }, bpf: 'tcp', snaplen: 1500 } });
  });

  it('names the bad field in the error', () => {
    const bad = (params: unknown) => () => parseClientMessage(json({ t: 'req', id: 1, method: 'start', params }));
    expect(bad({ source: { kind: 'live', interfaces: 'eth0' } })).toThrow('start.params.source.interfaces: expected a list, got "eth0"');
    expect(bad({ source: { kind: 'tape' } })).toThrow(/start.params.source.kind: expected one of live, file/);
    expect(bad({ source: { kind: 'live', interfaces: ['eth0'] }, snaplen: 10 })).toThrow('start.params.snaplen: must be between 64 and 262144, got 10');
    expect(() => parseClientMessage(json({ t: 'req', id: 1, method: 'flows', params: { sessionId: 's', offset: 0, limit: 100000 } })))
      .toThrow('flows.params.limit: must be between 1 and 1000, got 100000');
    // A filter field the helper's table cannot answer is refused, never dropped (which would match every flow).
    const flows = (filter: unknown) => () => parseClientMessage(json({ t: 'req', id: 1, method: 'flows', params: { sessionId: 's', offset: 0, limit: 10, filter } }));
    expect(flows({ ip: '10.0.0.0/8', proto: ['tcp'], ports: [[80, 90]], shown: ['ended'] })).not.toThrow();
    expect(flows({ text: 'example' })).toThrow(/flows.params.filter/);
    expect(flows({ proto: 'tcp' })).toThrow(/flows.params.filter.proto/);
    expect(() => parseClientMessage(json({ t: 'req', id: 0, method: 'status', params: {} }))).toThrow('req.id: must be between 1 and 2147483647, got 0');
    expect(() => parseClientMessage(json({ t: 'req', id: 1, method: 'format_disk', params: {} }))).toThrow(/req.method: expected one of/);
  });

  it('refuses non-JSON, non-objects, unknown types and attachments from clients', () => {
    for (const f of [frame('{"t":'), frame('[1,2]'), frame('null'), frame('"hello"'), json({ t: 'welcome' }), json({ t: 'hello', version: 1, token: 'x' }, [1])]) {
      expect(() => parseClientMessage(f)).toThrow(ProtocolError);
    }
  });

  it('does not let __proto__ keys reach the parsed value', () => {
    const msg = parseClientMessage(frame('{"t":"req","id":1,"method":"stats","params":{"__proto__":{"polluted":true}}}'));
    expect(msg).toEqual({ t: 'req', id: 1, method: 'stats', params: {} });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('server message parsing', () => {
  it('validates event payloads and keeps attachments', () => {
    const payload = { exportId: 2, seq: 0, packets: 3, bytes: 300, packetsDone: 3, packetsTotal: 10, bytesDone: 300, bytesTotal: 1000 };
    const parsed = parseServerMessage(json({ t: 'event', name: 'exportChunk', session: 's1', seq: 4, payload }, [9, 8]));
    expect(parsed.message).toEqual({ t: 'event', name: 'exportChunk', session: 's1', seq: 4, payload });
    expect([...parsed.attachment]).toEqual([9, 8]);
    expect(() => parseServerMessage(json({ t: 'event', name: 'drops', session: null, seq: 1, payload: { kernel: -1, helper: 0 } })))
      .toThrow('drops.payload.kernel: must be zero or more, got -1');
  });

  it('reads responses as success or {code, name, message} errors', () => {
    expect(parseServerMessage(json({ t: 'res', id: 1, ok: false, error: { code: 'invalid', name: 'BpfError', message: 'syntax error' } })).message)
      .toEqual({ t: 'res', id: 1, ok: false, error: { code: 'invalid', name: 'BpfError', message: 'syntax error' } });
    expect(() => parseServerMessage(json({ t: 'res', id: 1, ok: false, error: { code: 'oops', name: 'BpfError', message: 'x' } }))).toThrow(/res\.error\.code/);
    expect(() => parseServerMessage(json({ t: 'res', id: 1, ok: 'yes' }))).toThrow(ProtocolError);
  });
});

describe('tokens', () => {
  it('compares equal tokens as equal and anything else as different', () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(t, `${t}x`)).toBe(false);
    expect(tokensEqual(t, t.slice(0, -1))).toBe(false);
    expect(tokensEqual(t, '')).toBe(false);
    expect(tokensEqual('', '')).toBe(false);
    expect(newToken()).not.toBe(t);
  });
});
