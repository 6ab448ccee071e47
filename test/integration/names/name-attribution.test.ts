/**
 * Names belong to flows by evidence, through `netmon serve` replaying a
 * generated capture: each DNS flow its own question, a DNS answer only for
 * flows that start after it, a Host that is an address no name. The flows
 * have ended when they are read, so names and sources come from the history.
 * Needs `npm run build` and tshark.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowDetails, FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import type { ServeProcess } from '../../helpers/serve-process';
import { getJson, startServe, waitFor } from '../../helpers/serve-process';
import type { TimedPacket } from './name-capture';
import { ACK, dns, echo, httpGet, PSH_ACK, SYN, tcp, udp, writeRawCapture } from './name-capture';

const CLIENT = '198.18.0.1';
const RESOLVER = '198.18.0.53';
const PRINTER = '198.18.0.10';
const NAS = '198.18.0.11';
const WEB = '198.18.0.2';
// The generated packets are from 2023: keep their flows through the retention that runs at start.
const RETENTION_ENV = { NETMON_HISTORY_MINUTE_DAYS: '3650', NETMON_HISTORY_HOUR_DAYS: '36500', NETMON_HISTORY_FLOW_LOG_DAYS: '36500' };

function handshakeAndGet(at: number, sport: number, dst: string, dport: number, host?: string): TimedPacket[] {
  const out: TimedPacket[] = [
    { at, bytes: tcp(CLIENT, sport, dst, dport, 100, 0, SYN) },
    { at: at + 0.001, bytes: tcp(dst, dport, CLIENT, sport, 500, 101, SYN | ACK) },
    { at: at + 0.002, bytes: tcp(CLIENT, sport, dst, dport, 101, 501, ACK) },
  ];
  if (host !== undefined) out.push({ at: at + 0.003, bytes: tcp(CLIENT, sport, dst, dport, 101, 501, PSH_ACK, httpGet(host)) });
  return out;
}

function ping(at: number, dst: string, id: number, seq: number): TimedPacket[] {
  return [
    { at, bytes: echo(CLIENT, dst, 8, id, seq) },
    { at: at + 0.001, bytes: echo(dst, CLIENT, 0, id, seq) },
  ];
}

const PACKETS: TimedPacket[] = [
  // A ping to the NAS that starts before anything names its address, and goes on after.
  ...ping(0, NAS, 7, 1),
  ...ping(1, NAS, 7, 2),
  ...ping(2, NAS, 7, 3),
  // Two questions to one resolver, the answers in the other order.
  { at: 0.5, bytes: udp(CLIENT, 40001, RESOLVER, 53, dns(0x1111, 'printer.example.test')) },
  { at: 0.51, bytes: udp(CLIENT, 40002, RESOLVER, 53, dns(0x2222, 'nas.lab.example.test')) },
  { at: 0.52, bytes: udp(RESOLVER, 53, CLIENT, 40002, dns(0x2222, 'nas.lab.example.test', NAS)) },
  { at: 0.53, bytes: udp(RESOLVER, 53, CLIENT, 40001, dns(0x1111, 'printer.example.test', PRINTER)) },
  // A ping to the NAS that starts after the answer.
  ...ping(1.5, NAS, 9, 1),
  // HTTP to a literal address, HTTP naming its host, and a connection named only by the answer.
  ...handshakeAndGet(1.6, 50000, WEB, 8000, `${WEB}:8000`),
  ...handshakeAndGet(1.7, 50001, PRINTER, 80, 'printer.example.test'),
  ...handshakeAndGet(1.8, 50002, PRINTER, 631),
];

describe('names by evidence through netmon serve', () => {
  let dir: string;
  let capture: string;
  let serve: ServeProcess;
  let flows: FlowSummary[];

  const find = (pred: (f: FlowSummary) => boolean, what: string): FlowSummary => {
    const found = flows.filter(pred);
    expect(found, what).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-names-'));
    capture = path.join(dir, 'names.pcap');
    writeRawCapture(capture, PACKETS);
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', capture, '--speed', '0', '--db', path.join(dir, 'h.sqlite')], RETENTION_ENV);
    await waitFor('the replay to finish', async () => {
      const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      return body.state === 'finished' ? body : undefined;
    });
    const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000`);
    flows = body.flows;
  });
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names each DNS flow after its own question, as tshark reads them', () => {
    const tshark = execFileSync('tshark', ['-n', '-r', capture, '-Y', 'dns.flags.response == 0', '-T', 'fields', '-e', 'udp.srcport', '-e', 'dns.qry.name'], { encoding: 'utf8' });
    const asked = tshark.trim().split('\n').map((line) => line.split('\t'));
    expect(asked).toHaveLength(2);
    for (const [port, question] of asked) {
      const flow = find((f) => f.proto === 'udp' && (f.aPort === Number(port) || f.bPort === Number(port)), `DNS flow of port ${port}`);
      expect(flow.names).toMatchObject({ dnsQuery: question, name: question, source: 'dns' });
    }
  });

  it('names a flow from a DNS answer only when it started after the answer', () => {
    const before = find((f) => f.proto === 'icmp' && f.firstSeenMs < 1_700_000_000_500, 'the ping that started first');
    expect(before.names).toMatchObject({ a: null, b: null, name: null, source: null });
    expect(before.aToB.packets).toBe(3);
    const after = find((f) => f.proto === 'icmp' && f.firstSeenMs > 1_700_000_001_000, 'the ping after the answer');
    expect(after.names).toMatchObject({ b: 'nas.lab.example.test', name: 'nas.lab.example.test', source: 'dns-answer' });
    const ipp = find((f) => f.bPort === 631, 'the connection to port 631');
    expect(ipp.names).toMatchObject({ b: 'printer.example.test', name: 'printer.example.test', source: 'dns-answer' });
  });

  it('takes an HTTP Host as the name of its own flow, and a literal address as no name', () => {
    const literal = find((f) => f.bPort === 8000, 'the request to the address');
    expect(literal.names).toMatchObject({ httpHost: null, name: null, source: null });
    const named = find((f) => f.bPort === 80, 'the request naming its host');
    expect(named.names).toMatchObject({ httpHost: 'printer.example.test', name: 'printer.example.test', source: 'host' });
  });

  it('gives the name and its source in the details of every ended flow', async () => {
    expect(flows.length).toBe(7);
    for (const listed of flows) {
      expect(listed.active).toBe(false);
      const { status, body } = await getJson<FlowDetails>(`${serve.url}/api/flows/${encodeURIComponent(listed.id)}`);
      expect(status).toBe(200);
      expect(body.flow.names).toEqual(listed.names);
    }
  });

  it('gives ICMP flows their type and code instead of ports', () => {
    for (const f of flows.filter((x) => x.proto === 'icmp')) {
      expect(f.aPort).toBeNull();
      expect(f.icmp).toEqual({ type: 8, code: 0, text: 'echo request (8/0)' });
    }
    expect(flows.filter((f) => f.proto === 'tcp').every((f) => f.icmp === null)).toBe(true);
  });
});
