import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EventName, RequestName, RequestParams, RequestResult, StartParams } from '../../src-capture-helper/protocol/messages';
import { eventNames } from '../../src-capture-helper/protocol/messages';
import { socketPathIn } from '../../src-capture-helper/protocol/socket-path';
import type { EventListener } from './helper-client';
import { HelperClient, HelperConnectionError, HelperRequestError } from './helper-client';
import { helperEntryPath } from './helper-path';

export type HelperState = 'starting' | 'connected' | 'restarting' | 'down';

/** What the UI shows about the helper. */
export interface HelperStatus {
  state: HelperState;
  mode: 'spawned' | 'service';
  pid: number | null;
  /** Restarts (spawned) or reconnections (service) since the supervisor started. */
  restarts: number;
  lastError: string | null;
  /** Capture sessions the supervisor re-issues after a restart. */
  sessions: string[];
}

/**
 * A capture netmon-capture opened while this process was root (`sudo netmon
 * serve`): its output and control input, passed to the first helper as fds 3
 * and 4; that helper reads it as the user.
 */
export interface CaptureHandoff {
  interfaces: string[];
  output: Readable;
  control: Writable;
}

export type HelperLaunch =
  | {
    kind: 'spawn';
    /** Node binary and helper entry; default: this runtime and the build's dist/src-capture-helper/cli.js. */
    nodePath?: string;
    entry?: string;
    extraArgs?: string[];
    captureHandoff?: CaptureHandoff;
  }
  | {
    /** An installed helper already running as a service: its socket and 0600 token file. */
    kind: 'connect';
    socketPath: string;
    tokenFile: string;
  };

export interface HelperSupervisorOptions {
  launch: HelperLaunch;
  /** First delay before a restart or reconnection; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A helper that stayed up this long resets the backoff and the count of failed restarts. */
  stableAfterMs?: number;
  /** Restarts of a spawned helper in a row, none of them stable, before the supervisor gives up and reports it down. */
  maxFailedRestarts?: number;
  readyTimeoutMs?: number;
  /** Lines the helper wrote on stderr (start-up failures; its logs come as `log` events). */
  onStderr?: (line: string) => void;
}

const MAX_LINE = 64 * 1024;
/**
 * How long a helper told to stop may take before it is killed: longer than its own shutdown deadline (3 s), after
 * which it ends its capture programs itself and exits.
 */
const HELPER_EXIT_WAIT_MS = 5000;

/**
 * Keeps one helper connection alive for main: spawns the helper (or connects
 * to an installed one), restarts or reconnects after a crash with backoff,
 * and re-issues the `start` of every live capture that was running, with the
 * same settings and session id, so captures resume where the UI expects them
 * (a replay is not re-issued: it cannot resume where the helper stopped reading).
 * Event subscriptions survive restarts.
 */
export class HelperSupervisor {
  private client: HelperClient | null = null;
  private child: ChildProcess | null = null;
  private socketDir: string | null = null;
  private readonly sessions = new Map<string, StartParams>();
  private readonly listeners = new Map<EventName, Set<EventListener<EventName>>>();
  private readonly statusListeners = new Set<(status: HelperStatus) => void>();
  private readonly waiters: Array<{ resolve: (c: HelperClient) => void; reject: (e: Error) => void }> = [];
  private current: HelperStatus;
  private stopped = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private upSince = 0;
  private failedRestarts = 0;
  private handoff: CaptureHandoff | null;

  constructor(private readonly options: HelperSupervisorOptions) {
    this.current = {
      state: 'down',
      mode: options.launch.kind === 'spawn' ? 'spawned' : 'service',
      pid: null,
      restarts: 0,
      lastError: null,
      sessions: [],
    };
    this.backoffMs = options.initialBackoffMs ?? 250;
    this.handoff = options.launch.kind === 'spawn' ? options.launch.captureHandoff ?? null : null;
  }

  status(): HelperStatus {
    return { ...this.current, sessions: [...this.sessions.keys()] };
  }

