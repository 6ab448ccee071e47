/**
 * Runs tasks one at a time, each after the one before it has settled, in the order they came: two
 * changes that read, modify and write the same state (the settings file, the settings in memory) never
 * interleave, and neither loses the other's change. A task that fails does not stop the ones after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
