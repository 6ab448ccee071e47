/**
 * The settings screen's API against a real `netmon serve --config FILE`: a change is written into the file
 * as serve reads it (comments kept), survives a restart, file-only settings are refused with their reason,
 * and the flow idle timeouts reach the capture (a UDP flow silent longer than its timeout becomes two flows).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowPage } from '../../../src-main/api/types/flows';
import type { ApiError } from '../../../src-main/api/types/results';
import type { Settings, SettingsInfo } from '../../../src-main/api/types/settings';
import { writeUdpPacketsAt } from '../helper/generated-capture';
import type { ServeProcess } from '../../helpers/serve-process';
import { startServe } from '../../helpers/serve-process';

let dir: string;
let serve: ServeProcess | null = null;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-settings-file-'));
});
afterEach(async () => {
  await serve?.stop();
  serve = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  if (serve === null) throw new Error('serve is not running');
  const res = await fetch(`${serve.url}${route}`, {
    method,
    headers: { ...serve.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function flowsAfterReplay(): Promise<FlowPage> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    const { body } = await api<{ state: string }>('GET', '/api/capture/status');
    if (body.state === 'finished') return (await api<FlowPage>('GET', '/api/flows?limit=100&port=9999')).body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the replay did not finish');
}

describe('settings through the API, into the file serve reads', () => {
  it('writes a change into the file with its comments, keeps it across a restart, and refuses file-only settings', async () => {
    const config = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(config, '# my capture defaults\ncapture:\n  bpf: "udp" # only UDP here\nflows:\n  udpIdleSec: 30\n', { mode: 0o600 });
    const capture = path.join(dir, 'udp.pcap');
    writeUdpPacketsAt(capture, [0], 20);
    const args = ['--bind', '127.0.0.1:0', '--db', path.join(dir, 'history.sqlite'), '--config', config, '--replay', capture, '--speed', '0'];
    serve = await startServe(args);

    const info = await api<SettingsInfo>('GET', '/api/settings/info');
    expect(info.body).toEqual({
      file: config,
      fileOnly: ['capture.replayDir', 'history.dbPath', 'geo.countryDb', 'geo.asnDb', 'server.bind', 'server.token', 'server.maxUploadMb'],
      // --bind and --db are flags of this run.
      overridden: expect.arrayContaining(['server.bind', 'history.dbPath']),
    });

    const bad = await api<{ error: ApiError }>('PUT', '/api/settings', { flows: { udpIdleSec: 'soon', tcpIdleSec: 0 }, history: { minuteDays: 40, hourDays: 20 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([
      { path: 'flows.udpIdleSec', message: 'expected a whole number, got "soon"' },
      { path: 'flows.tcpIdleSec', message: 'must be between 1 and 86400, got 0' },
      { path: 'history.hourDays', message: 'must be at least history.minuteDays (40)' },
    ]);
    const refused = await api<{ error: ApiError }>('PUT', '/api/settings', { capture: { replayDir: '/' }, server: { token: 'x'.repeat(20) } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.issues?.map((i) => i.path)).toEqual(['capture.replayDir', 'server.token']);
    expect(fs.readFileSync(config, 'utf8')).toBe('# my capture defaults\ncapture:\n  bpf: "udp" # only UDP here\nflows:\n  udpIdleSec: 30\n');

    const saved = await api<Settings>('PUT', '/api/settings', { flows: { udpIdleSec: 2 }, capture: { snaplen: 1500 }, history: { flowLogDays: 3 } });
    expect(saved.status).toBe(200);
    expect(saved.body.flows.udpIdleSec).toBe(2);
    const text = fs.readFileSync(config, 'utf8');
    expect(text).toContain('# my capture defaults');
    expect(text).toContain('bpf: "udp" # only UDP here');
    expect(text).toMatch(/udpIdleSec: 2\n/);
    expect(text).toMatch(/snaplen: 1500\n/);
    expect(text).toMatch(/flowLogDays: 3\n/);
    expect(fs.statSync(config).mode & 0o777).toBe(0o600);

    await serve.stop();
    serve = await startServe(args);
    const after = await api<Settings>('GET', '/api/settings');
    expect(after.body.flows.udpIdleSec).toBe(2);
    expect(after.body.capture).toMatchObject({ snaplen: 1500, bpf: 'udp' });
    expect(after.body.history.flowLogDays).toBe(3);
  }, 60_000);

  it('keeps every change of clients that save at the same time, in the file and in force', async () => {
    const config = path.join(dir, 'netmon.yaml');
    fs.writeFileSync(config, '# shared by two screens\nlog:\n  level: info\n', { mode: 0o600 });
    serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, 'history.sqlite'), '--config', config]);
    const changes = [
      { flows: { udpIdleSec: 41 } }, { flows: { tcpIdleSec: 142 } }, { capture: { snaplen: 1600 } },
      { history: { flowLogDays: 4 } }, { capture: { bpf: 'tcp or udp' } }, { flows: { icmpIdleSec: 13 } },
    ];
    const answers = await Promise.all(changes.map((change) => api<Settings>('PUT', '/api/settings', change)));
    expect(answers.map((a) => a.status)).toEqual(changes.map(() => 200));
    const expected = { flows: { udpIdleSec: 41, tcpIdleSec: 142, icmpIdleSec: 13 }, capture: { snaplen: 1600, bpf: 'tcp or udp' }, history: { flowLogDays: 4 } };
    expect((await api<Settings>('GET', '/api/settings')).body).toMatchObject(expected);
    const text = fs.readFileSync(config, 'utf8');
    expect(text).toMatch(/^# shared by two screens\n/);
    for (const line of ['udpIdleSec: 41', 'tcpIdleSec: 142', 'icmpIdleSec: 13', 'snaplen: 1600', 'flowLogDays: 4', 'bpf: tcp or udp']) expect(text).toContain(line);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('ends a silent UDP flow after the idle timeout the settings give', async () => {
    const capture = path.join(dir, 'udp.pcap');
    // Two datagrams 5 s apart on the same addresses and ports.
    writeUdpPacketsAt(capture, [0, 5], 20);
    const flowCount = async (udpIdleSec: number): Promise<number> => {
      const config = path.join(dir, `idle-${udpIdleSec}.yaml`);
      fs.writeFileSync(config, `flows:\n  udpIdleSec: ${udpIdleSec}\n`, { mode: 0o600 });
      serve = await startServe(['--bind', '127.0.0.1:0', '--db', path.join(dir, `h-${udpIdleSec}.sqlite`), '--config', config, '--replay', capture, '--speed', '0']);
      const page = await flowsAfterReplay();
      await serve.stop();
      serve = null;
      return page.flows.length;
    };
    expect(await flowCount(30)).toBe(1);
    expect(await flowCount(2)).toBe(2);
  }, 60_000);
});
