/** The probes `serve --nats` hears (plain JSON data: see traffic.ts). */

/** joining: first heard within the last seconds; lagging: late or silent for seconds; gone: silent past the limit. */
export type ProbeState = 'joining' | 'live' | 'lagging' | 'gone';

export interface ProbeStatus {
  name: string;
  state: ProbeState;
  firstSeenMs: number;
  lastSeenMs: number;
  /** How far behind its latest rollup arrived (arrival minus the end of the second it covers). */
  lagMs: number;
  /** Its capture session, capture state and interfaces (as the dashboard names them: `<probe>/<interface>`). */
  session: string | null;
  captureState: 'starting' | 'running' | 'stopped' | 'failed';
  interfaces: string[];
  /** Totals of its rollups received during serve's current aggregation. */
  packets: number;
  bytes: number;
  messages: number;
  /** Holes in its message sequence, and the messages they held: never filled in. */
  gaps: number;
  missedMessages: number;
  /** Silences longer than the heartbeat allows (the bus or the probe was away). */
  silences: number;
  /** Times it started again (a new boot of the probe). */
  restarts: number;
  /** What the probe itself reports: messages dropped from its reconnect buffer, reconnections. */
  probeDropped: number;
  probeReconnects: number;
  lastError: string | null;
}
