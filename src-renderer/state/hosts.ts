import { create } from 'zustand';
import type { ProbeStatus, RollupTick } from '../transport/api-types';

/**
 * The host picker of `serve --nats`: every probe, or one. Kept apart from the
 * app store: only the dashboard of many hosts has it, and a local capture
 * never sets `probe`, so "all hosts" leaves every view as it was.
 */
export interface HostState {
  /** Null: all hosts. */
  probe: string | null;
  /** The probes serve hears; empty when it hears none (a local capture). */
  probes: ProbeStatus[];
  setProbe(probe: string | null): void;
  setProbes(probes: ProbeStatus[]): void;
}

export const useHosts = create<HostState>((set) => ({
  probe: null,
  probes: [],
  setProbe: (probe) => set({ probe }),
  setProbes: (probes) => set({ probes }),
}));

/** A probe's interfaces are named `<probe>/<interface>`. */
export function isProbeInterface(iface: string, probe: string): boolean {
  return iface.startsWith(`${probe}/`);
}

/** One second as one host saw it: its interfaces and its top talkers (protocol shares stay those of all hosts). */
export function tickOfHost(tick: RollupTick, probe: string | null): RollupTick {
  if (probe === null) return tick;
  return {
    ...tick,
    interfaces: tick.interfaces.filter((i) => isProbeInterface(i.iface, probe)),
    topHosts: tick.topHosts.filter((h) => h.probe === probe),
    topFlows: tick.topFlows.filter((f) => f.probe === probe),
  };
}
