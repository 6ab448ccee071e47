/**
 * Link types whose records start with a pseudo-header that Wireshark's reader
 * takes off the record: tshark's frame length and captured length leave it
 * out, and a record too short to hold it makes the file damaged.
 */
const PSEUDO_HEADERS: Record<number, { length: number; name: string }> = {
  123: { length: 4, name: 'SunATM' },
  139: { length: 4, name: 'MTP2' },
  144: { length: 16, name: 'IrDA' },
  177: { length: 16, name: 'LAPD' },
  196: { length: 5, name: 'SITA' },
  201: { length: 4, name: 'Bluetooth' },
  204: { length: 1, name: 'PPP' },
  209: { length: 4, name: 'I2C' },
  245: { length: 2, name: 'NFC LLCP' },
  254: { length: 4, name: 'Bluetooth monitor' },
};

/** PSEUDO_HEADERS as a table indexed by link type: both functions below run once per record. */
const LENGTH_BY_LINK_TYPE = new Uint8Array(512);
for (const [linkType, h] of Object.entries(PSEUDO_HEADERS)) LENGTH_BY_LINK_TYPE[Number(linkType)] = h.length;

/** Bytes of pseudo-header at the start of every record of this link type (0 for most). */
export function pseudoHeaderLength(linkType: number): number {
  return linkType >= 0 && linkType < 512 ? LENGTH_BY_LINK_TYPE[linkType] : 0;
}

/** Why a record of `length` captured bytes is damaged for this link type, or undefined. */
export function pseudoHeaderProblem(linkType: number, length: number): string | undefined {
  // PPP's direction byte is taken off without a check.
  if (length >= pseudoHeaderLength(linkType) || linkType === 204) return undefined;
  return `${PSEUDO_HEADERS[linkType].name} file has a ${length}-byte packet, too small to have even a pseudo-header`;
}

/** Largest frame length tshark keeps: it holds lengths in a C int. */
export const MAX_FRAME_LENGTH = 0x7fffffff;
