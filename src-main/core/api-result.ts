import type { ApiError, ApiResult } from '../api/types/results';
import type { HelperPort } from './helper-port';

export function ok<T>(value: T): ApiResult<T> {
  return { ok: true, value };
}

export function fail<T>(code: ApiError['code'], message: string, issues?: ApiError['issues']): ApiResult<T> {
  return { ok: false, error: issues === undefined ? { code, message } : { code, message, issues } };
}

/** The helper to send a request to, or the 'unavailable' answer when none is attached. */
export function requireHelper(helper: HelperPort | null): ApiResult<HelperPort> {
  return helper === null ? fail('unavailable', 'the capture helper is not running') : ok(helper);
}
