import { formatIpWords, V4_MAPPED_WORD2 } from '../../src-shared/ip';

/**
 * Parser of a netlink sock_diag dump (a run of `nlmsghdr` + `inet_diag_msg`
 * messages, linux/inet_diag.h). Kernel bytes are still bytes: every length is
 * checked before it is read, and a bad message ends the parse with a status,
 * never an exception.
 */

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

const NLMSG_HEADER = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const SOCK_DIAG_BY_FAMILY = 20;
/** The answer to the older TCP request (both families in one walk). */
const TCPDIAG_GETSOCK = 18;
/** family, state, timer, retrans; sockid (ports, 2 × 16 address bytes, interface, cookie); expires, queues, uid, inode. */
const INET_DIAG_MSG = 72;

/** One socket of the table: its endpoints as the flow table writes addresses, its owner and its inode (0: no file, so no process). */
export interface SocketEntry {
  proto: 'tcp' | 'udp';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  uid: number;
  inode: number;
}

export type SockDiagParse =
  | { status: 'ok'; sockets: SocketEntry[] }
  | { status: 'truncated' | 'malformed'; sockets: SocketEntry[]; reason: string }
  | { status: 'error'; sockets: SocketEntry[]; errno: number };

const words = new Uint32Array(4);

function address(view: DataView, at: number, family: number): string {
  if (family === AF_INET) {
    words[0] = 0;
    words[1] = 0;
    words[2] = V4_MAPPED_WORD2;
    words[3] = view.getUint32(at, false);
  } else {
    for (let i = 0; i < 4; i++) words[i] = view.getUint32(at + 4 * i, false);
  }
  // A dual-stack socket's IPv4 peer reads as ::ffff:a.b.c.d: formatIpWords writes it dotted, as flows do.
  return formatIpWords(words, 0);
}

/**
 * Reads the sockets of one dump for `protocol` (the dump does not repeat it).
 * `littleEndian` is the host's order (netlink headers and uid/inode are host
 * order; ports and addresses are network order).
 */
export function parseSockDiag(bytes: Uint8Array, protocol: number, littleEndian = true): SockDiagParse {
  const sockets: SocketEntry[] = [];
  const proto = protocol === IPPROTO_TCP ? 'tcp' : protocol === IPPROTO_UDP ? 'udp' : null;
  if (proto === null) return { status: 'malformed', sockets, reason: `protocol ${protocol} is neither TCP nor UDP` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.byteLength) {
    if (bytes.byteLength - at < NLMSG_HEADER) return { status: 'truncated', sockets, reason: `${bytes.byteLength - at} bytes left, less than a netlink header` };
    const length = view.getUint32(at, littleEndian);
    const type = view.getUint16(at + 4, littleEndian);
    if (length < NLMSG_HEADER) return { status: 'malformed', sockets, reason: `netlink message of length ${length}` };
    if (length > bytes.byteLength - at) return { status: 'truncated', sockets, reason: `netlink message of ${length} bytes with ${bytes.byteLength - at} left` };
    if (type === NLMSG_DONE) return { status: 'ok', sockets };
    if (type === NLMSG_ERROR) {
      const errno = length >= NLMSG_HEADER + 4 ? -view.getInt32(at + NLMSG_HEADER, littleEndian) : 0;
      return { status: 'error', sockets, errno };
    }
    if (type === SOCK_DIAG_BY_FAMILY || type === TCPDIAG_GETSOCK) {
      if (length < NLMSG_HEADER + INET_DIAG_MSG) return { status: 'malformed', sockets, reason: `inet_diag message of ${length - NLMSG_HEADER} bytes` };
      const m = at + NLMSG_HEADER;
      const family = bytes[m];
      if (family !== AF_INET && family !== AF_INET6) return { status: 'malformed', sockets, reason: `address family ${family}` };
      sockets.push({
        proto,
        localPort: view.getUint16(m + 4, false),
        remotePort: view.getUint16(m + 6, false),
        localAddress: address(view, m + 8, family),
        remoteAddress: address(view, m + 24, family),
        uid: view.getUint32(m + 64, littleEndian),
        inode: view.getUint32(m + 68, littleEndian),
      });
    }
    // Other types (none expected) are skipped by their length, as netlink says to.
    at += (length + 3) & ~3;
  }
  // The kernel always ends a dump with NLMSG_DONE; without it the dump was cut.
  return { status: 'truncated', sockets, reason: 'dump ended without NLMSG_DONE' };
}
