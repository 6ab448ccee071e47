import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import { sendTraffic, startServers, waitForOutput } from '../live/live-traffic';
import { FIXTURES, getJson, startServe, waitFor, type ServeProcess } from '../../helpers/serve-process';
import { essentials, parseCapture } from '../../unit/spool/spool-helpers';
import { tsharkConversations } from '../../helpers/tshark-conversations';

const TSHARK_L = ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Sum of frame.len over the file: the exact byte count tshark sees. */
function frameBytes(file: string): number {
  const r = run('tshark', [...TSHARK_L, '-r', file, '-T', 'fields', '-e', 'frame.len']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').reduce((sum, l) => sum + Number(l), 0);
}

function capinfos(file: string): string {
  const r = run('capinfos', [file]);
  expect(r.status).toBe(0);
  expect(r.stderr.trim()).toBe('');
  return r.stdout;
}

const total = (f: FlowSummary) => ({ frames: f.aToB.packets + f.bToA.packets, bytes: f.aToB.bytes + f.bToA.bytes });
const endpoint = (addr: string, port: number | null) => `${addr}:${port ?? 0}`;
const printed = (bytes: number) => `${bytes} bytes`;

/** What a user checks in the file: exactly these flows, with the frames and bytes the table showed. */
function expectExactly(file: string, flows: FlowSummary[], format: 'pcapng' | 'pcap'): void {
  const info = capinfos(file);
  expect(info).toMatch(format === 'pcapng' ? /File type:\s+Wireshark\/\.\.\. - pcapng/ : /File type:\s+Wireshark\/tcpdump\/\.\.\. - (nanosecond )?pcap/);
  const frames = flows.reduce((n, f) => n + total(f).frames, 0);
  expect(info).toMatch(new RegExp(`Number of packets:\\s+${frames}\\b`));
  for (const proto of ['tcp', 'udp'] as const) {
    const expected = flows.filter((f) => f.proto === proto).map((f) => ({
      a: endpoint(f.a, f.aPort), b: endpoint(f.b, f.bPort), frames: total(f).frames, bytes: printed(total(f).bytes),
    }));
    expect(tsharkConversations(file, proto)).toEqual(expected);
  }
  expect(frameBytes(file)).toBe(flows.reduce((n, f) => n + total(f).bytes, 0));
}

describe.skipIf(!canCreateNamespaces())('export of live flows through POST /api/export', () => {
  let pair: VethPair;
  let servers: ChildProcess;
  let serve: ServeProcess;
  let url: string;
  let token: string;
  let work: string;

  /** HTTP inside namespace B, where serve listens on its loopback. */
  function curl(args: string[]): string {
    return pair.exec(pair.nsB, 'curl', ['-sS', '--max-time', '30', '-H', `Authorization: Bearer ${token}`, ...args]);
  }
  function flowsShown(): FlowSummary[] {
    return (JSON.parse(curl([`${url}/api/flows?scope=all&limit=100`])) as FlowPage).flows;
  }
  function download(body: unknown, out: string): { status: number; headers: string } {
    const headersFile = `${out}.headers`;
    const status = curl(['-o', out, '-D', headersFile, '-w', '%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/json', '--data', JSON.stringify(body), `${url}/api/export`]);
    return { status: Number(status), headers: fs.readFileSync(headersFile, 'utf8') };
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-export-it-'));
    pair = createVethPair();
    servers = startServers(pair);
    await waitForOutput(servers, /servers-ready/);
    serve = await startServe(['--iface', pair.ifB, '--bind', '127.0.0.1:0', '--db', path.join(work, 'h.sqlite')], {}, {
      spawnWith: (command, args, options) => pair.spawn(pair.nsB, command, args, options),
    });
    url = serve.url;
    token = serve.token ?? '';
    await waitFor('the live capture', async () => (JSON.parse(curl([`${url}/api/capture/status`])) as { state: string }).state === 'running' || undefined);
    // Twice the known traffic: two ICMP, two UDP and two TCP flows.
    sendTraffic(pair);
    sendTraffic(pair);
  }, 60_000);

  afterAll(async () => {
    await serve?.stop();
    servers?.kill();
    pair?.destroy();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  /** The table once every flow is in and its counts stopped moving. */
  async function settledFlows(): Promise<FlowSummary[]> {
    let last = '';
    return waitFor('settled flows', async () => {
      const flows = flowsShown().filter((f) => f.proto === 'tcp' || f.proto === 'udp').sort((x, y) => x.id.localeCompare(y.id));
      const key = JSON.stringify(flows.map((f) => [f.id, total(f)]));
      const settled = key === last && flows.filter((f) => f.proto === 'tcp').length === 2 && flows.filter((f) => f.proto === 'udp').length === 2;
      last = key;
      if (!settled) await new Promise((r) => setTimeout(r, 1200));
      return settled ? flows : undefined;
    }, 30_000);
  }

  for (const format of ['pcapng', 'pcap'] as const) {
    it(`holds exactly the two selected flows with the table's frames and bytes (${format})`, async () => {
      const flows = await settledFlows();
      const chosen = [flows.filter((f) => f.proto === 'tcp')[1], flows.filter((f) => f.proto === 'udp')[0]];
      const out = path.join(work, `two.${format}`);
      const { status, headers } = download({ format, flowIds: chosen.map((f) => f.id) }, out);
      expect(status).toBe(200);
      expect(headers).toMatch(new RegExp(`content-type: ${format === 'pcapng' ? 'application/x-pcapng' : 'application/vnd\\.tcpdump\\.pcap'}`, 'i'));
      expect(headers).toMatch(new RegExp(`content-disposition: attachment; filename="netmon-[\\w-]+\\.${format}"`, 'i'));
      expect(headers).toMatch(/transfer-encoding: chunked/i);
      expectExactly(out, chosen, format);
    }, 60_000);
  }

  it('exports every flow matching a filter, and the whole capture', async () => {
    const flows = await settledFlows();
    const out = path.join(work, 'udp.pcapng');
    expect(download({ format: 'pcapng', filter: { proto: ['udp'] } }, out).status).toBe(200);
    expectExactly(out, flows.filter((f) => f.proto === 'udp'), 'pcapng');

    const all = path.join(work, 'all.pcapng');
    expect(download({ format: 'pcapng' }, all).status).toBe(200);
    const stats = JSON.parse(curl([`${url}/api/stats`])) as { interfaces: { in: { packets: number }; out: { packets: number } }[] };
    const seen = stats.interfaces.reduce((n, i) => n + i.in.packets + i.out.packets, 0);
    expect(capinfos(all)).toMatch(new RegExp(`Number of packets:\\s+${seen}\\b`));
  }, 60_000);

  it('answers a bad request with a clear error and no file', () => {
    const out = path.join(work, 'bad.json');
    const mixed = download({ format: 'pcapng', flowIds: ['aaaa:1', 'bbbb:2'] }, out);
    expect(mixed.status).toBe(400);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ error: { code: 'invalid', message: expect.stringMatching(/different captures/) } });
    expect(download({ format: 'zip' }, out).status).toBe(400);
    expect(download({ format: 'pcap', filter: { port: 9 } }, out).status).toBe(404);
  });
});

