/**
 * Alice's worker threads: a fixed number, made once per daemon (each
 * started on first use and kept until the daemon stops), that run the
 * heavy tasks of offload-tasks.ts so that no single message blocks the
 * event loop for long. Tasks wait in one bounded queue; a thread that dies
 * fails its task and is replaced.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TASKS, type TaskArgs, type TaskName, type TaskResult } from './offload-tasks.ts';
import type { TaskMessage, TaskReply } from './offload-worker.ts';

/**
 * Compiled, the thread runs offload-worker.js. From the TypeScript sources
 * (tsx, vitest) a thread does not inherit tsx's loader: it registers tsx,
 * then imports offload-worker.ts.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY: URL | string = FROM_SOURCE
  ? `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs/api'))}).register();
     require(${JSON.stringify(fileURLToPath(new URL('./offload-worker.ts', import.meta.url)))});`
  : new URL('./offload-worker.js', import.meta.url);

/** The queue is full: the request's work is refused (its answer says Alice is busy). */
export class PoolBusyError extends Error {}

/** The thread running the task died (out of memory, a fatal error): it has been replaced. */
export class WorkerDiedError extends Error {}

/** The pool is closed: the daemon is stopping. */
export class PoolClosedError extends Error {}

export interface WorkerPoolOptions {
  /** Threads; 0 runs every task in place, on the event loop. */
  size: number;
  /** Tasks a request may leave waiting for a thread; beyond it a request's task is refused (PoolBusyError). */
  queueLimit: number;
  log: Logger;
  /** V8 old-generation heap of each thread, MiB: a thread that needs more dies and is replaced. */
  heapMiB?: number;
}

export interface RunOptions {
  /** Buffers moved to the thread instead of copied (unusable here afterwards). */
  transfer?: ArrayBuffer[];
  /** An answer already owed: queued even beyond queueLimit (a connection has one task at a time, so these are bounded by the connections). */
  owed?: boolean;
}

interface Job {
  id: number;
  task: TaskName;
  args: unknown;
  transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  job: Job | null;
  gone: boolean;
}

export class WorkerPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  get size(): number {
    return this.options.size;
  }

  /** Threads running now (started on first use). */
  get running(): number {
    return this.threads.length;
  }

  run<T extends TaskName>(task: T, args: TaskArgs<T>, options: RunOptions = {}): Promise<TaskResult<T>> {
    if (this.closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    if (this.options.size === 0) {
      return new Promise((resolve) => resolve((TASKS[task] as (a: TaskArgs<T>) => { result: TaskResult<T> })(args).result));
    }
    const idle = this.threads.some((t) => t.job === null) || this.threads.length < this.options.size;
    if (!idle && !options.owed && this.queue.length >= this.options.queueLimit) {
      const message = `${this.queue.length} tasks already wait for the ${this.options.size} worker threads (worker_queue)`;
      this.options.log.warn({ task }, `worker queue full: task refused: ${message}`);
      return Promise.reject(new PoolBusyError(message));
    }
    return new Promise<TaskResult<T>>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, args, transfer: options.transfer ?? [], resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Fails what waits, stops every thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PoolClosedError('the daemon is stopping'));
    const threads = this.threads.splice(0);
    for (const t of threads) {
      t.gone = true;
      t.job?.reject(new PoolClosedError('the daemon is stopping'));
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = this.threads.find((t) => t.job === null);
      if (thread === undefined) {
        if (this.threads.length >= this.options.size) return;
        thread = this.spawn();
      }
      const job = this.queue.shift()!;
      thread.job = job;
      try {
        thread.worker.postMessage({ id: job.id, task: job.task, args: job.args } satisfies TaskMessage, job.transfer);
      } catch (error) {
        thread.job = null;
        job.reject(new Error(`the task could not be sent to a worker thread: ${(error as Error).message}`));
      }
    }
  }

  private spawn(): Thread {
    const worker = new Worker(ENTRY, {
      eval: FROM_SOURCE,
      ...(this.options.heapMiB === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.options.heapMiB } }),
    });
    // The daemon's sockets keep the process alive, never an idle thread.
    worker.unref();
    const thread: Thread = { worker, job: null, gone: false };
    worker.on('message', (reply: TaskReply) => {
      const job = thread.job;
      if (job === null || job.id !== reply.id) return;
      thread.job = null;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(new Error(reply.error));
      this.dispatch();
    });
    worker.on('error', (error) => this.died(thread, error.message));
    worker.on('exit', (code) => this.died(thread, `exited with code ${code}`));
    this.threads.push(thread);
    return thread;
  }

  private died(thread: Thread, why: string): void {
    if (thread.gone) return;
    thread.gone = true;
    this.threads.splice(this.threads.indexOf(thread), 1);
    const task = thread.job?.task ?? null;
    this.options.log.error({ task, why }, 'worker thread died: it is replaced');
    thread.job?.reject(new WorkerDiedError(`the worker thread died (${why})`));
    void thread.worker.terminate();
    this.dispatch();
  }
}
