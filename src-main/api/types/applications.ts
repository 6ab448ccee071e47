/** Traffic by the application (process) of each flow (plain JSON data: see traffic.ts). */

/** A remote host an application talked to, with the name learnt for it (DNS, SNI, HTTP Host) if any. */
export interface ApplicationHost {
  host: string;
  name: string | null;
  bytes: number;
  flows: number;
}

/** One application's traffic (src-main/core/applications.ts): its label, the process it last stood for, bytes each
 *  way as the process sent and received them, and its top remote hosts by bytes. */
export interface ApplicationUsage {
  label: string;
  system: boolean;
  uid: number | null;
  user: string | null;
  exe: string | null;
  /** Process ids seen, most recent first (at most 20). */
  pids: number[];
  bytesIn: number;
  bytesOut: number;
  flows: number;
  /** Of `flows`, those still open. */
  activeFlows: number;
  lastSeenMs: number | null;
  /** At most 5, most bytes first. */
  topHosts: ApplicationHost[];
}

export interface ApplicationsQuery {
  /** A capture session's id or `*` for every one; absent: the current session (as flows.query). */
  session?: string;
  /** Only flows seen during the last `windowSec` seconds. */
  windowSec?: number;
}

export interface ApplicationsReport {
  /** The session reported (`*`: every session), or null when there is none yet. */
  session: string | null;
  fromMs: number | null;
  /** At most 100, most bytes first. */
  applications: ApplicationUsage[];
  /** Applications left out of the list. */
  omitted: number;
  /** Flows no process was found for (and their bytes). */
  unattributed: { bytes: number; flows: number };
  /** More active flows than a report reads (100 000): the rest were left out. */
  truncated: boolean;
  /** Whether flows can carry their process here: only live captures on Linux do. */
  attribution: 'available' | 'capture-file' | 'unsupported-platform';
}
