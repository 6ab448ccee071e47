/** A flow's names, as the table, the search and the sort read them (one definition: src-shared/flow-query.ts). */
export { flowNameList, primaryName } from '../../src-shared/flow-query';
