import fc from 'fast-check';
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, parseSockDiag } from '../../../src-capture-helper/apps/sock-diag-parser';
import { openSockDiag, socketActivity } from '../../../src-capture-helper/apps/sock-diag';

/** One netlink message as the kernel writes it on a little-endian host: nlmsghdr, then the payload, padded to 4 bytes. */
function nlmsg(type: number, payload: Uint8Array): Uint8Array {
  const length = 16 + payload.length;
  const out = new Uint8Array((length + 3) & ~3);
  const view = new DataView(out.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, type, true);
  view.setUint16(6, 2, true); // NLM_F_MULTI
  view.setUint32(8, 1, true);
  out.set(payload, 16);
  return out;
}

/** An inet_diag_msg (linux/inet_diag.h): family, state, timer, retrans, sockid (ports and addresses in network order), then host-order fields. */
function inetDiagMsg(s: { family: number; sport: number; dport: number; src: number[]; dst: number[]; uid: number; inode: number; state?: number }): Uint8Array {
  const out = new Uint8Array(72);
  const view = new DataView(out.buffer);
  out[0] = s.family;
  out[1] = s.state ?? 1;
  view.setUint16(4, s.sport, false);
  view.setUint16(6, s.dport, false);
  out.set(s.src, 8);
  out.set(s.dst, 24);
  view.setUint32(64, s.uid, true);
  view.setUint32(68, s.inode, true);
  return out;
}

const DONE = nlmsg(3, new Uint8Array(4));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const v6 = (text: string) => [...Buffer.from(text.replace(/:/g, ''), 'hex')];

describe('parseSockDiag', () => {
  it('reads IPv4 and IPv6 sockets (a dual-stack peer written dotted, as flows write it) up to NLMSG_DONE', () => {
    const bytes = concat(
      nlmsg(20, inetDiagMsg({ family: AF_INET, sport: 43210, dport: 443, src: [192, 168, 1, 20], dst: [93, 184, 216, 34], uid: 1000, inode: 123456 })),
      nlmsg(20, inetDiagMsg({ family: AF_INET6, sport: 8080, dport: 50000, src: v6('2001:0db8:0000:0000:0000:0000:0000:0001'), dst: v6('0000:0000:0000:0000:0000:ffff:c612:0001'), uid: 0, inode: 7 })),
      DONE,
    );
    expect(parseSockDiag(bytes, IPPROTO_TCP)).toEqual({
      status: 'ok',
      sockets: [
        { proto: 'tcp', localAddress: '192.168.1.20', localPort: 43210, remoteAddress: '93.184.216.34', remotePort: 443, uid: 1000, inode: 123456 },
        { proto: 'tcp', localAddress: '2001:db8::1', localPort: 8080, remoteAddress: '198.18.0.1', remotePort: 50000, uid: 0, inode: 7 },
      ],
    });
  });

  it('reports an error message with its errno, a cut dump and a bad length, keeping the sockets read before', () => {
    const one = nlmsg(20, inetDiagMsg({ family: AF_INET, sport: 1, dport: 2, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], uid: 5, inode: 9 }));
    const error = new Uint8Array(4);
    new DataView(error.buffer).setInt32(0, -13, true);
    expect(parseSockDiag(concat(one, nlmsg(2, error)), IPPROTO_UDP)).toMatchObject({ status: 'error', errno: 13, sockets: [{ proto: 'udp', inode: 9 }] });
    expect(parseSockDiag(one, IPPROTO_TCP)).toMatchObject({ status: 'truncated', sockets: [{ inode: 9 }] });
    expect(parseSockDiag(concat(one, one.subarray(0, 40)), IPPROTO_TCP)).toMatchObject({ status: 'truncated', sockets: [{ inode: 9 }] });
    const short = nlmsg(20, new Uint8Array(10));
    expect(parseSockDiag(concat(one, short, DONE), IPPROTO_TCP)).toMatchObject({ status: 'malformed', sockets: [{ inode: 9 }] });
    const zero = new Uint8Array(16);
    expect(parseSockDiag(zero, IPPROTO_TCP).status).toBe('malformed');
    const badFamily = nlmsg(20, inetDiagMsg({ family: 99, sport: 1, dport: 2, src: [0, 0, 0, 0], dst: [0, 0, 0, 0], uid: 0, inode: 1 }));
    expect(parseSockDiag(concat(badFamily, DONE), IPPROTO_TCP).status).toBe('malformed');
  });

  it('never throws on garbage, and never reads a socket past the bytes it was given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(IPPROTO_TCP, IPPROTO_UDP, 1), (bytes, protocol) => {
        const parsed = parseSockDiag(bytes, protocol);
        expect(['ok', 'truncated', 'malformed', 'error']).toContain(parsed.status);
        expect(parsed.sockets.length).toBeLessThanOrEqual(Math.floor(bytes.length / 88));
      }),
      { numRuns: 3000 },
    );
    // Valid messages with hostile lengths and types spliced in.
    const message = fc.record({ type: fc.integer({ min: 0, max: 40 }), payload: fc.uint8Array({ maxLength: 100 }), lie: fc.integer({ min: -20, max: 200 }) }).map(({ type, payload, lie }) => {
      const m = nlmsg(type, payload);
      new DataView(m.buffer).setUint32(0, Math.max(0, 16 + payload.length + lie), true);
      return m;
    });
    fc.assert(fc.property(fc.array(message, { maxLength: 8 }), (messages) => {
      expect(() => parseSockDiag(concat(...messages), IPPROTO_UDP)).not.toThrow();
    }), { numRuns: 2000 });
  });
});

