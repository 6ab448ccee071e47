import type { NameSource } from '../transport/api-types';
import { assertNever } from '../util/assert-never';

/** A flow's names, as the table, the search and the sort read them (one definition: src-shared/flow-query.ts). */
export { flowNameList, primaryName } from '../../src-shared/flow-query';

/** Where a name came from, said plainly. */
export function nameSourceText(source: NameSource): string {
  switch (source) {
    case 'sni':
      return 'TLS/QUIC server name (SNI) of this flow';
    case 'host':
      return 'HTTP Host of this flow';
    case 'dns':
      return 'the question this DNS flow asked';
    case 'dns-answer':
      return 'a DNS answer seen before this flow started';
    default:
      return assertNever(source);
  }
}
