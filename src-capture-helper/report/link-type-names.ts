/** LINKTYPE_* names as the tcpdump.org registry (and the truth files) spell them. */
const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'ETHERNET',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  127: 'IEEE802_11_RADIOTAP',
  147: 'USER0',
  182: 'MTP2_WITH_PHDR',
  192: 'PPI',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  252: 'WIRESHARK_UPPER_PDU',
  253: 'NETLINK',
  276: 'LINUX_SLL2',
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}
