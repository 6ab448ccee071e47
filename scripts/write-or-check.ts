import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The end of a scripts/make-*.ts generator: writes `text` to `file`, or with `--check` compares
 * instead (exit status 1 on a difference, nothing written).
 */
export function writeOrCheck(file: string, text: string, argv: readonly string[]): number {
  if (argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      // missing: a difference
    }
    if (old === text) return 0;
    process.stdout.write(`differs: ${path.relative(process.cwd(), file)}\n`);
    return 1;
  }
  writeFileSync(file, text);
  process.stdout.write(`${file}\n`);
  return 0;
}
