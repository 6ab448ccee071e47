import path from 'node:path';
import { expectCaptureHandoff } from '../live/capture-handoff';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { defaultSocketDir, socketPathIn } from '../protocol/socket-path';
import { CaptureService } from '../server/capture-service';
import { HelperLifetime } from '../server/helper-lifetime';
import { HelperLog } from '../server/helper-log';
import type { RequestHandlers } from '../server/helper-server';
import { defaultLimits, HelperServer } from '../server/helper-server';
import { readOrCreateTokenFile, readTokenLine } from '../server/token-source';
import { parseCommandLine } from '../util/command-line';

const HELPER_VERSION = '0.1.0';

const USAGE = `usage: netmon-helper helper [--socket PATH] [--token-file PATH] [options]

Runs the capture helper as a daemon serving clients on a local socket.

  --socket PATH        socket to listen on (default ${socketPathIn(defaultSocketDir())});
                       its directory is created 0700 and must belong to this user
  --token-file PATH    read the client token from PATH (mode 0600), creating it with a
                       fresh token when missing (installed helper service)
                       without it the token is the first line of stdin, and the helper
                       exits when stdin closes (helper spawned by the app)
  --max-queue-kib N    per-client send queue bound (default ${defaultLimits.maxQueueBytes / 1024})
  --hello-timeout-ms N time a client has to authenticate (default ${defaultLimits.helloTimeoutMs})
  --log-stderr         also print log records on stderr
  --handoff-iface IF   a capture of IF (repeat in order) is already open: netmon-capture's
                       output on fd 3 and its control input on fd 4 (root parent, sudo)

Prints one JSON line {"ready":true,"socket":...,"pid":...} on stdout once listening.`;

interface HelperArgs {
  socket: string;
  tokenFile: string | null;
  maxQueueBytes: number;
  helloTimeoutMs: number;
  logStderr: boolean;
  handoff: string[];
}

function parseHelperArgs(args: string[]): HelperArgs | string {
  const out: HelperArgs = {
    socket: socketPathIn(defaultSocketDir()),
    tokenFile: null,
    maxQueueBytes: defaultLimits.maxQueueBytes,
    helloTimeoutMs: defaultLimits.helloTimeoutMs,
    logStderr: false,
    handoff: [],
  };
  const positiveInt = (flag: string, v: string, max: number): number | string => {
    const n = Number(v);
    return Number.isInteger(n) && n > 0 && n <= max ? n : `${flag} needs an integer 1..${max}, got ${JSON.stringify(v)}`;
  };
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      socket: { type: 'string' },
      'token-file': { type: 'string' },
      'max-queue-kib': { type: 'string' },
      'hello-timeout-ms': { type: 'string' },
      'log-stderr': { type: 'boolean' },
      'handoff-iface': { type: 'string', multiple: true },
    },
  });
  if (typeof parsed === 'string') return parsed;
  const v = parsed.values;
  if (v.socket === '' || v['token-file'] === '') return `${v.socket === '' ? '--socket' : '--token-file'} needs a path`;
  if (v.socket !== undefined) out.socket = path.resolve(v.socket);
  if (v['token-file'] !== undefined) out.tokenFile = path.resolve(v['token-file']);
  if (v['max-queue-kib'] !== undefined) {
    const n = positiveInt('--max-queue-kib', v['max-queue-kib'], 1 << 20);
    if (typeof n === 'string') return n;
    out.maxQueueBytes = n * 1024;
  }
  if (v['hello-timeout-ms'] !== undefined) {
    const n = positiveInt('--hello-timeout-ms', v['hello-timeout-ms'], 600_000);
    if (typeof n === 'string') return n;
    out.helloTimeoutMs = n;
  }
  out.logStderr = v['log-stderr'] === true;
  out.handoff = v['handoff-iface'] ?? [];
  if (out.handoff.some((name) => name === '')) return '--handoff-iface needs an interface name';
  return out;
}

/** `netmon-helper helper`: the daemon mode. Resolves with the exit code when it shuts down. */
export async function runHelperCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const parsed = parseHelperArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`netmon-helper helper: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  let token: string;
  try {
    token = parsed.tokenFile ? readOrCreateTokenFile(parsed.tokenFile) : await readTokenLine(process.stdin);
  } catch (err) {
    process.stderr.write(`netmon-helper helper: cannot read the token: ${(err as Error).message}\n`);
    return 2;
  }

  if (parsed.handoff.length > 0) expectCaptureHandoff(parsed.handoff);
  const log = new HelperLog(1000, parsed.logStderr ? (r) => process.stderr.write(`${JSON.stringify(r)}\n`) : undefined);
  const server = new HelperServer({
    socketPath: parsed.socket,
    token,
    helperVersion: HELPER_VERSION,
    limits: { maxQueueBytes: parsed.maxQueueBytes, helloTimeoutMs: parsed.helloTimeoutMs },
    onClientsChanged: (n) => log.attach(n > 0 ? (record) => server.emit('log', null, record) : null),
  });
  const service = new CaptureService(server, log, path.dirname(parsed.socket));
  const startedAt = Date.now();
  const handlers: RequestHandlers = {
    interfaces: () => service.interfaces(),
    start: (params) => service.start(params),
    stop: (params) => service.stop(params.sessionId),
    status: () => ({
      protocolVersion: PROTOCOL_VERSION,
      helperVersion: HELPER_VERSION,
      pid: process.pid,
      uptimeMs: Date.now() - startedAt,
      sessions: service.sessions(),
    }),
    flows: (params) => service.flows(params),
    names: (params) => service.names(params.sessionId),
    webSections: (params) => service.webSections(params),
    stats: (params) => ({ helper: server.helperStats(log.dropped), session: service.sessionStats(params.sessionId) }),
    export: (params, conn) => service.export(params, conn),
    exportCancel: (params) => ({ cancelled: service.cancelExport(params.exportId) }),
  };
  server.setHandlers(handlers);

  try {
    await server.listen();
  } catch (err) {
    process.stderr.write(`netmon-helper helper: cannot listen on ${parsed.socket}: ${(err as Error).message}\n`);
    return 1;
  }
  log.info('helper listening', { socket: parsed.socket, pid: process.pid });
  process.stdout.write(`${JSON.stringify({ ready: true, socket: parsed.socket, pid: process.pid })}\n`);

  const lifetime = new HelperLifetime({
    stop: async () => {
      service.stopAll();
      await server.close();
    },
    log: (level, message, fields) => {
      log.log(level, message, fields);
      // Records go to clients, and none may be left: a forced exit is also told where the parent reads.
      if (level === 'warn' && !parsed.logStderr) process.stderr.write(`netmon-helper: ${message}: ${JSON.stringify(fields)}\n`);
    },
  });
  lifetime.watchSignals();
  if (!parsed.tokenFile) lifetime.watchParent(process.stdin);
  return lifetime.done;
}
