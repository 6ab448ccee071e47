/** The transport protocols a flow is counted under, in the order tables and charts list them. */
export const FLOW_PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
export type FlowProtocol = (typeof FLOW_PROTOCOLS)[number];
