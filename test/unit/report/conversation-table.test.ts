import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../../src-capture-helper/decode/decoded-packet';
import { FlowState } from '../../../src-capture-helper/flows/flow-types';
import { nextTcpState, startsNewTcpStream } from '../../../src-capture-helper/flows/tcp-lifecycle';
import { ConversationTable } from '../../../src-capture-helper/report/conversation-table';

const A = Uint32Array.from([0, 0, 0xffff, 0x0a000001]); // 10.0.0.1
const B = Uint32Array.from([0, 0, 0xffff, 0x0a000002]); // 10.0.0.2
const { syn, ack, fin, rst } = TcpFlag;

/** One TCP segment of a connection 10.0.0.1:40000 <-> 10.0.0.2:80. */
function seg(t: ConversationTable, fromA: boolean, flags: number, seq: number, ackNo = 0, len = 60, time = 0): void {
  if (fromA) t.observeTcp(4, A, 0, 40000, B, 0, 80, flags, seq, ackNo, true, len, Math.floor(time), Math.round((time % 1) * 1e9));
  else t.observeTcp(4, B, 0, 80, A, 0, 40000, flags, seq, ackNo, true, len, Math.floor(time), Math.round((time % 1) * 1e9));
}

describe('TCP conversation rows (tshark tcp.stream)', () => {
  it('counts both directions of one connection in one row, A being the first sender', () => {
    const t = new ConversationTable(true, 100);
    seg(t, false, ack, 500, 1001, 54, 10);
    seg(t, true, ack, 1001, 501, 1500, 10.5);
    const [row] = t.rows(10);
    expect(row).toMatchObject({ a: '10.0.0.2', port_a: 80, b: '10.0.0.1', port_b: 40000, frames_a_to_b: 1, bytes_a_to_b: 54, frames_b_to_a: 1, bytes_b_to_a: 1500, duration: '0.5000' });
  });

  it('a new SYN with another ISN after a close opens a second row; a retransmitted SYN does not', () => {
    const t = new ConversationTable(true, 100);
    seg(t, true, syn, 1000);
    seg(t, true, syn, 1000); // retransmission
    seg(t, false, syn | ack, 7000, 1001);
    seg(t, true, ack, 1001, 7001);
    seg(t, true, fin | ack, 1001, 7001);
    seg(t, false, fin | ack, 7001, 1002);
    seg(t, true, syn, 90000); // port reuse
    seg(t, false, syn | ack, 123, 90001);
    const rows = t.rows(0);
    expect(rows.map((r) => r.frames)).toEqual([6, 2]);
    expect(rows.every((r) => r.a === '10.0.0.1')).toBe(true);
  });

  it('counts packets beyond the row bound as dropped', () => {
    const t = new ConversationTable(false, 1);
    t.observe(4, A, 0, 0, B, 0, 0, 100, 0, 0);
    t.observe(4, A, 0, 0, A, 0, 0, 100, 0, 0);
    expect([t.rowCount, t.droppedPackets]).toEqual([1, 1]);
  });

  it('keeps rows apart and reachable across table growth', () => {
    const t = new ConversationTable(true, 100_000);
    const src = Uint32Array.from([0, 0, 0xffff, 0]);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5000; i++) {
        src[3] = 0xc0a80000 + i;
        t.observe(4, src, 0, 1000 + (i % 7), B, 0, 53, 80, i, 0);
      }
    }
    expect(t.rowCount).toBe(5000);
    expect(t.rows(0).every((r) => r.frames === 2 && r.bytes === 160)).toBe(true);
  });
});

describe('tcp-lifecycle', () => {
  it('new stream only for a pure SYN with another ISN than the known base', () => {
    expect(startsNewTcpStream(syn, 5, true, 4)).toBe(true);
    expect(startsNewTcpStream(syn, 4, true, 4)).toBe(false);
    expect(startsNewTcpStream(syn | ack, 5, true, 4)).toBe(false);
    expect(startsNewTcpStream(syn, 5, false, 0)).toBe(false);
  });

  it('walks SYN, SYN/ACK, established, FIN, closed; RST is terminal', () => {
    let s: FlowState = nextTcpState(FlowState.active, syn, true, true, false);
    expect(s).toBe(FlowState.syn);
    s = nextTcpState(s, syn | ack, false, false, false);
    expect(s).toBe(FlowState.synAck);
    s = nextTcpState(s, ack, true, false, false);
    expect(s).toBe(FlowState.established);
    s = nextTcpState(s, fin | ack, true, false, false);
    expect(s).toBe(FlowState.fin);
    s = nextTcpState(s, fin | ack, false, false, true);
    expect(s).toBe(FlowState.closed);
    expect(nextTcpState(FlowState.established, rst, false, false, false)).toBe(FlowState.rst);
    expect(nextTcpState(FlowState.rst, ack, true, false, false)).toBe(FlowState.rst);
    expect(nextTcpState(FlowState.active, ack, true, true, false)).toBe(FlowState.established);
  });
});
