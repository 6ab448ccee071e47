import type { Stats } from '../api/types/stats';

/** Counters of the server itself, shown next to the traffic. */
export interface ServerCounters {
  wsClients: number;
  wsEventsDropped: number;
  /** WebSocket clients closed because their unsent responses passed the per-client bound. */
  wsSlowClientsClosed: number;
  httpRequests: number;
  httpUnauthorized: number;
  /** Requests refused as coming from a page of another origin (or naming a host a loopback server does not answer to). */
  httpCrossOrigin: number;
  /** Requests answered 4xx because they were malformed (request line, headers, URL, body). */
  httpMalformed: number;
}

export function newServerCounters(): ServerCounters {
  return { wsClients: 0, wsEventsDropped: 0, wsSlowClientsClosed: 0, httpRequests: 0, httpUnauthorized: 0, httpCrossOrigin: 0, httpMalformed: 0 };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const entries = Object.entries(pairs);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge', help: string, samples: [Record<string, string>, number][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, value] of samples) this.lines.push(`${name}${labels(l)} ${Number.isFinite(value) ? value : 0}`);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Prometheus text exposition format 0.0.4 of the traffic and health counters. */
export function renderMetrics(stats: Stats, server: ServerCounters): string {
  const out = new Exposition();
  out.family('netmon_uptime_seconds', 'gauge', 'Seconds since the process started.', [[{}, stats.uptimeSec]]);
  out.family('netmon_capture_running', 'gauge', '1 while a capture runs.', [[{}, stats.capture.state === 'running' ? 1 : 0]]);
  out.family('netmon_helper_restarts_total', 'counter', 'Restarts of the capture helper.', [[{}, stats.capture.helperRestarts]]);
  const byDir = (pick: (d: { bytes: number; packets: number }) => number): [Record<string, string>, number][] =>
    stats.interfaces.flatMap((i) => [
      [{ iface: i.iface, direction: 'in' }, pick(i.in)],
      [{ iface: i.iface, direction: 'out' }, pick(i.out)],
    ] as [Record<string, string>, number][]);
  out.family('netmon_interface_bytes_total', 'counter', 'Bytes (whole frames) per interface and direction.', byDir((d) => d.bytes));
  out.family('netmon_interface_packets_total', 'counter', 'Packets per interface and direction.', byDir((d) => d.packets));
  const protos = Object.entries(stats.protocols);
  out.family('netmon_protocol_bytes_total', 'counter', 'Bytes per transport protocol.', protos.map(([p, c]) => [{ protocol: p }, c.bytes]));
  out.family('netmon_protocol_packets_total', 'counter', 'Packets per transport protocol.', protos.map(([p, c]) => [{ protocol: p }, c.packets]));
  out.family('netmon_drops_total', 'counter', 'Packets dropped by the kernel or by the helper.', stats.interfaces.flatMap((i) => [
    [{ iface: i.iface, source: 'kernel' }, i.kernelDrops],
    [{ iface: i.iface, source: 'helper' }, i.helperDrops],
  ] as [Record<string, string>, number][]));
  out.family('netmon_active_flows', 'gauge', 'Flows in the live table.', [[{}, stats.activeFlows]]);
  out.family('netmon_finished_flows', 'gauge', 'Flows in the finished-flow log.', [[{}, stats.finishedFlows]]);
  out.family('netmon_evicted_flows_total', 'counter', 'Flows evicted from the full flow table.', [[{}, stats.evictedFlows]]);
  out.family('netmon_flows_beyond_book', 'gauge', "Active flows beyond main's flow bound: counted, but not listed.", [[{}, stats.flowsBeyondBook]]);
  out.family('netmon_main_dropped_total', 'counter', "Items main's bounded buffers dropped.",
    Object.entries(stats.mainDrops).map(([buffer, n]) => [{ buffer }, n]));
  out.family('netmon_ws_clients', 'gauge', 'Connected WebSocket clients.', [[{}, server.wsClients]]);
  out.family('netmon_ws_events_dropped_total', 'counter', 'Events dropped for slow WebSocket clients.', [[{}, server.wsEventsDropped]]);
  out.family('netmon_http_requests_total', 'counter', 'HTTP requests served.', [[{}, server.httpRequests]]);
  out.family('netmon_ws_slow_clients_closed_total', 'counter', 'WebSocket clients closed because they did not read their responses.', [[{}, server.wsSlowClientsClosed]]);
  out.family('netmon_http_unauthorized_total', 'counter', 'Requests refused for a missing or wrong token.', [[{}, server.httpUnauthorized]]);
  out.family('netmon_http_cross_origin_total', 'counter', 'Requests refused as coming from a page of another origin or host name.', [[{}, server.httpCrossOrigin]]);
  out.family('netmon_http_malformed_total', 'counter', 'Malformed requests answered with a 4xx.', [[{}, server.httpMalformed]]);
  return out.toString();
}
