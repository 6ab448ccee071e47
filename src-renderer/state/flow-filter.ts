import type { FlowProto, FlowSummary } from '../transport/api-types';
import { flowNameList } from './flow-names';
import type { ShownFlowState } from './flow-shown';
import { endpointText, shownState } from './flow-shown';
import { geoSearchText } from '../format/geo';
import { cidrContains, isCidr, parseCidr, parseIpCached } from '../format/ip';

/** What the user typed into the flow filter bar. Empty fields match everything. */
export interface FlowFilterInput {
  text: string;
  protocols: readonly FlowProto[];
  /** As the table shows them: "ended" is every flow no longer live, the others are live flows in that state. */
  states: readonly ShownFlowState[];
  cidr: string;
  port: string;
  /** One flow picked elsewhere (a top flow on the Overview), shown with its label until the user removes it. */
  flow: { id: string; label: string } | null;
}

export const EMPTY_FILTER: FlowFilterInput = { text: '', protocols: [], states: [], cidr: '', port: '', flow: null };

export interface FilterErrors {
  cidr?: string;
  port?: string;
}

export type CompiledFilter =
  | { ok: true; matches: (flow: FlowSummary) => boolean; active: boolean }
  | { ok: false; errors: FilterErrors };

/** Port field: one port (`443`), a range (`8000-8999`) or a comma list of either. */
function parsePorts(text: string): Array<[number, number]> | string {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(part);
    if (!m) return `"${part}" is not a port or a range like 8000-8999`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535) return `ports go up to 65535, got "${part}"`;
    if (lo > hi) return `range "${part}" runs backwards`;
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Turns the filter bar into one predicate, or field errors the bar shows next to the inputs. A bad field never
 *  half-applies: the table keeps its previous filter until the input is valid. */
export function compileFilter(input: FlowFilterInput): CompiledFilter {
  const errors: FilterErrors = {};
  const cidrText = input.cidr.trim();
  const cidr = cidrText === '' ? null : parseCidr(cidrText);
  if (cidr && !isCidr(cidr)) errors.cidr = cidr.error;
  const portText = input.port.trim();
  const ports = portText === '' ? null : parsePorts(portText);
  if (typeof ports === 'string') errors.port = ports;
  if (errors.cidr || errors.port) return { ok: false, errors };

  const needle = input.text.trim().toLowerCase();
  const protos = input.protocols.length ? new Set(input.protocols) : null;
  const states = input.states.length ? new Set(input.states) : null;
  const range = cidr && isCidr(cidr) ? cidr : null;
  const portRanges = Array.isArray(ports) && ports.length ? ports : null;
  const inRange = (ip: string): boolean => {
    const bytes = parseIpCached(ip);
    return bytes !== null && range !== null && cidrContains(range, bytes);
  };
  const portMatches = (p: number | null): boolean =>
    p !== null && portRanges !== null && portRanges.some(([lo, hi]) => p >= lo && p <= hi);

  const only = input.flow?.id ?? null;
  const matches = (f: FlowSummary): boolean => {
    if (only !== null && f.id !== only) return false;
    if (protos && !protos.has(f.proto)) return false;
    if (states && !states.has(shownState(f))) return false;
    if (portRanges && !portMatches(f.aPort) && !portMatches(f.bPort)) return false;
    if (range && !inRange(f.a) && !inRange(f.b)) return false;
    if (needle && !flowText(f).includes(needle)) return false;
    return true;
  };
  return { ok: true, matches, active: Boolean(needle || protos || states || range || portRanges || only) };
}

const textCache = new WeakMap<FlowSummary, string>();

/** The text a free-text search looks in: endpoints as the table shows them, names, protocol, state, interface, so
 *  what a person copies from a row finds it. Cached per flow object (a
 *  changed flow arrives as a new object), so typing in the search box does not rebuild 100k strings a keystroke. */
export function flowText(f: FlowSummary): string {
  let t = textCache.get(f);
  if (t === undefined) {
    t = buildFlowText(f);
    textCache.set(f, t);
  }
  return t;
}

function buildFlowText(f: FlowSummary): string {
  return `${endpointText(f.a, f.aPort)} ${endpointText(f.b, f.bPort)} ${flowNameList(f).join(' ')} ${f.proto} ${shownState(f)} ${f.iface} ${geoSearchText(f)}`.toLowerCase();
}

export function filterFlows(flows: Iterable<FlowSummary>, filter: CompiledFilter & { ok: true }): FlowSummary[] {
  const out: FlowSummary[] = [];
  for (const f of flows) if (filter.matches(f)) out.push(f);
  return out;
}
