import type { EventMap, EventName, RequestName, RequestParams, RequestResult } from '../../src-capture-helper/protocol/messages';
import type { HelperState } from '../api/types/capture';

/**
 * What the core needs from the capture helper: typed requests, event
 * subscriptions, and the connection's state. `HelperClient` (one connection)
 * and the supervisor that restarts the helper both provide it.
 */
export interface HelperPort {
  request<K extends RequestName>(method: K, params: RequestParams<K>, options?: { timeoutMs?: number }): Promise<RequestResult<K>>;
  /** `attachment` carries the binary data of export chunks. */
  on<K extends EventName>(name: K, listener: (payload: EventMap[K], meta: { session: string | null; attachment?: Buffer }) => void): () => void;
  /** A port over several captures (probes on the bus) refuses, before any byte is sent, an export one file cannot hold. */
  checkExport?(flowIds: readonly number[]): string | null;
  /** False for a port with no flow table to list (probes on the bus keep theirs): what its deltas leave out cannot be
   *  caught up, and an empty listing would make every flow held look gone. */
  readonly listsFlows?: boolean;
}

/** Optional: a port that reports connection changes (the supervisor does; a single connection only closes). */
export interface HelperStateSource {
  onStatus(listener: (status: { state: HelperState; restarts: number; lastError: string | null }) => void): () => void;
}

export function hasStateSource(port: HelperPort): port is HelperPort & HelperStateSource {
  return typeof (port as Partial<HelperStateSource>).onStatus === 'function';
}
