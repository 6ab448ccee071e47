/**
 * The labels the name extractor gives flows (see `flow-name` for what each
 * means), and the changes waiting to be pushed. Both bounded: the oldest
 * labelled flow and the oldest waiting change go first.
 */
import { BoundedMap } from '../../src-shared/bounded-map';
import type { FlowLabels } from './flow-name';

export interface FlowLabelUpdate {
  flowId: number;
  labels: FlowLabels;
}

export type LabelField = 'sni' | 'httpHost' | 'dnsQuery' | 'dnsName';

export class FlowLabelBook {
  private readonly labels: BoundedMap<number, FlowLabels>;
  private readonly updates: BoundedMap<number, FlowLabels>;

  constructor(maxFlows: number, maxPending: number) {
    this.labels = new BoundedMap(maxFlows);
    this.updates = new BoundedMap(maxPending);
  }

  /** Changes dropped because `maxPending` were waiting. */
  get updatesDropped(): number {
    return this.updates.evicted;
  }

  /** Labelled flows dropped because `maxFlows` were kept. */
  get evicted(): number {
    return this.labels.evicted;
  }

  /** The labels of a flow, not copied: read them, do not keep them. */
  peek(flowId: number): FlowLabels | undefined {
    return this.labels.get(flowId);
  }

  copyOf(flowId: number): FlowLabels | undefined {
    const l = this.labels.get(flowId);
    return l && { ...l };
  }

  set(flowId: number, field: LabelField, value: string, endpoint?: 'a' | 'b'): void {
    let l = this.labels.get(flowId);
    if (l?.[field] === value && (endpoint === undefined || l.dnsNameOf === endpoint)) return;
    if (!l) {
      l = {};
      this.labels.set(flowId, l);
    }
    l[field] = value;
    if (endpoint !== undefined) l.dnsNameOf = endpoint;
    this.updates.set(flowId, l);
  }

  /** Flows whose labels changed since the last call (each flow once, with its current labels). */
  drainUpdates(): FlowLabelUpdate[] {
    const out: FlowLabelUpdate[] = [];
    for (const [flowId, labels] of this.updates.entries()) out.push({ flowId, labels: { ...labels } });
    this.updates.clear();
    return out;
  }

  forget(flowId: number): void {
    this.labels.delete(flowId);
    this.updates.delete(flowId);
  }
}
