/** Results of the API's requests: a value, or an expected failure (plain JSON data: see traffic.ts). */

/** An expected failure, delivered as a value; `issues` explains rejected input field by field. */
export interface ApiError {
  code: ApiErrorCode;
  message: string;
  issues?: ValidationIssue[];
}

export type ApiErrorCode =
  | 'invalid' // the request's parameters were rejected (see issues)
  | 'not-found' // the flow, rule or interface does not exist
  | 'unavailable' // the helper is not running or the capture is not started
  | 'permission' // capture rights are missing
  | 'conflict' // e.g. a capture is already running
  | 'internal'; // a bug: logged by main with its stack

/** One rejected field: `path` is dotted (e.g. "history.minuteDays"). */
export interface ValidationIssue {
  path: string;
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
