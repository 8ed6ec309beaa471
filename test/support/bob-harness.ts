/**
 * Test support for Bob's driver: key setups per algorithm, our daemon with a
 * message log and switchable backend faults, and a small scripted fake Alice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { AliceBackend, AliceSessionBackend } from '../../src/alice/backend.ts';
import { aliceConfigSchema, type AliceConfig } from '../../src/alice/config.ts';
import { simulatedBackend, startAlice, type AliceDaemon } from '../../src/alice/daemon.ts';
/** One message in or out of Alice, as her daemon reports it. */
export interface MessageEvent {
  session: string;
  direction: 'in' | 'out';
  name: string;
  code: number;
}
import { CODES, type MessageName } from '../../src/protocol/codes.ts';
import type { Message } from '../../src/protocol/frame.ts';
import type { SimulatedAlice } from '../../src/sim/alice-sim.ts';
import { memoryFibre, type FibreOutput } from '../../src/sim/fibre-link.ts';
import { TEST_SIM } from './alice.ts';
import { startScriptedAlice } from './scripted-alice.ts';

/** Faults the wrapped simulated emitter can be told to show; reset them after each test. */
export interface Faults {
  /** startEmission throws an Error with this message. */
  startEmission: string | null;
  /** prepareFrame (QIE_REQUEST) takes this long first. */
  prepareDelayMs: number;
}

export type ObservedAlice = AliceDaemon & {
  sim: SimulatedAlice;
  config: AliceConfig;
  /** The end of the simulated fibre Bob's receiver reads. */
  fibre: FibreOutput;
  faults: Faults;
  /** Every message Alice received and sent, in order. */
  messages: MessageEvent[];
  /** Names of the messages since `from` (an index into `messages`), as `in:NAME` / `out:NAME`. */
  since(from: number): string[];
};

function withFaults(sim: SimulatedAlice, faults: Faults): AliceBackend {
  return {
    openSession(info) {
      const inner = sim.openSession(info);
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === 'startEmission') {
            return async () => {
              if (faults.startEmission !== null) throw new Error(faults.startEmission);
              return target.startEmission();
            };
          }
          if (prop === 'prepareFrame') {
            return async (frameUuid: string) => {
              if (faults.prepareDelayMs > 0) await sleep(faults.prepareDelayMs);
              return target.prepareFrame(frameUuid);
            };
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as AliceSessionBackend;
    },
    close: () => sim.close(),
  };
}

/** Our daemon on a free loopback port, its simulated emitter wrapped with switchable faults, every message logged. */
export async function startObservedAlice(overrides: Partial<Record<keyof AliceConfig, unknown>> = {}): Promise<ObservedAlice> {
  const { sim: simOverrides, ...rest } = overrides as { sim?: Record<string, unknown> };
  const config = aliceConfigSchema.parse({ port: 0, log_level: 'silent', sim: { ...TEST_SIM, ...simOverrides }, ...rest });
  const { input, output } = memoryFibre();
  const sim = simulatedBackend(config, input);
  const faults: Faults = { startEmission: null, prepareDelayMs: 0 };
  const messages: MessageEvent[] = [];
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const record = (m: MessageEvent) => messages.push(m);
  const daemon = await startAlice({ config, log, backend: withFaults(sim, faults), fibre: input, observer: { message: record } });
  return {
    ...daemon,
    sim,
    config,
    fibre: output,
    faults,
    messages,
    since: (from) => messages.slice(from).map((m) => `${m.direction}:${m.name}`),
  };
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export type FakeReply = { name: MessageName; content?: object | null } | { code: number; content?: object | null };

export interface FakeAlice {
  port: number;
  /** Every message received, on every connection, in order. */
  received: Message[];
  close(): Promise<void>;
}

/**
 * A scripted Alice on raw TCP (no authentication): `answer` decides the reply
 * to each message; INVALID_RESPONSE and DISCONNECTION get their
 * acknowledgements unless `answer` says otherwise.
 */
export async function startFakeAlice(answer: (message: Message) => FakeReply | null): Promise<FakeAlice> {
  const received: Message[] = [];
  const scripted = await startScriptedAlice((inbound, connection) => {
    if (inbound.kind !== 'message') return connection.destroy();
    const message = inbound.message;
    received.push(message);
    let reply = answer(message);
    if (reply === null && message.name === 'INVALID_RESPONSE') reply = { name: 'INVALID_RESPONSE_ACK' };
    if (reply === null && message.name === 'DISCONNECTION') reply = { name: 'DISCONNECTION_ACK' };
    if (reply === null) return;
    connection.reply('code' in reply ? reply.code : CODES[reply.name].code, reply.content ?? null);
    if (message.name === 'DISCONNECTION') connection.end();
  });
  return { ...scripted, received };
}

/** Answers every request of a normal frame as a compliant Alice would (no PE and beyond). */
export function compliantAnswer(message: Message): FakeReply | null {
  switch (message.name) {
    case 'IDENTIFICATION_REQUEST':
      return { name: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/FAKE' } };
    case 'INITIALIZATION_REQUEST':
      return { name: 'INITIALIZATION_ACCEPTED' };
    case 'QIE_REQUEST':
      return { name: 'QIE_READY' };
    case 'QIE_TRIGGER':
      return { name: 'QIE_EMISSION_STARTED' };
    case 'QIE_ACQUISITION_ENDED':
      return { name: 'QIE_ENDED' };
    case 'ABORT':
      return { name: 'ABORT_ACK' };
    default:
      return null;
  }
}
