#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { helperEntryPath } from '../core/helper-path';

/** Subcommands served by the capture helper process (capture files, live capture, privileges). */
const HELPER_COMMANDS = new Set(['analyze', 'capture', 'interfaces', 'install', 'uninstall', 'helper']);

const USAGE = `usage: netmon <command> [options]

commands:
  analyze FILE [--json]          report on a pcap/pcapng file
  capture --iface IF [--bpf F] [--duration S] [--json]
                                 capture live traffic and report on it
  interfaces [--json]            list capture interfaces
  serve [options]                headless daemon: web dashboard, REST/WebSocket API, metrics
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
    const { runServeCommand } = await import('../server/serve-command');
    return runServeCommand(rest);
  }
  process.stderr.write(`netmon: unknown command '${command}'\n\n${USAGE}\n`);
  return 2;
}

function runHelper(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [helperEntryPath(), ...argv], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.on('error', (err) => {
      process.stderr.write(`netmon: cannot start the capture helper: ${err.message}\n`);
      resolve(1);
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`netmon: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
