import type { ShownFlowState } from '../../src-shared/flow-query';
import type { FlowState, FlowSummary } from '../transport/api-types';
import { endpointText } from '../../src-shared/flow-query';

/** The state a person reads, an endpoint as the table shows it: one definition with the filter and sort. */
export type { ShownFlowState };
export { endpointText, shownState } from '../../src-shared/flow-query';

/** Every state the filter bar offers, in the order a connection goes through them. */
export const SHOWN_FLOW_STATES: readonly ShownFlowState[] = ['syn', 'established', 'fin', 'rst', 'closed', 'active', 'ended'];

const TCP_WORDS: Record<FlowState, string> = {
  syn: 'opening (SYN seen, no answer yet)',
  established: 'established',
  fin: 'closing (FIN seen)',
  rst: 'reset (RST seen)',
  closed: 'closed (FIN both ways)',
  active: 'active',
};

/** The state in words: an ended TCP flow also says how far its connection got, an active non-TCP flow that it ends
 *  once idle. */
export function stateDescription(f: FlowSummary): string {
  const tcp = f.proto === 'tcp';
  if (f.active) return tcp ? TCP_WORDS[f.state] : 'active until it goes idle';
  return tcp ? `ended; the connection was ${TCP_WORDS[f.state]}` : 'ended';
}

/** The flow in one line: `TCP 10.0.0.1:55469 → 82.102.152.19:80`. */
export function flowLabel(f: FlowSummary): string {
  return `${f.proto.toUpperCase()} ${endpointText(f.a, f.aPort)} → ${endpointText(f.b, f.bPort)}`;
}