describe('export from a replayed fixture', () => {
  const FIXTURE = path.join(FIXTURES, 'raw_ip.pcap');
  interface ConvRow { a: string; port_a: number; b: string; port_b: number; frames: number; bytes: number }
  const truth = JSON.parse(fs.readFileSync(`${FIXTURE}.truth.json`, 'utf8')) as { conversations: { tcp: ConvRow[]; udp: ConvRow[] } };
  let serve: ServeProcess;
  let work: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-export-replay-'));
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', FIXTURE, '--speed', '0', '--db', path.join(work, 'h.sqlite')]);
    await waitFor('the replay to finish', async () => (await getJson<{ state: string }>(`${serve.url}/api/capture/status`)).body.state === 'finished' || undefined);
  }, 30_000);
  afterAll(async () => {
    await serve?.stop();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it("reproduces the fixture's packets of the selected flows byte for byte", async () => {
    const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?scope=all&limit=1000`);
    const pick = (proto: 'tcp' | 'udp', row: ConvRow) => {
      const found = body.flows.filter((f) => f.proto === proto && f.a === row.a && f.aPort === row.port_a && f.b === row.b && f.bPort === row.port_b);
      expect(found).toHaveLength(1);
      return found[0];
    };
    const [tcpRow, udpRow] = [truth.conversations.tcp[0], truth.conversations.udp[0]];
    const chosen = [pick('tcp', tcpRow), pick('udp', udpRow)];
    const res = await fetch(`${serve.url}/api/export`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...serve.auth }, body: JSON.stringify({ format: 'pcapng', flowIds: chosen.map((f) => f.id) }) });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const out = path.join(work, 'two.pcapng');
    fs.writeFileSync(out, bytes);

    const filterOf = (proto: string, r: ConvRow) => {
      const ip = r.a.includes(':') ? 'ipv6' : 'ip';
      return `(${ip}.addr==${r.a} && ${ip}.addr==${r.b} && ${proto}.port==${r.port_a} && ${proto}.port==${r.port_b})`;
    };
    const ref = path.join(work, 'ref.pcapng');
    execFileSync('tshark', ['-n', '-r', FIXTURE, '-Y', `${filterOf('tcp', tcpRow)} || ${filterOf('udp', udpRow)}`, '-w', ref]);
    const expected = parseCapture(fs.readFileSync(ref)).packets;
    expect(expected).toHaveLength(tcpRow.frames + udpRow.frames);
    expect(parseCapture(bytes).packets.map(essentials)).toEqual(expected.map(essentials));
    expect(capinfos(out)).toMatch(new RegExp(`Number of packets:\\s+${tcpRow.frames + udpRow.frames}\\b`));
  }, 30_000);
});
