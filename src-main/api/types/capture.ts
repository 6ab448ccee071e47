/** A capture: what it reads, its sessions, its status and the rights it needs (plain JSON data: see traffic.ts). */

export type CaptureSource =
  | { kind: 'live'; interfaces: string[]; bpf?: string; snaplen?: number; promiscuous?: boolean }
  /** `speed` 1 = real time, 10 = ten times faster, 0 = as fast as the engine goes. */
  | { kind: 'replay'; file: string; speed: number };

/** What a capture session read: a live interface, a capture file, or the demo capture shipped with netmon. */
export type CaptureSessionKind = 'live' | 'replay' | 'demo' | 'unknown';

/**
 * One capture from its start to its end: each start (live, replay, demo) is a new session, and the flows it saw
 * carry its id (a flow's id is `session:n`). Kept in the history with its flows.
 */
export interface CaptureSession {
  id: string;
  kind: CaptureSessionKind;
  /** The interfaces (comma-separated) or the file's path; empty for a session recorded before sessions were. */
  source: string;
  startedAtMs: number;
  /** Null while it runs (or if the process ended before it did). */
  endedAtMs: number | null;
  /** Why it ended early (a replay interrupted by a helper restart); null if it ended as it should or still runs. */
  error: string | null;
  /** Its flows in the finished-flow log (the running session's active flows are not yet there). */
  finishedFlows: number;
}

export type CaptureState = 'idle' | 'starting' | 'running' | 'finished' | 'stopping' | 'error';

/** Which packet path runs: our batching addon, the `cap` fallback, or a file reader. */
export type CapturePath = 'netmon-capture' | 'cap' | 'file';

export type HelperState = 'connected' | 'starting' | 'restarting' | 'down';

export interface CaptureStatus {
  state: CaptureState;
  /** Changes with every start; events of a stale capture carry an old id. */
  captureId: string | null;
  source: CaptureSource | null;
  path: CapturePath | null;
  startedAtMs: number | null;
  /** For a replay: fraction of the file processed, 0..1. */
  progress: number | null;
  error: string | null;
  helper: HelperState;
  helperRestarts: number;
  /** The capture reads the demo file shipped with Netmon (`capture.demo`, `serve --demo`, or a replay of that file): its alerts are never sent. */
  demo: boolean;
  /**
   * Grows with every change of this status while the server runs. Statuses reach a client by more than one path
   * (pushed events, answers to requests, an HTTP upload's answer), which can overtake each other: a client keeps
   * the status with the highest revision.
   */
  revision: number;
}

export interface PrivilegeStatus {
  canCapture: boolean;
  /** What a user runs once in a terminal to grant capture rights. */
  grantCommand: string;
  /** Why capture is not possible, in words for the user. */
  reason: string | null;
  /** The installed netmon-capture is older than this build: "capture rights need updating", and granting them again fixes it. */
  outdated: boolean;
}