describe('socketActivity', () => {
  it('reads the socket counts of /proc/net/sockstat and sockstat6, not the host-wide or memory figures', () => {
    const v4 = 'sockets: used 43\nTCP: inuse 6 orphan 0 tw 9 alloc 7 mem 54\nUDP: inuse 2 mem 3\nUDPLITE: inuse 0\n';
    const v6 = 'TCP6: inuse 3\nUDP6: inuse 1\nUDPLITE6: inuse 0\n';
    expect(socketActivity(v4, v6)).toEqual({ tcp: '6 9 3', udp: '2 1' });
    expect(socketActivity(v4.replace('mem 54', 'mem 99').replace('alloc 7', 'alloc 70').replace('orphan 0', 'orphan 5'), v6)).toEqual({ tcp: '6 9 3', udp: '2 1' });
    expect(socketActivity(v4, '')).toEqual({ tcp: '6 9 -', udp: '2 -' });
    expect(socketActivity('TCP: inuse 1\n', v6)).toBeNull();
    expect(socketActivity('', '')).toBeNull();
  });

  it("reads this namespace's real counts, which move while a connection is open", async () => {
    if (process.platform !== 'linux') return;
    const read = () => socketActivity(fs.readFileSync('/proc/net/sockstat', 'latin1'), fs.readFileSync('/proc/net/sockstat6', 'latin1'));
    const before = read();
    expect(before).not.toBeNull();
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const during = read();
    client.destroy();
    server.close();
    expect(during!.tcp).not.toBe(before!.tcp);
  });
});

describe.skipIf(process.platform !== 'linux')('the sock_diag dump of the sockets addon', () => {
  it('shows a connection of this process with both endpoints, its uid and the inode of its fd', async () => {
    const opened = openSockDiag();
    if ('unavailable' in opened) throw new Error(opened.unavailable);
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    try {
      const mine = opened.table.tcp().find((s) => s.localPort === client.localPort && s.remotePort === port);
      expect(mine).toMatchObject({ proto: 'tcp', localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', uid: process.geteuid!() });
      const fdInodes = fs.readdirSync('/proc/self/fd').map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(fdInodes).toContain(`socket:[${mine!.inode}]`);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
