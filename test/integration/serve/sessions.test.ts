/**
 * Capture sessions: each replay is a session of its own in the history; the flow table shows the current session's
 * flows, any other session's when asked for it, and replaying the same file again shows its flows once, not twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureSession, CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';
import { truthConversations } from '../../helpers/truth-conversations';

const FIRST = 'Dns.pcap';
const SECOND = 'TwoHttpRequests.pcap';

/** tshark's TCP and UDP conversations of a fixture, as sorted `addr:port-addr:port` pairs (either direction). */
function conversationsOf(name: string): string[] {
  return truthConversations(FIXTURES, name).map((c) => pair(c.a, c.port_a, c.b, c.port_b)).sort();
}

function pair(a: string, aPort: number | null, b: string, bPort: number | null): string {
  return [`${a}:${aPort}`, `${b}:${bPort}`].sort().join('-');
}

function pairsOf(flows: FlowSummary[]): string[] {
  return flows.map((f) => pair(f.a, f.aPort, f.b, f.bPort)).sort();
}

let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-sessions-'));
  serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, FIRST), '--speed', '0', '--replay-dir', FIXTURES, '--db', path.join(dir, 'h.sqlite')]);
});
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function finished(file: string, notSession: string | null): Promise<CaptureStatus> {
  return waitFor(`the replay of ${file} to finish`, async () => {
    const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
    const done = body.state === 'finished' && body.source?.kind === 'replay' && path.basename(body.source.file) === file;
    return done && body.captureId !== notSession ? body : undefined;
  });
}

async function replay(file: string, previous: string): Promise<string> {
  const start = await getJson<CaptureStatus>(`${serve.url}/api/capture/start`, {
    method: 'POST',
    body: JSON.stringify({ kind: 'replay', file: path.join(FIXTURES, file), speed: 0 }),
  });
  expect(start.status).toBe(200);
  const status = await finished(file, previous);
  return status.captureId as string;
}

async function flows(query: Record<string, string> = {}): Promise<FlowPage> {
  const { status, body } = await getJson<FlowPage>(`${serve.url}/api/flows?${new URLSearchParams({ scope: 'all', limit: '1000', ...query })}`);
  expect(status).toBe(200);
  return body;
}

describe('capture sessions', () => {
  it('keeps each replay apart: the table of each session holds exactly its capture\'s flows', async () => {
    const first = (await finished(FIRST, null)).captureId as string;
    const again = await replay(FIRST, first);
    const second = await replay(SECOND, again);
    expect(new Set([first, again, second]).size).toBe(3);

    // The current session by default: the second capture's flows only.
    const current = await flows();
    expect(pairsOf(current.flows)).toEqual(conversationsOf(SECOND));
    expect(current.total).toBe(conversationsOf(SECOND).length);
    expect(current.flows.every((f) => f.id.startsWith(`${second}:`))).toBe(true);

    // Each earlier session when picked, the same file's two replays alike and each counted once.
    for (const id of [first, again]) {
      const page = await flows({ session: id });
      expect(pairsOf(page.flows)).toEqual(conversationsOf(FIRST));
      expect(page.total).toBe(conversationsOf(FIRST).length);
    }

    // Every session at once, on request; paged two rows at a time by cursor, the same rows in the same order.
    const every = await flows({ session: '*', sort: 'bytes', dir: 'desc' });
    expect(every.total).toBe(2 * conversationsOf(FIRST).length + conversationsOf(SECOND).length);
    const paged: string[] = [];
    let page = await flows({ session: '*', sort: 'bytes', dir: 'desc', limit: '2' });
    paged.push(...page.flows.map((f) => f.id));
    while (page.next !== null) {
      page = await flows({ session: '*', sort: 'bytes', dir: 'desc', limit: '2', after: JSON.stringify(page.next) });
      paged.push(...page.flows.map((f) => f.id));
    }
    expect(paged).toEqual(every.flows.map((f) => f.id));

    const sessions = await getJson<CaptureSession[]>(`${serve.url}/api/sessions`);
    expect(sessions.status).toBe(200);
    const list = sessions.body;
    expect(list.map((s) => s.id)).toEqual([second, again, first]);
    expect(list.map((s) => s.finishedFlows)).toEqual([conversationsOf(SECOND), conversationsOf(FIRST), conversationsOf(FIRST)].map((c) => c.length));
    expect(list.every((s) => s.kind === 'replay' && s.endedAtMs !== null && s.endedAtMs >= s.startedAtMs)).toBe(true);
    expect(path.basename(list[0].source)).toBe(SECOND);
  }, 60_000);

  it('refuses a session filter that is not a session id', async () => {
    const { status } = await getJson<unknown>(`${serve.url}/api/flows?session=${'x'.repeat(65)}`);
    expect(status).toBe(400);
  });
});
