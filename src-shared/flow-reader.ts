/**
 * How the flow filter and sort (flow-query.ts) read a flow, so one definition of each filter field and sort key
 * runs over any store: main's and the dashboard's flow objects, and the capture helper's flow table, read column by
 * column through a slot number without building an object per flow.
 *
 * A store answers the fields it holds. The methods marked optional are what only some stores know (main looks up
 * places, learns names and rates); a filter or sort that needs one a store lacks is refused with a FlowFilterError
 * naming the field, never answered as if it matched nothing.
 */
import type { Cidr } from './ip';
import type { FlowProtocol } from './protocols';

export type FlowStateName = 'syn' | 'established' | 'fin' | 'rst' | 'closed' | 'active';
const FLOW_STATE_NAMES: readonly string[] = ['syn', 'established', 'fin', 'rst', 'closed', 'active'] satisfies FlowStateName[];

/** A flow's state as the capture helper's rows name it, as every other part reads it: a state they do not name (the
 *  helper's `synAck`, between a SYN and the handshake's end) is `active`. */
export function flowStateNameOf(wire: string): FlowStateName {
  return FLOW_STATE_NAMES.includes(wire) ? (wire as FlowStateName) : 'active';
}
export type FlowSide = 'a' | 'b';
export type FlowDirection = 'aToB' | 'bToA';

/** What a country/AS filter and the free text read of an endpoint's place. */
export interface QueryableGeo {
  country: string | null;
  asn: number | null;
  asName: string | null;
  /** A special range (private, loopback, ...) instead of a place. */
  special: string | null;
}

/** Reads the fields of the flow behind a handle `R` (a flow object, or a slot of a table). */
export interface FlowReader<R> {
  /** The store, as errors name it ("the capture helper's flow table"). */
  readonly store: string;
  proto(r: R): FlowProtocol;
  /** The wire state (a flow keeps its last one after it ended). */
  state(r: R): FlowStateName;
  active(r: R): boolean;
  inCidr(r: R, side: FlowSide, cidr: Cidr): boolean;
  /** The side's port, null for protocols without ports. */
  port(r: R, side: FlowSide): number | null;
  bytes(r: R, dir: FlowDirection): number;
  packets(r: R, dir: FlowDirection): number;
  firstSeenMs(r: R): number;
  lastSeenMs(r: R): number;
  /** The side's sort key: `endpointKey` of flow-query.ts (address in numeric order, then port). */
  endpointKey(r: R, side: FlowSide): string;

  id?(r: R): string;
  iface?(r: R): string;
  probe?(r: R): string | undefined;
  /** Every distinct name of the flow, best first. */
  names?(r: R): string[];
  /** The name a name sort orders by (`primaryName` of flow-query.ts). */
  primaryName?(r: R): string | null;
  /** The text a free-text search looks in, lower case. */
  text?(r: R): string;
  geo?(r: R): { a: QueryableGeo; b: QueryableGeo } | undefined;
  appLabel?(r: R): string | undefined;
  /** Bits per second, both directions. */
  rate?(r: R): number;
  quality?(r: R): { rttMs: number | null; retransmissions: number } | undefined;
}

/** The reader's optional methods: what a filter field or sort key needs beyond the fields every store holds. */
export type OptionalReading = Exclude<
  { [K in keyof FlowReader<unknown>]-?: undefined extends FlowReader<unknown>[K] ? K : never }[keyof FlowReader<unknown>],
  undefined
>;
