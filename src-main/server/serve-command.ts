/** `netmon serve`: the headless daemon (see issue #4). */
export async function runServeCommand(_args: string[]): Promise<number> {
  process.stderr.write('netmon serve: not available in this build yet\n');
  return 1;
}
