/** The network interfaces a capture can read (plain JSON data: see traffic.ts). */

export interface InterfaceAddress {
  address: string;
  /** Prefix length, e.g. 24 for 192.0.2.0/24. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface InterfaceInfo {
  name: string;
  description: string;
  addresses: InterfaceAddress[];
  up: boolean;
  loopback: boolean;
  /** LINKTYPE_* number when known. */
  linkType: number | null;
  /** Whether the helper may capture on it with the current rights. */
  canCapture: boolean;
}
