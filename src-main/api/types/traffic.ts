/**
 * Plain data exchanged between main and the dashboard, one module per area of the API (this one: what
 * every area counts traffic in). Everything in these modules is JSON-serialisable (no Map, Date, bigint
 * or class instances) so that the same values cross the Electron preload bridge and the WebSocket unchanged.
 * Times are milliseconds since the Unix epoch (fractions allowed); rates are
 * per second; byte counts are whole frames (link-layer header included).
 */

import type { FlowProtocol } from '../../../src-shared/protocols';

/** Transport protocols the flow table and the rollups distinguish (src-shared/protocols.ts lists them). */
export type FlowProto = FlowProtocol;

/** Traffic direction relative to the monitored host (replays: A→B is "out"). */
export type Direction = 'in' | 'out';

export interface ByteCount {
  bytes: number;
  packets: number;
}
