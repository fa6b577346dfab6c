/**
 * A bounded hand-over between one producer side and one consumer: `push` waits while the buffer is
 * full, so cropping runs ahead of embedding by at most `capacity` items and memory stays bounded.
 * `fail` wakes both sides with the error, so neither waits forever when the other dies.
 */
export class Channel<T> {
  private readonly buffer: T[] = [];
  private closed = false;
  private failure: unknown;
  private wakeConsumer: (() => void) | undefined;
  private readonly wakeProducers: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.buffer.length >= this.capacity && this.failure === undefined) {
      await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    this.buffer.push(item);
    this.wakeConsumer?.();
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.wakeConsumer?.();
    for (const wake of this.wakeProducers.splice(0)) wake();
  }

  /** Yields batches of up to `size` items as soon as that many are buffered, or the rest at close. */
  async *batches(size: number): AsyncGenerator<T[]> {
    for (;;) {
      while (this.buffer.length < size && !this.closed && this.failure === undefined) {
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = undefined;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.buffer.length === 0) return;
      const batch = this.buffer.splice(0, size);
      for (const wake of this.wakeProducers.splice(0)) wake();
      yield batch;
    }
  }
}
