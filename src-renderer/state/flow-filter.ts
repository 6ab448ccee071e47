import type { FlowFilter, FlowProto } from '../transport/api-types';
import type { ShownFlowState } from './flow-shown';
import { compileFlowFilter } from '../../src-shared/flow-query';
import { isCidr, parseCidr } from '../../src-shared/ip';

/** What the user typed into the flow filter bar. Empty fields match everything. */
export interface FlowFilterInput {
  text: string;
  protocols: readonly FlowProto[];
  /** As the table shows them: "ended" is every flow no longer live, the others are live flows in that state. */
  states: readonly ShownFlowState[];
  cidr: string;
  port: string;
  /** An application label, exact and case-insensitive (`curl`, `system (user 0)`). */
  application: string;
  /** One flow picked elsewhere (a top flow on the Overview), shown with its label until the user removes it. */
  flow: { id: string; label: string } | null;
}

export const EMPTY_FILTER: FlowFilterInput = { text: '', protocols: [], states: [], cidr: '', port: '', application: '', flow: null };

export interface FilterErrors {
  cidr?: string;
  port?: string;
}

/** A valid filter is the API's filter main applies (`flows.query`); `active` when it keeps fewer than every flow. */
export type CompiledFilter =
  | { ok: true; query: FlowFilter; active: boolean }
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

/** The filter bar as the API's filter, the one definition main and the history use too. */
export function filterOfInput(input: FlowFilterInput, ports: Array<[number, number]>): FlowFilter {
  const filter: FlowFilter = {};
  const text = input.text.trim();
  if (text !== '') filter.text = text;
  if (input.protocols.length > 0) filter.proto = [...input.protocols];
  if (input.states.length > 0) filter.shown = [...input.states];
  const cidr = input.cidr.trim();
  if (cidr !== '') filter.ip = cidr;
  if (ports.length > 0) filter.ports = ports;
  const application = input.application.trim();
  if (application !== '') filter.application = application;
  if (input.flow !== null) filter.ids = [input.flow.id];
  return filter;
}

/** Turns the filter bar into the API's filter, or field errors the bar shows next to the inputs. A bad field never
 *  half-applies: the table keeps its previous filter until the input is valid. */
export function compileFilter(input: FlowFilterInput): CompiledFilter {
  const errors: FilterErrors = {};
  const cidrText = input.cidr.trim();
  const cidr = cidrText === '' ? null : parseCidr(cidrText);
  if (cidr && !isCidr(cidr)) errors.cidr = cidr.error;
  const portText = input.port.trim();
  const ports = portText === '' ? [] : parsePorts(portText);
  if (typeof ports === 'string') errors.port = ports;
  if (errors.cidr || typeof ports === 'string') return { ok: false, errors };
  const query = filterOfInput(input, ports);
  // Compiled here once too: a filter main would refuse is reported at the bar, not as a failed request.
  return { ok: true, query, active: compileFlowFilter(query).active };
}
