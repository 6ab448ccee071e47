import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from '../../../src-main/core/log';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { stream, lines };
}

describe('logger', () => {
  it('writes one JSON object per line with level, time and fields', async () => {
    const { stream, lines } = sink();
    const log = createLogger({ level: 'info', stream, pretty: false });
    log.child({ component: 'server' }).info({ port: 8080 }, 'listening');
    log.debug('hidden below the level');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, msg: 'listening', port: 8080, component: 'server' });
    expect(typeof record.time).toBe('number');
  });

  it('formats lines for a terminal', async () => {
    const { stream, lines } = sink();
    createLogger({ level: 'info', stream, pretty: true }).warn({ iface: 'eth0' }, 'drops rising');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}drops rising iface=eth0$/);
    expect(formatLogLine('not json')).toBe('not json');
  });
});
