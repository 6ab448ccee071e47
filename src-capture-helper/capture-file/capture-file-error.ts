/**
 * Why a capture file could not be read (completely). Packets read before the
 * problem have already been delivered when this is reported.
 * - `io`: the file cannot be opened or read.
 * - `not-a-capture`: neither pcap nor pcapng.
 * - `unsupported`: a version or feature the reader does not handle (as tshark).
 * - `bad-file`: a structural error (hostile length, bad interface index...).
 * - `cut-short`: the file ends in the middle of a record or block.
 */
export type CaptureFileErrorKind = 'io' | 'not-a-capture' | 'unsupported' | 'bad-file' | 'cut-short';

export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';
  /** A file the client named that cannot be read as a capture. */
  readonly requestErrorCode = 'invalid';

  constructor(
    readonly kind: CaptureFileErrorKind,
    message: string,
    /** Byte offset in the file where the problem was found. */
    readonly fileOffset = 0,
  ) {
    super(message);
  }
}
