/**
 * Shadow traffic: after the primary has answered, the same rows go to the shadow version through a
 * bounded queue worked off one job at a time. When the queue is full the job is dropped and counted,
 * so a slow shadow can never slow down or fail real traffic.
 */
export const DEFAULT_SHADOW_QUEUE = 256;

export class ShadowQueue {
  private readonly jobs: (() => Promise<void>)[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  dropped = 0;
  done = 0;
  failed = 0;

  constructor(
    readonly capacity = DEFAULT_SHADOW_QUEUE,
    private readonly onDrop: () => void = () => {},
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  get length(): number {
    return this.jobs.length;
  }

  /** Queues a job; false (and counted) when the queue is full. */
  offer(job: () => Promise<void>): boolean {
    if (this.jobs.length >= this.capacity) {
      this.dropped++;
      this.onDrop();
      return false;
    }
    this.jobs.push(job);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.work());
    }
    return true;
  }

  /** Resolves once the queue is empty and no job runs (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async work(): Promise<void> {
    while (this.jobs.length) {
      const job = this.jobs.shift()!;
      try {
        await job();
        this.done++;
      } catch (e) {
        this.failed++;
        this.onError(e as Error);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