  onStatus(listener: (status: HelperStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Starts the helper; resolves once the first connection is up, rejects if that first attempt fails. */
  async start(): Promise<void> {
    this.stopped = false;
    this.setStatus({ state: 'starting' });
    try {
      await this.bringUp();
    } catch (err) {
      this.setStatus({ state: 'down', lastError: (err as Error).message });
      throw err;
    }
  }

  /** Sends a request, waiting (up to the request timeout) for the helper if it is restarting. */
  async request<K extends RequestName>(method: K, params: RequestParams<K>, options: { timeoutMs?: number } = {}): Promise<RequestResult<K>> {
    const client = await this.connected(options.timeoutMs ?? 10_000);
    const result = await client.request(method, params, options);
    this.track(method, params, result);
    return result;
  }

  /** Subscribes to a helper event across restarts. */
  on<K extends EventName>(name: K, listener: EventListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as EventListener<EventName>);
    return () => set.delete(listener as EventListener<EventName>);
  }

  /** Stops supervising: closes the connection and ends a spawned helper. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.client?.close();
    this.client = null;
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end(); // the helper exits when its stdin closes
      const killer = setTimeout(() => child.kill('SIGKILL'), HELPER_EXIT_WAIT_MS);
      await exited;
      clearTimeout(killer);
    }
    await this.removeSocketDir();
    for (const w of this.waiters.splice(0)) w.reject(new HelperConnectionError('the helper supervisor was stopped'));
    this.setStatus({ state: 'down', pid: null });
  }

  private track<K extends RequestName>(method: K, params: RequestParams<K>, result: RequestResult<K>): void {
    if (method === 'start') {
      const started = result as RequestResult<'start'>;
      this.sessions.set(started.sessionId, { ...(params as StartParams), sessionId: started.sessionId });
    } else if (method === 'stop') {
      this.sessions.delete((params as RequestParams<'stop'>).sessionId);
    }
  }

  private connected(timeoutMs: number): Promise<HelperClient> {
    if (this.client && !this.client.closed) return Promise.resolve(this.client);
    if (this.stopped) return Promise.reject(new HelperConnectionError('the helper supervisor is stopped'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (c: HelperClient) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new HelperRequestError('unavailable', 'HelperUnavailable', `the capture helper is ${this.current.state}: ${this.current.lastError ?? 'not connected'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private async bringUp(): Promise<void> {
    const { launch } = this.options;
    const client = launch.kind === 'spawn' ? await this.spawnHelper(launch) : await this.connectService(launch);
    if (this.stopped) {
      client.close();
      return;
    }
    this.client = client;
    this.upSince = Date.now();
    for (const name of eventNames) {
      client.on(name, (payload, meta) => {
        const set = this.listeners.get(name);
        if (set) for (const l of [...set]) l(payload, meta);
      });
    }
    // Keep the session list in step with captures that end on their own (a replay reaching its end).
    client.on('captureState', (s) => {
      if (s.state !== 'running') this.sessions.delete(s.sessionId);
    });
    client.onClose((err) => this.onConnectionLost(client, err));
    for (const [sessionId, params] of this.sessions) {
      // A file read again from its start would count its packets twice: the core ends an interrupted replay instead.
      if (params.source.kind === 'file') {
        this.sessions.delete(sessionId);
        continue;
      }
      try {
        await client.request('start', params);
      } catch (err) {
        this.sessions.delete(sessionId);
        this.current.lastError = `could not resume session ${sessionId}: ${(err as Error).message}`;
      }
    }
    this.setStatus({ state: 'connected', pid: client.helperPid });
    for (const w of this.waiters.splice(0)) w.resolve(client);
  }

  private onConnectionLost(client: HelperClient, err: Error | null): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.setStatus({ state: 'restarting', lastError: err?.message ?? 'connection closed' });
    if (this.options.launch.kind === 'spawn' && this.child) {
      // The helper may still be alive with a broken connection: end it so exactly one runs.
      const child = this.child;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    if (Date.now() - this.upSince > (this.options.stableAfterMs ?? 30_000)) {
      this.backoffMs = this.options.initialBackoffMs ?? 250;
      this.failedRestarts = 0;
    }
    // A spawned helper that keeps failing is reported down, never restarted forever (a service is
    // restarted by its own manager: reconnecting to it goes on).
    if (this.options.launch.kind === 'spawn' && ++this.failedRestarts > (this.options.maxFailedRestarts ?? 5)) {
      this.setStatus({ state: 'down', pid: null, lastError: `the capture helper failed ${this.failedRestarts - 1} restarts in a row; last: ${this.current.lastError ?? 'unknown'}` });
      for (const w of this.waiters.splice(0)) w.reject(new HelperConnectionError(this.current.lastError ?? 'the capture helper is down'));
      return;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.current.restarts++;
      this.bringUp().catch((e: Error) => {
        this.setStatus({ state: 'restarting', lastError: e.message });
        this.scheduleRetry();
      });
    }, delay);
  }

  private async connectService(launch: Extract<HelperLaunch, { kind: 'connect' }>): Promise<HelperClient> {
    const token = (await fsp.readFile(launch.tokenFile, 'utf8')).trim();
    return HelperClient.connect({ socketPath: launch.socketPath, token });
  }

  private async spawnHelper(launch: Extract<HelperLaunch, { kind: 'spawn' }>): Promise<HelperClient> {
    await this.reapChild();
    await this.removeSocketDir();
    // mkdtemp creates the directory 0700: only this user can reach the socket.
    this.socketDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'netmon-helper-'));
    const socketPath = socketPathIn(this.socketDir);
    const token = randomBytes(32).toString('base64url');
    const env = process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env;
    // A capture opened while root goes to the first helper only; a restarted helper starts its own.
    const handoff = this.handoff;
    this.handoff = null;
    const stdio: StdioOptions = handoff ? ['pipe', 'pipe', 'pipe', handoff.output, handoff.control] : ['pipe', 'pipe', 'pipe'];
    const handoffArgs = handoff ? handoff.interfaces.flatMap((name) => ['--handoff-iface', name]) : [];
    const child = spawn(launch.nodePath ?? process.execPath, [launch.entry ?? helperEntryPath(), 'helper', '--socket', socketPath, ...handoffArgs, ...(launch.extraArgs ?? [])], {
      stdio,
      env,
    });
    if (handoff) {
      // The helper holds them now; this process keeps no copy, so the program sees its control input close with the helper.
      handoff.output.destroy();
      handoff.control.destroy();
    }
    this.child = child;
    // stdio 0-2 are pipes: these streams exist.
    const { stdin, stdout, stderr } = child as ChildProcess & { stdin: Writable; stdout: Readable; stderr: Readable };
    stdin.on('error', () => undefined);
    stdin.write(`${token}\n`);
    const stderrTail: string[] = [];
    lines(stderr, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      this.options.onStderr?.(line);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      const why = `the helper exited (${signal ?? `code ${code}`})${stderrTail.length ? `: ${stderrTail.join(' | ')}` : ''}`;
      this.current.lastError = why;
      if (!this.stopped && !this.client) return; // still starting: the ready wait reports it
      if (!this.stopped && this.current.state === 'connected') {
        this.client?.close();
        this.client = null;
        this.setStatus({ state: 'restarting', pid: null, lastError: why });
        this.scheduleRetry();
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new HelperConnectionError(`the helper did not become ready within ${this.options.readyTimeoutMs ?? 10_000} ms`));
      }, this.options.readyTimeoutMs ?? 10_000);
      const onExit = () => {
        clearTimeout(timer);
        reject(new HelperConnectionError(this.current.lastError ?? 'the helper exited during start-up'));
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new HelperConnectionError(`cannot start the helper: ${err.message}`));
      });
      lines(stdout, (line) => {
        if (!line.startsWith('{')) return;
        try {
          if ((JSON.parse(line) as { ready?: unknown }).ready === true) {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve();
          }
        } catch {
          // Not the ready line.
        }
      });
    });
    return HelperClient.connect({ socketPath, token });
  }

  private async reapChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  private async removeSocketDir(): Promise<void> {
    const dir = this.socketDir;
    this.socketDir = null;
    if (dir !== null) await fsp.rm(dir, { recursive: true, force: true });
  }

  private setStatus(patch: Partial<HelperStatus>): void {
    this.current = { ...this.current, ...patch };
    const status = this.status();
    for (const l of [...this.statusListeners]) l(status);
  }
}

/** Calls onLine for each line of a stream, with a bound on line length. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (buf.length > MAX_LINE) buf = buf.slice(-MAX_LINE);
  });
}
