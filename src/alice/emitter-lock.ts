/**
 * The emitter is one resource: at most one session is in QIE at a time.
 * Others wait in order, each up to its own time limit.
 */
export class EmitterBusyError extends Error {}

interface Waiter {
  owner: string;
  grant: () => void;
  refuse: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class EmitterLock {
  private holder: string | null = null;
  private readonly waiters: Waiter[] = [];

  get owner(): string | null {
    return this.holder;
  }

  /** Resolves when `owner` holds the emitter; rejects with EmitterBusyError after `waitMs`. */
  acquire(owner: string, waitMs: number): Promise<void> {
    if (this.holder === owner) return Promise.resolve();
    if (this.holder === null) {
      this.holder = owner;
      return Promise.resolve();
    }
    const current = this.holder;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        refuse: (error) => {
          clearTimeout(waiter.timer);
          reject(error);
        },
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new EmitterBusyError(`the emitter is in use by session ${current}; waited ${waitMs} ms`));
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Releases the emitter if `owner` holds it, and withdraws `owner` from the queue. */
  release(owner: string): void {
    const queued = this.waiters.findIndex((w) => w.owner === owner);
    if (queued >= 0) this.waiters.splice(queued, 1)[0]!.refuse(new EmitterBusyError('the session ended while waiting for the emitter'));
    if (this.holder !== owner) return;
    const next = this.waiters.shift();
    this.holder = next?.owner ?? null;
    next?.grant();
  }
}
