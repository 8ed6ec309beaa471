/**
 * A worker thread of Alice's pool (worker-pool.ts): runs the tasks of
 * offload-tasks.ts one at a time. A task that throws is answered as a
 * failure; the thread dies only of what kills it (memory, a fatal error),
 * and the pool replaces it.
 */
import { parentPort } from 'node:worker_threads';
import { TASKS, type TaskName } from './offload-tasks.ts';

export interface TaskMessage {
  id: number;
  task: TaskName;
  args: unknown;
}

export type TaskReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

const port = parentPort!;
port.on('message', ({ id, task, args }: TaskMessage) => {
  let reply: TaskReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const done = (TASKS[task] as (a: unknown) => { result: unknown; transfer: ArrayBuffer[] })(args);
    reply = { id, ok: true, result: done.result };
    transfer = done.transfer;
  } catch (error) {
    reply = { id, ok: false, error: (error as Error).message };
  }
  try {
    port.postMessage(reply, transfer);
  } catch (error) {
    port.postMessage({ id, ok: false, error: `the result could not be sent back: ${(error as Error).message}` } satisfies TaskReply);
  }
});
