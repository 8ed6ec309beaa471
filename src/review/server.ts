/**
 * The offline review page: a read-only local web server that shows each
 * statechart, highlights the current state of every live session and lists
 * the messages as they pass, over a Server-Sent Events stream. Its assets
 * come from our own dependencies: it works with no internet.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { MessageEvent, SessionObserver } from '../alice/server.ts';

export interface ReviewOptions {
  port: number;
  host?: string;
  log: Logger;
  /** Mermaid state diagrams by name, generated from the machines. */
  diagrams: ReadonlyMap<string, string>;
}

type ReviewEvent =
  | { kind: 'opened'; session: string; peer: string; time: number }
  | { kind: 'closed'; session: string; time: number }
  | { kind: 'state'; session: string; value: unknown; time: number }
  | ({ kind: 'message' } & MessageEvent);

/** Messages kept for a page opened late. */
const HISTORY = 500;

const PAGE = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

export class ReviewServer implements SessionObserver {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private readonly sessions = new Map<string, { peer: string; value: unknown; since: number }>();
  private readonly history: ReviewEvent[] = [];

  constructor(private readonly options: ReviewOptions) {
    this.server = createServer((req, res) => this.route(req, res));
  }

  async listen(): Promise<AddressInfo> {
    this.server.listen(this.options.port, this.options.host ?? '127.0.0.1');
    await Promise.race([once(this.server, 'listening'), once(this.server, 'error').then(([e]) => Promise.reject(e))]);
    const address = this.server.address() as AddressInfo;
    this.options.log.info({ url: `http://${address.address}:${address.port}/` }, 'review page');
    return address;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  opened(session: string, peer: string): void {
    this.sessions.set(session, { peer, value: null, since: Date.now() });
    this.publish({ kind: 'opened', session, peer, time: Date.now() });
  }

  message(event: MessageEvent): void {
    this.publish({ kind: 'message', ...event });
  }

  state(session: string, value: unknown): void {
    const s = this.sessions.get(session);
    if (s) s.value = value;
    this.publish({ kind: 'state', session, value, time: Date.now() });
  }

  closed(session: string): void {
    this.sessions.delete(session);
    this.publish({ kind: 'closed', session, time: Date.now() });
  }

  private publish(event: ReviewEvent): void {
    if (event.kind === 'message') {
      this.history.push(event);
      if (this.history.length > HISTORY) this.history.shift();
    }
    if (this.clients.size === 0) return;
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const client of this.clients) client.write(data);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      case '/assets/mermaid.min.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
        createReadStream(MERMAID).pipe(res);
        return;
      case '/api/diagrams':
        this.json(res, Object.fromEntries(this.options.diagrams));
        return;
      case '/favicon.ico':
        res.writeHead(204).end();
        return;
      case '/events':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        // The stream opens with what happened before, so that nothing falls between a snapshot and the stream.
        res.write(`data: ${JSON.stringify({ kind: 'snapshot', sessions: Object.fromEntries(this.sessions), messages: this.history })}\n\n`);
        this.clients.add(res);
        req.on('close', () => this.clients.delete(res));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
