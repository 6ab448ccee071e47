import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

/** When a first connection is still not made, say so after this long, then again at this interval. */
export interface WaitingNotices {
  firstAfterMs: number;
  everyMs: number;
}
const NOTICES: WaitingNotices = { firstAfterMs: 1000, everyMs: 30_000 };

/**
 * Connects to NATS, retrying until the server answers (`waitOnFirstConnect`),
 * and says so while it waits: a probe started before its bus would otherwise
 * wait in silence. `say` gets one line the first time and one per interval.
 */
export async function connectWaiting(options: ConnectionOptions, server: string, say: (line: string) => void, notices: WaitingNotices = NOTICES): Promise<NatsConnection> {
  const started = Date.now();
  let waiting = false;
  const notice = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    say(waiting ? `still waiting for NATS at ${server} (${seconds} s); retrying` : `waiting for NATS at ${server}; retrying until it answers`);
    waiting = true;
    timer = setTimeout(notice, notices.everyMs);
  };
  let timer = setTimeout(notice, notices.firstAfterMs);
  try {
    const nc = await connect(options);
    if (waiting) say(`connected to NATS at ${server}`);
    return nc;
  } finally {
    clearTimeout(timer);
  }
}
