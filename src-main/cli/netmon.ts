#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { helperEntryPath } from '../core/helper-path';
import type { CaptureHandoff } from '../core/helper-supervisor';

/** What the helper's command-line entry offers a process started as root (src-capture-helper/privileges/root-start.ts). */
interface RootStart {
  startAsRoot(interfaces: string[]): { handoff: CaptureHandoff | null; privileges: { kind: string; reason?: string } };
}

/** Subcommands of the capture helper (capture files, live capture, privileges). */
const HELPER_COMMANDS = new Set(['analyze', 'capture', 'interfaces', 'install', 'uninstall', 'helper']);

const USAGE = `usage: netmon <command> [options]

commands:
  analyze FILE|- [--json]        report on a pcap/pcapng file (- reads standard input)
  capture --iface IF [--bpf F] [--duration S] [--json]
                                 capture live traffic and report on it
  interfaces [--json]            list capture interfaces
  serve [options]                headless daemon: web dashboard, REST/WebSocket API, metrics
  probe --iface IF --nats URL    capture here and publish to NATS for 'serve --nats'
  install | uninstall            set up or remove capture rights (run as root)

run 'netmon <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (HELPER_COMMANDS.has(command)) return runHelper(argv);
  if (command === 'serve') {
    const { parseServeArgs, runServeCommand } = await import('../server/serve-command');
    // A command line serve refuses opens no interface as root: it only gets its usage message.
    let valid = true;
    try {
      parseServeArgs(rest);
    } catch {
      valid = false;
    }
    return runServeCommand(rest, valid ? await serveRights(rest, 'serve') : {});
  }
  if (command === 'probe') {
    const { runProbeCommand } = await import('../probe/probe-command');
    // Root with nobody to drop to (a service, a test): the helper opens the capture itself, as `netmon capture` does.
    const dropsTo = process.env.SUDO_UID !== undefined || process.env.PKEXEC_UID !== undefined;
    return runProbeCommand(rest, dropsTo ? await serveRights(rest, 'probe') : {});
  }
  process.stderr.write(`netmon: unknown command '${command}'\n\n${USAGE}\n`);
  return 2;
}

/**
 * The helper's commands run in this process, through the helper's own
 * command-line entry: the same code, user and rights as spawning it, without
 * a second Node start-up (a tenth of a second, which `analyze` would pay on
 * every file). Main still uses none of the helper's internals.
 */
async function runHelper(argv: string[]): Promise<number> {
  const helperCli = (await import(helperEntryPath())) as { runCli(argv: string[]): Promise<number> };
  return helperCli.runCli(argv);
}

/**
 * `sudo netmon serve|probe --iface IF`: netmon-capture opens IF while this process
 * is root, then this process becomes the invoking user before it loads
 * anything else; the helper it spawns reads that open capture.
 */
async function serveRights(args: string[], command: 'serve' | 'probe'): Promise<{ captureHandoff?: CaptureHandoff }> {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return {};
  // Only the interfaces and --help matter here; the command itself reads the whole line (and rejects a bad one).
  const { values } = parseArgs({
    args,
    strict: false,
    options: { iface: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) return {};
  const interfaces = (values.iface ?? []).filter((name): name is string => typeof name === 'string');
  const helperCli = (await import(helperEntryPath())) as RootStart;
  const { handoff, privileges } = helperCli.startAsRoot(interfaces);
  if (privileges.kind === 'kept-root') {
    process.stderr.write(`netmon ${command}: WARNING: ${privileges.reason}\n`);
  }
  return handoff ? { captureHandoff: handoff } : {};
}


/** Exit status when the reader of our output went away: what a shell reports for a process that SIGPIPE ended. */
const EXIT_OUTPUT_CLOSED = 128 + 13;

/**
 * A reader that stops early (`netmon analyze big.pcap --json | head`) closes
 * the pipe under us. Every command then ends quietly, as `cat` would: no stack
 * trace, status 141. Node ignores SIGPIPE, so the closed pipe arrives as an
 * EPIPE 'error' on the stream, usually a tick after the write that hit it.
 */
function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT_OUTPUT_CLOSED);
      throw err;
    });
  }
}

endQuietlyWhenOutputCloses();
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`netmon: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
