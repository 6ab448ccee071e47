import { describe, expect, it } from 'vitest';
import { FrameBuilder, IP_PROTO } from '../../../bench/frame-builder';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import { FLOW_SLOT_SPACE } from '../../../src-capture-helper/flows/flow-types';
import { TcpQuality } from '../../../src-capture-helper/flows/tcp-quality';
import { decodeFrame, packet, tcpFlags } from './packets';

const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;

/** A TCP segment between 10.0.0.1:40000 and 10.0.0.2:443 at time t (seconds). */
function segment(fromClient: boolean, flags: string, seq: number, ack: number, len: number, t: number) {
  const b = new FrameBuilder();
  b.ipProto = IP_PROTO.tcp;
  if (fromClient) b.setV4(CLIENT, SERVER);
  else b.setV4(SERVER, CLIENT);
  b.srcPort = fromClient ? 40000 : 443;
  b.dstPort = fromClient ? 443 : 40000;
  b.tcpFlags = tcpFlags(flags);
  b.seq = seq;
  b.ack = ack;
  b.payloadLength = len;
  return decodeFrame(b.build(), t);
}

function setup() {
  const table = new FlowTable({ maxFlows: 16, clock: 'packet', timeouts: { tcpClosed: 1 } });
  const quality = new TcpQuality(table, { maxFlowsPerSecond: 8 });
  const feed = (p: ReturnType<typeof segment>) => {
    const id = table.observe(p.pkt, p.rec);
    quality.observe(p.pkt, p.rec, id);
    return id;
  };
  return { table, quality, feed };
}

describe('TcpQuality per flow and per second', () => {
  it('reports a completed handshake and new retransmissions in the second they happen, once', () => {
    const { quality, feed } = setup();
    const id = feed(segment(true, 'S', 100, 0, 0, 1000.0));
    feed(segment(false, 'SA', 900, 101, 0, 1000.04));
    feed(segment(true, 'A', 101, 901, 0, 1000.05));
    expect(quality.drainSecond()).toEqual({ retransmissions: 0, handshakes: 1, rttSumMs: expect.closeTo(50, 6), flows: [{ flowId: id, retransmissions: 0, rttMs: expect.closeTo(50, 6) }] });
    feed(segment(true, 'PA', 101, 901, 500, 1001.0));
    feed(segment(true, 'PA', 101, 901, 500, 1001.5));
    feed(segment(true, 'PA', 101, 901, 500, 1001.9));
    expect(quality.drainSecond()).toEqual({ retransmissions: 2, handshakes: 0, rttSumMs: 0, flows: [{ flowId: id, retransmissions: 2, rttMs: null }] });
    expect(quality.drainSecond()).toEqual({ retransmissions: 0, handshakes: 0, rttSumMs: 0, flows: [] });
  });

  it('reports the news of a flow that ends before the second is drained', () => {
    const { table, quality, feed } = setup();
    const id = feed(segment(true, 'PA', 101, 901, 100, 50.0));
    feed(segment(true, 'PA', 101, 901, 100, 50.5));
    feed(segment(true, 'R', 201, 0, 0, 50.6));
    // The closed flow lingers 1 s, then a later packet's clock expires it.
    feed(segment(false, 'S', 7, 0, 0, 53.0));
    expect(table.get(id)).toBeUndefined();
    const second = quality.drainSecond();
    expect(second.flows).toContainEqual({ flowId: id, retransmissions: 1, rttMs: null });
  });

  it('has figures for TCP flows only', () => {
    const { table, quality } = setup();
    const udp = packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 5, dport: 53 });
    const id = table.observe(udp.pkt, udp.rec);
    quality.observe(udp.pkt, udp.rec, id);
    expect(quality.figures(id % FLOW_SLOT_SPACE)).toBeNull();
  });
});
