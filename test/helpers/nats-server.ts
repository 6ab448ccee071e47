import { execFileSync, type ChildProcess } from 'node:child_process';
import { spawnInGroup } from './process-groups';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Debian's nats-server (installed by .ci/run). */
export const NATS_SERVER = '/usr/sbin/nats-server';

export function hasNatsServer(): boolean {
  try {
    execFileSync(NATS_SERVER, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface NatsServer {
  url: string;
  port: number;
  user: string;
  password: string;
  /** Ends the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same address and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs nats-server with its config in `dir`: listening on `host` (loopback by
 * default) at a port it picks, user and password required.
 */
export async function startNatsServer(dir: string, host = '127.0.0.1'): Promise<NatsServer> {
  const user = 'netmon';
  const password = randomBytes(12).toString('hex');
  const config = path.join(dir, 'nats.conf');
  const write = (port: number) => fs.writeFileSync(config, `listen: "${host}:${port}"\nauthorization { user: "${user}", password: "${password}" }\n`, { mode: 0o600 });
  write(-1);
  let child: ChildProcess | null = null;
  const launch = (): Promise<number> => new Promise((resolve, reject) => {
    const c = spawnInGroup(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 10_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}): ${log}`));
    });
  });
  const port = await launch();
  write(port);
  const end = async (signal: NodeJS.Signals) => {
    const c = child as ChildProcess | null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  return {
    url: `nats://${host}:${port}`,
    port,
    user,
    password,
    kill: () => end('SIGKILL'),
    restart: async () => {
      await launch();
    },
    stop: () => end('SIGTERM'),
  };
}
