/** Exports of chosen flows' packets to a pcap or pcapng file (plain JSON data: see traffic.ts). */

import type { FlowFilter } from '../../../src-shared/flow-query';

export interface ExportRequest {
  format: 'pcapng' | 'pcap';
  /** The selected flows, or every flow matching `filter` when absent. */
  flowIds?: string[];
  filter?: FlowFilter;
  fromMs?: number;
  toMs?: number;
}

export interface ExportSummary {
  exportId: string;
  packets: number;
  bytes: number;
  /** Packets of the selected flows that had already left the spool. */
  missingPackets: number;
  /** Where main wrote the file (Electron), or the download URL (serve mode). */
  location: string;
}

export interface ExportProgress {
  exportId: string;
  packets: number;
  bytes: number;
  /** Packets the export will hold at most (an upper bound when a time range cuts through the spool). */
  packetsTotal: number;
  /** Packets of the selection that had left the spool (known when done). */
  missingPackets: number;
  cancelled: boolean;
  /** Why the export stopped, when it failed. */
  error: string | null;
  done: boolean;
}
