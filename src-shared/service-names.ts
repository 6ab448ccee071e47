/**
 * Service names next to port numbers (`443 https`), from the generated
 * table of the system's services database (services.ts). Display only: the
 * flow filter and the JSON report keep plain numbers.
 */
import { TCP_SERVICES, UDP_SERVICES } from './services';

/** The service name of a TCP or UDP port, if the services database names it. */
export function serviceName(proto: string, port: number | null): string | undefined {
  if (port === null) return undefined;
  const table = proto === 'tcp' ? TCP_SERVICES : proto === 'udp' ? UDP_SERVICES : undefined;
  return table !== undefined && Object.hasOwn(table, port) ? table[port] : undefined;
}

/** `" https"` for a named port, else `""`: appended to an endpoint or a port as shown. */
export function serviceSuffix(proto: string, port: number | null): string {
  const name = serviceName(proto, port);
  return name === undefined ? '' : ` ${name}`;
}

/**
 * A flow label as the capture helper makes it (`tcp 10.0.0.1:50000 → 198.51.100.1:443 (name)`)
 * with the service names of its ports: `... 198.51.100.1:443 https (name)`. Other text is returned as it is.
 */
export function labelWithServices(label: string): string {
  const m = /^(tcp|udp) (\S+):(\d+) → (\S+):(\d+)(.*)$/i.exec(label);
  if (!m) return label;
  const [, proto, a, aPort, b, bPort, rest] = m;
  const p = proto.toLowerCase();
  return `${proto} ${a}:${aPort}${serviceSuffix(p, Number(aPort))} → ${b}:${bPort}${serviceSuffix(p, Number(bPort))}${rest}`;
}
