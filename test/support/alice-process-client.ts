/** Starts test/support/alice-process.ts in a child process and talks to it over IPC. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DaemonStats, Request } from './alice-process.ts';

const SCRIPT = fileURLToPath(new URL('./alice-process.ts', import.meta.url));

export class AliceProcess {
  /** The daemon's log lines (JSON), as they arrive. */
  readonly logs: Record<string, unknown>[] = [];

  port = 0;

  /** The simulated emitter's fibre, served over TCP. */
  fibrePort = 0;

  private constructor(private readonly child: ChildProcess) {
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') this.logs.push(JSON.parse(line) as Record<string, unknown>);
    });
  }

  static async start(config: Record<string, unknown>): Promise<AliceProcess> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SCRIPT, JSON.stringify({ log_level: 'warn', ...config })], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const alice = new AliceProcess(child);
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`the daemon exited with ${code} before listening`))),
    ])) as [{ type: string; port: number; fibrePort: number }];
    alice.port = message.port;
    alice.fibrePort = message.fibrePort;
    return alice;
  }

  private async ask<T>(request: Request, answer: string): Promise<T> {
    this.child.send(request);
    for (;;) {
      const [message] = (await once(this.child, 'message')) as [{ type: string } & T];
      if (message.type === answer) return message;
    }
  }

  async stats(gc = false): Promise<DaemonStats> {
    return (await this.ask<{ stats: DaemonStats }>({ type: 'stats', gc }, 'stats')).stats;
  }

  /** Starts a new event-loop delay measurement. */
  async resetDelay(): Promise<void> {
    await this.ask({ type: 'reset' }, 'reset');
  }

  /** Log lines whose text or fields mention `text`. */
  logged(text: string): Record<string, unknown>[] {
    return this.logs.filter((line) => JSON.stringify(line).includes(text));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
