/**
 * Live inspection of the statecharts with Stately's inspector: `sky` (the
 * hosted inspector; needs internet, prints the live URL) or a `ws://` URL
 * (inspection events streamed to a local WebSocket receiver).
 */
import { createSkyInspector, createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';

export interface Inspection {
  inspect: Observer<InspectionEvent>;
  stop(): void;
}

export class InspectTargetError extends Error {}

/** bigint (the EC_VERIFICATION hash) has no JSON form: the inspector gets its digits. */
function withoutBigints<T>(value: T): T {
  if (typeof value === 'bigint') return value.toString() as T;
  if (Array.isArray(value)) return value.map(withoutBigints) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBigints(v)])) as T;
  }
  return value;
}

export function createInspection(target: string, onError: (error: Error) => void): Inspection {
  const options = { sanitizeContext: withoutBigints, sanitizeEvent: withoutBigints };
  if (target === 'sky') {
    const inspector = createSkyInspector({ ...options, onerror: onError });
    return { inspect: inspector.inspect, stop: () => inspector.stop() };
  }
  if (/^wss?:\/\//.test(target)) {
    const inspector = createWebSocketInspector({ ...options, url: target });
    return { inspect: inspector.inspect, stop: () => inspector.stop() };
  }
  throw new InspectTargetError(`--inspect takes "sky" or a ws:// URL, not "${target}"`);
}
