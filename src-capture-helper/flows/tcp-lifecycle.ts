/**
 * TCP connection lifecycle as pure functions, shared by the flow table and the
 * analyze report so that both split a reused 4-tuple the same way tshark does.
 */
import { TcpFlag } from '../decode/decoded-packet';
import { FlowState } from './flow-types';

const SYN_ACK = TcpFlag.syn | TcpFlag.ack;

/**
 * The sequence number tshark takes as the base of one direction from that
 * direction's first segment: the ISN for a SYN, otherwise seq - 1 (as if the
 * SYN had been missed). Unsigned 32-bit.
 */
export function tcpBaseSeq(flags: number, seq: number): number {
  return (flags & TcpFlag.syn) !== 0 ? seq >>> 0 : (seq - 1) >>> 0;
}

/**
 * The base of the reverse direction learnt from an ACK when that direction has
 * sent nothing yet: ack - 1.
 */
export function tcpReverseBaseSeq(ack: number): number {
  return (ack - 1) >>> 0;
}

/**
 * Does this segment start a new stream on a 4-tuple that already has one?
 * tshark's `tcp.stream` rule: a pure SYN (no ACK) whose sequence number differs
 * from the base already known for its direction. A retransmitted SYN (same
 * ISN) stays in the stream; a SYN/ACK never starts one.
 *
 * Sequence numbers may come as signed 32-bit integers (`x | 0`): callers pass
 * them so, since an unsigned one above 2^31 is boxed on every call.
 */
export function startsNewTcpStream(flags: number, seq: number, directionBaseKnown: boolean, directionBaseSeq: number): boolean {
  return (flags & SYN_ACK) === TcpFlag.syn && directionBaseKnown && seq >>> 0 !== directionBaseSeq >>> 0;
}

/**
 * Next state of a TCP flow after one segment.
 * - `created`: this segment created the flow (a flow first seen mid-stream counts as established).
 * - `finBothSides`: FIN has now been seen from both sides, this segment included.
 * RST is terminal; so is `closed` until a new stream replaces the flow.
 */
export function nextTcpState(state: FlowState, flags: number, fromInitiator: boolean, created: boolean, finBothSides: boolean): FlowState {
  if ((flags & TcpFlag.rst) !== 0) return FlowState.rst;
  if (state === FlowState.rst || state === FlowState.closed) return state;
  if ((flags & TcpFlag.fin) !== 0) return finBothSides ? FlowState.closed : FlowState.fin;
  if ((flags & TcpFlag.syn) !== 0) {
    if ((flags & TcpFlag.ack) !== 0) return created || state === FlowState.syn ? FlowState.synAck : state;
    return created ? FlowState.syn : state;
  }
  if (created || (state === FlowState.synAck && fromInitiator)) return FlowState.established;
  return state;
}

/** A flow in this state has ended: a new SYN on its 4-tuple begins another flow. */
export function isTcpFinished(state: FlowState): boolean {
  return state === FlowState.closed || state === FlowState.rst;
}
