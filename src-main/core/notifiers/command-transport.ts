import { spawn } from 'node:child_process';
import { buildWebhookBody } from './webhook-payload';
import type { Notification } from './notification';
import type { ChannelTransport, DeliveryContext, DeliveryOutcome } from './transport';

const STDERR_MAX = 2048;

/**
 * Runs a program (argv, never a shell) with the generic webhook JSON on
 * stdin. Exit status 0 is success; a non-zero exit or a timeout is retried.
 */
export class CommandTransport implements ChannelTransport {
  constructor(private readonly argv: readonly string[], private readonly timeoutMs: number) {}

  deliver(notification: Notification, context: DeliveryContext): Promise<DeliveryOutcome> {
    const payload = `${JSON.stringify(buildWebhookBody(notification, context.queuedAt))}\n`;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: DeliveryOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        context.signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const child = spawn(this.argv[0], this.argv.slice(1), { shell: false, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ status: 'retry', error: `timed out after ${this.timeoutMs} ms` });
      }, this.timeoutMs);
      const onAbort = (): void => {
        child.kill('SIGKILL');
        finish({ status: 'retry', error: 'cancelled' });
      };
      context.signal.addEventListener('abort', onAbort, { once: true });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < STDERR_MAX) stderr += chunk.slice(0, STDERR_MAX - stderr.length);
      });
      // A program that ignores stdin closes the pipe early; its exit status still decides.
      child.stdin.on('error', () => undefined);
      child.on('error', (err: NodeJS.ErrnoException) => {
        const permanent = err.code === 'ENOENT' || err.code === 'EACCES';
        const error = `cannot run '${this.argv[0]}': ${err.code ?? err.message}`;
        finish(permanent ? { status: 'failed', error } : { status: 'retry', error });
      });
      child.on('close', (code, signal) => {
        if (code === 0) {
          finish({ status: 'delivered' });
          return;
        }
        const why = signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
        const tail = stderr.trim() === '' ? '' : `: ${stderr.trim().replace(/\s+/g, ' ').slice(0, 200)}`;
        finish({ status: 'retry', error: `'${this.argv[0]}' ${why}${tail}` });
      });
      child.stdin.end(payload);
    });
  }
}
