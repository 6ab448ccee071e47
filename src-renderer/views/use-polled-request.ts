import { useEffect, useState } from 'react';
import type { RequestChannel, RequestParams, RequestResult } from '../transport/api-types';
import { useController } from './app-context';

/**
 * A panel's data: `channel` asked now and every `intervalMs`, and again at once when the params or `restartKey`
 * (e.g. the capture) change. Answers to an earlier ask that arrive late are ignored.
 */
export function usePolledRequest<C extends RequestChannel>(
  channel: C,
  params: RequestParams<C>,
  intervalMs: number,
  restartKey = '',
): { data: RequestResult<C> | null; error: string | null } {
  const { transport } = useController();
  const [data, setData] = useState<RequestResult<C> | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The params by value: a panel builds a new object each render.
  const paramsKey = JSON.stringify(params);
  useEffect(() => {
    let live = true;
    const asked = JSON.parse(paramsKey) as RequestParams<C>;
    const load = async () => {
      const r = await transport.request(channel, asked);
      if (!live) return;
      if (r.ok) {
        setData(r.value);
        setError(null);
      } else {
        setError(r.error.message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [transport, channel, paramsKey, intervalMs, restartKey]);
  return { data, error };
}
