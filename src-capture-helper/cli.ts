#!/usr/bin/env node
/**
 * The capture helper's command line: one entry per subcommand, each in
 * commands/<name>.ts and loaded only when used (startup stays fast for
 * `analyze` on small files).
 */

export { startAsRoot } from './privileges/root-start';
export type { CaptureHandoff } from './privileges/root-start';

export interface HelperCommand {
  summary: string;
  run(args: string[]): Promise<number> | number;
}

const COMMANDS: Record<string, () => Promise<HelperCommand>> = {
  analyze: async () => (await import('./commands/analyze')).analyzeCommand,
  helper: async () => ({ summary: 'run the capture helper daemon', run: (await import('./commands/helper')).runHelperCommand }),
  interfaces: async () => ({ summary: 'list capture interfaces', run: (await import('./commands/interfaces')).runInterfacesCommand }),
  capture: async () => ({ summary: 'capture live traffic and report on it', run: (await import('./commands/capture')).runCaptureCommand }),
  install: async () => ({ summary: 'set up capture rights (root)', run: (await import('./commands/install')).runInstallCommand }),
  uninstall: async () => ({ summary: 'remove capture rights (root)', run: (await import('./commands/uninstall')).runUninstallCommand }),
};

function usage(): string {
  const lines = Object.keys(COMMANDS).map((name) => `  ${name}`);
  return `usage: netmon-helper <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nrun '<command> --help' for a command's options.`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    process.stderr.write(`netmon: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const command = await load();
  return command.run(args);
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`netmon: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
