/**
 * Generated TCP captures with known timing and sequence gaps, for the
 * connection-quality tests: this kernel has no netem, so delays, losses and
 * reordering are written into the capture.
 *
 * Client 10.1.0.1:40000, server 10.1.0.2:80; the client's ISN is 1000, the
 * server's 5000; times are seconds after a fixed start.
 */
import fs from 'node:fs';
import { FrameBuilder, IP_PROTO } from '../../../bench/frame-builder';
import { PcapWriter } from '../../../src-capture-helper/capture-file/capture-writers';

const LINKTYPE_ETHERNET = 1;
const START_SEC = Date.UTC(2025, 5, 1, 12, 0, 0) / 1000;
const CLIENT = 0x0a010001;
const SERVER = 0x0a010002;
export const CLIENT_ISN = 1000;
export const SERVER_ISN = 5000;

export interface Segment {
  /** Seconds after the start. */
  t: number;
  fromClient: boolean;
  /** Letters S, A, F, R, P. */
  flags: string;
  seq: number;
  ack?: number;
  len?: number;
  window?: number;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

export function writeTcpCapture(file: string, segments: readonly Segment[], port = 40000): void {
  const writer = new PcapWriter({ linkType: LINKTYPE_ETHERNET, nanosecond: true });
  const fb = new FrameBuilder();
  fb.ipProto = IP_PROTO.tcp;
  const parts: Buffer[] = [writer.header()];
  for (const s of segments) {
    if (s.fromClient) fb.setV4(CLIENT, SERVER);
    else fb.setV4(SERVER, CLIENT);
    fb.srcPort = s.fromClient ? port : 80;
    fb.dstPort = s.fromClient ? 80 : port;
    fb.tcpFlags = [...s.flags].reduce((f, c) => f | (FLAG_BITS[c] ?? 0), 0);
    fb.seq = s.seq;
    fb.ack = s.ack ?? 0;
    fb.window = s.window ?? 64000;
    fb.payloadLength = s.len ?? 0;
    fb.ipId++;
    const data = fb.build();
    const nsec = Math.round(s.t * 1e9);
    parts.push(writer.record({
      ifIndex: 0, linkType: LINKTYPE_ETHERNET, tsSec: START_SEC + Math.floor(nsec / 1e9), tsNsec: nsec % 1e9, hasTimestamp: true,
      wireLength: data.length, bytes: data, offset: 0, length: data.length,
    }));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

const C = CLIENT_ISN + 1;
const S = SERVER_ISN + 1;

/** SYN at 0, SYN/ACK 100 ms later, ACK 30 ms after that: server side 100 ms, client side 30 ms. */
export const handshake: Segment[] = [
  { t: 0, fromClient: true, flags: 'S', seq: CLIENT_ISN },
  { t: 0.1, fromClient: false, flags: 'SA', seq: SERVER_ISN, ack: C },
  { t: 0.13, fromClient: true, flags: 'A', seq: C, ack: S },
];

/** One data segment sent again 300 ms later, without an ACK in between: one retransmission. */
export const retransmission: Segment[] = [
  ...handshake,
  { t: 0.2, fromClient: true, flags: 'PA', seq: C, ack: S, len: 100 },
  { t: 0.5, fromClient: true, flags: 'PA', seq: C, ack: S, len: 100 },
  { t: 0.6, fromClient: false, flags: 'A', seq: S, ack: C + 100 },
];

/** The second data segment overtakes the first by 1 ms (within the 130 ms handshake RTT): one out-of-order segment. */
export const outOfOrder: Segment[] = [
  ...handshake,
  { t: 0.2, fromClient: true, flags: 'A', seq: C + 100, ack: S, len: 100 },
  { t: 0.201, fromClient: true, flags: 'A', seq: C, ack: S, len: 100 },
  { t: 0.3, fromClient: false, flags: 'A', seq: S, ack: C + 200 },
];

/** The server advertises a zero window twice, then opens it again. */
export const zeroWindow: Segment[] = [
  ...handshake,
  { t: 0.2, fromClient: true, flags: 'PA', seq: C, ack: S, len: 1000 },
  { t: 0.3, fromClient: false, flags: 'A', seq: S, ack: C + 1000, window: 0 },
  { t: 0.4, fromClient: false, flags: 'A', seq: S, ack: C + 1000, window: 0 },
  { t: 0.5, fromClient: false, flags: 'A', seq: S, ack: C + 1000, window: 8000 },
];

/** Three duplicate ACKs and a fast retransmission 1 ms after the last, then a spurious retransmission of acknowledged data. */
export const fastAndSpurious: Segment[] = [
  ...handshake,
  { t: 0.2, fromClient: true, flags: 'A', seq: C, ack: S, len: 100 },
  { t: 0.201, fromClient: true, flags: 'A', seq: C + 100, ack: S, len: 100 },
  { t: 0.202, fromClient: true, flags: 'A', seq: C + 200, ack: S, len: 100 },
  { t: 0.203, fromClient: true, flags: 'A', seq: C + 300, ack: S, len: 100 },
  { t: 0.33, fromClient: false, flags: 'A', seq: S, ack: C },
  { t: 0.331, fromClient: false, flags: 'A', seq: S, ack: C },
  { t: 0.332, fromClient: false, flags: 'A', seq: S, ack: C },
  { t: 0.333, fromClient: true, flags: 'A', seq: C, ack: S, len: 100 },
  { t: 0.46, fromClient: false, flags: 'A', seq: S, ack: C + 400 },
  { t: 0.9, fromClient: true, flags: 'A', seq: C + 100, ack: S, len: 100 },
];

/** The SYN is sent again after 1 s; the SYN/ACK answers 50 ms after the second one. */
export const synRetransmitted: Segment[] = [
  { t: 0, fromClient: true, flags: 'S', seq: CLIENT_ISN },
  { t: 1, fromClient: true, flags: 'S', seq: CLIENT_ISN },
  { t: 1.05, fromClient: false, flags: 'SA', seq: SERVER_ISN, ack: C },
  { t: 1.06, fromClient: true, flags: 'A', seq: C, ack: S },
];

/** Keep-alives (one byte before the next sequence number) and their ACKs are neither retransmissions nor duplicate ACKs. */
export const keepAlive: Segment[] = [
  ...handshake,
  { t: 0.2, fromClient: true, flags: 'PA', seq: C, ack: S, len: 10 },
  { t: 0.3, fromClient: false, flags: 'A', seq: S, ack: C + 10 },
  { t: 10, fromClient: true, flags: 'A', seq: C + 9, ack: S, len: 1 },
  { t: 10.1, fromClient: false, flags: 'A', seq: S, ack: C + 10 },
  { t: 20, fromClient: true, flags: 'A', seq: C + 9, ack: S },
  { t: 20.1, fromClient: false, flags: 'A', seq: S, ack: C + 10 },
];

export const SCENARIOS = { handshake, retransmission, outOfOrder, zeroWindow, fastAndSpurious, synRetransmitted, keepAlive } as const;
