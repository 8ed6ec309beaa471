/**
 * Live inspection of the statecharts with Stately's inspector: `sky` (the
 * hosted inspector; needs internet, prints the live URL) or a `ws://` URL
 * (inspection events streamed, as JSON messages, to a local WebSocket
 * receiver such as `createWebSocketReceiver` of `@statelyai/inspect`).
 */
import { once } from 'node:events';
import { createInspector, createSkyInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';
import { WebSocket } from 'ws';

export interface Inspection {
  inspect: Observer<InspectionEvent>;
  /** Sends what is still queued, then closes. */
  stop(): Promise<void>;
}

export class InspectTargetError extends Error {}

/** Events held while the receiver is not connected yet; the oldest are dropped beyond it. */
const MAX_QUEUED = 10_000;
/** How long stopping waits for a receiver that has not accepted the connection yet. */
const CLOSE_WAIT_MS = 5000;

/** bigint (the EC_VERIFICATION hash) has no JSON form: the inspector gets its digits. */
function withoutBigints<T>(value: T): T {
  if (typeof value === 'bigint') return value.toString() as T;
  if (Array.isArray(value)) return value.map(withoutBigints) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBigints(v)])) as T;
  }
  return value;
}

const sanitize = { sanitizeContext: withoutBigints, sanitizeEvent: withoutBigints };

/** Our own WebSocket adapter: unlike the library's, it can be flushed before the process exits. */
class WebSocketAdapter {
  private readonly socket: WebSocket;
  private readonly queue: string[] = [];
  private readonly opened: Promise<boolean>;

  constructor(url: string, onError: (error: Error) => void) {
    this.socket = new WebSocket(url);
    this.socket.on('error', onError);
    this.opened = once(this.socket, 'open').then(
      () => {
        for (const data of this.queue.splice(0)) this.socket.send(data);
        return true;
      },
      () => false,
    );
  }

  send(event: StatelyInspectionEvent): void {
    const data = JSON.stringify(event);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
    else if (this.socket.readyState === WebSocket.CONNECTING) {
      this.queue.push(data);
      if (this.queue.length > MAX_QUEUED) this.queue.shift();
    }
  }

  async close(): Promise<void> {
    // The library hands events over on a zero-delay timer: let the last ones through first.
    await new Promise((r) => setTimeout(r, 10));
    if (await Promise.race([this.opened, new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_WAIT_MS))])) {
      while (this.socket.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 10));
    }
    const closed = once(this.socket, 'close').catch(() => undefined);
    this.socket.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
  }
}

export function createInspection(target: string, onError: (error: Error) => void): Inspection {
  if (target === 'sky') {
    const inspector = createSkyInspector({ ...sanitize, onerror: onError });
    return { inspect: inspector.inspect, stop: async () => inspector.stop() };
  }
  if (/^wss?:\/\//.test(target)) {
    const adapter = new WebSocketAdapter(target, onError);
    const inspector = createInspector(adapter, sanitize);
    inspector.start();
    return {
      inspect: inspector.inspect,
      stop: async () => {
        inspector.stop();
        await adapter.close();
      },
    };
  }
  throw new InspectTargetError(`--inspect takes "sky" or a ws:// URL, not "${target}"`);
}
