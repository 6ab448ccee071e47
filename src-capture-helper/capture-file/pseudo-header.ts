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

/** Bytes of pseudo-header at the start of every record of this link type (0 for most). */
export function pseudoHeaderLength(linkType: number): number {
  return linkType >= 0 && linkType < 512 ? (PSEUDO_HEADERS[linkType]?.length ?? 0) : 0;
}

/** Why a record of `length` captured bytes is damaged for this link type, or undefined. */
export function pseudoHeaderProblem(linkType: number, length: number): string | undefined {
  const h = PSEUDO_HEADERS[linkType];
  // PPP's direction byte is taken off without a check.
  if (h === undefined || linkType === 204 || length >= h.length) return undefined;
  return `${h.name} file has a ${length}-byte packet, too small to have even a pseudo-header`;
}

/** Largest frame length tshark keeps: it holds lengths in a C int. */
export const MAX_FRAME_LENGTH = 0x7fffffff;
