// Type-checked with `tsc --noEmit` against the installed package: the public types of each entry.
import * as everything from 'qosst-control';
import { startAlice, type AliceBackend, type AliceDaemon, type MessageEvent, type StartAliceOptions } from 'qosst-control/alice';
import { connect, FrameAbortedError, runFrame, type BobBackend, type BobSession, type ConnectOptions, type FrameResult } from 'qosst-control/bob';
import { aliceSessionMachine, bobSessionMachine, type PhaseDef } from 'qosst-control/machines';
import { CODES, validateContent, type ContentOf, type MessageName } from 'qosst-control/protocol';
import { secretKeyRate, transmittanceFromDistance } from 'qosst-control/physics';
import { createSimulatedAlice, createSimulatedBob, memoryFibre } from 'qosst-control/sim';

const fibre = memoryFibre();
const backend: AliceBackend = createSimulatedAlice({ symbols: 1000 }, fibre.input);
const messages: MessageEvent[] = [];
const options: StartAliceOptions = { config: { port: 0, log_level: 'silent' }, backend, observer: { message: (m) => messages.push(m) } };
const receiver: BobBackend = createSimulatedBob({ fibre: fibre.output, symbols: 1000 });
export const theory: number = secretKeyRate({ Va: 4, T: transmittanceFromDistance(10), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 });

export async function oneFrame(): Promise<FrameResult> {
  const alice: AliceDaemon = await startAlice(options);
  const target: ConnectOptions = { host: alice.address, port: alice.port };
  const bob: BobSession = await connect(target);
  try {
    return await runFrame(bob, receiver);
  } catch (error) {
    if (error instanceof FrameAbortedError) throw new Error(`aborted: ${error.message}`);
    throw error;
  } finally {
    await bob.disconnect();
    await alice.close();
  }
}

const name: MessageName = 'PE_FINISHED';
const finished: ContentOf<'PE_FINISHED'> = { transmittance: 0.5, excess_noise: 0.01, key_rate: 0.1 };
export const checks = [validateContent(name, finished).ok, CODES[name], aliceSessionMachine.id, bobSessionMachine.id, everything.startAlice === startAlice];
export const phases: readonly PhaseDef[] = [];

// The types are really there (an `any` would let these through, and the directives would then fail).
// @ts-expect-error a port is a number
export const port: AliceDaemon['port'] = '8181';
// @ts-expect-error no such configuration key
export const wrongKey: StartAliceOptions = { config: { no_such_key: 1 } };
// @ts-expect-error PE_FINISHED requires key_rate
export const missing: ContentOf<'PE_FINISHED'> = { transmittance: 0.5, excess_noise: 0.01 };
