/** Starts our Alice daemon on a free loopback port for a test, its simulated fibre in memory. */
import { pino } from 'pino';
import { aliceConfigSchema, type AliceConfig } from '../../src/alice/config.ts';
import { simulatedBackend, startAlice, type AliceDaemon, type StartAliceOptions } from '../../src/alice/daemon.ts';
import type { AliceBackend } from '../../src/alice/backend.ts';
import type { SimulatedAlice } from '../../src/sim/alice-sim.ts';
import { createSimulatedBob, type SimulatedBob, type SimulatedBobOptions } from '../../src/sim/bob-sim.ts';
import { memoryFibre, type FibreOutput } from '../../src/sim/fibre-link.ts';
import { connectFibre } from '../../src/sim/fibre-tcp.ts';

export type TestAlice = AliceDaemon & { sim: SimulatedAlice; config: AliceConfig; fibre: FibreOutput };

/**
 * A short, clean link and a lenient policy, seeded: frames of 40 000
 * symbols are estimated well enough for a positive worst-case key rate at
 * epsilon_PE = 0.1 (see testReceiver), every time.
 */
export const TEST_SIM = { symbols: 40_000, distance_km: 0, excess_noise: 0, max_excess_noise: 1, seed: 'test-alice' } as const;

export async function startTestAlice(
  overrides: Partial<Record<keyof AliceConfig, unknown>> = {},
  backend?: AliceBackend,
  extras: Pick<StartAliceOptions, 'observer' | 'inspect'> = {},
): Promise<TestAlice> {
  const { sim, ...rest } = overrides as { sim?: Record<string, unknown> };
  const config = aliceConfigSchema.parse({ port: 0, log_level: 'silent', sim: { ...TEST_SIM, ...sim }, ...rest });
  const { input, output } = memoryFibre();
  const simulated = simulatedBackend(config, input);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const daemon = await startAlice({ ...extras, config, log, fibre: input, backend: backend ?? simulated });
  return { ...daemon, sim: simulated, config, fibre: output };
}

/** Our daemon with its fibre served over TCP (`fibrePort`), for Bob's command line in another process. */
export async function startTcpFibreAlice(
  overrides: Partial<Record<keyof AliceConfig, unknown>> = {},
  extras: Pick<StartAliceOptions, 'observer' | 'inspect'> = {},
): Promise<AliceDaemon & { config: AliceConfig }> {
  const { sim, ...rest } = overrides as { sim?: Record<string, unknown> };
  const config = aliceConfigSchema.parse({ port: 0, log_level: 'silent', sim: { ...TEST_SIM, ...sim }, ...rest });
  const daemon = await startAlice({ ...extras, config, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  return { ...daemon, config };
}

/** testReceiver on that daemon's TCP fibre. */
export async function tcpTestReceiver(alice: { fibrePort?: number }, options: Partial<SimulatedBobOptions> = {}): Promise<SimulatedBob> {
  return testReceiver({ fibre: await connectFibre('127.0.0.1', alice.fibrePort!) }, options);
}

/**
 * Reconciliation blocks of the test link: its 20 000 kept symbols (40 000
 * reals) make 2 blocks, fast to decode (shorter codes lose many blocks and
 * let a few wrong words through to the verification).
 */
export const TEST_BLOCK_LENGTH = 16384;

/** `qosst-alice` options for TEST_SIM. */
export function testAliceArgs(): string[] {
  return [
    '--sim-symbols', String(TEST_SIM.symbols),
    '--sim-distance-km', String(TEST_SIM.distance_km),
    '--sim-excess-noise', String(TEST_SIM.excess_noise),
    '--sim-max-excess-noise', String(TEST_SIM.max_excess_noise),
    '--sim-seed', TEST_SIM.seed,
  ];
}

/** `qosst-bob` options matching TEST_SIM and testReceiver, reading that daemon's fibre. */
export function testReceiverArgs(alice: { fibrePort?: number }): string[] {
  return ['--sim-fibre', `127.0.0.1:${alice.fibrePort}`, ...testReceiverSimArgs('test-bob')];
}

/** `qosst-bob`'s receiver options matching TEST_SIM and testReceiver, seeded with `seed`. */
export function testReceiverSimArgs(seed: string): string[] {
  return [
    '--sim-symbols', String(TEST_SIM.symbols),
    '--sim-estimation-symbols', String(TEST_SIM.symbols / 2),
    '--sim-calibration-samples', '100000',
    '--sim-epsilon-pe', '0.1',
    '--sim-block-length', String(TEST_BLOCK_LENGTH),
    '--sim-seed', seed,
  ];
}

/** Bob's simulated receiver on a test Alice's fibre, matched to TEST_SIM. */
export function testReceiver(alice: { fibre: FibreOutput }, options: Partial<SimulatedBobOptions> = {}): SimulatedBob {
  return createSimulatedBob({
    fibre: alice.fibre,
    symbols: TEST_SIM.symbols,
    estimationSymbols: TEST_SIM.symbols / 2,
    calibrationSamples: 100_000,
    epsilonPE: 0.1,
    blockLength: TEST_BLOCK_LENGTH,
    seed: 'test-bob',
    ...options,
  });
}

export const FRAME_UUID = '9f0b6ea4-9e8c-11ed-8b23-0028f86a9730';
export const OTHER_UUID = '11111111-2222-4333-8444-555555555555';
