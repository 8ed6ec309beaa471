/** Starts our Alice daemon on a free loopback port for a test. */
import { pino } from 'pino';
import { aliceConfigSchema, type AliceConfig } from '../../src/alice/config.ts';
import { simulatedBackend, startAlice, type AliceDaemon, type StartAliceOptions } from '../../src/alice/daemon.ts';
import type { AliceBackend } from '../../src/alice/backend.ts';
import type { SimulatedAlice } from '../../src/sim/alice-sim.ts';

export type TestAlice = AliceDaemon & { sim: SimulatedAlice; config: AliceConfig };

export async function startTestAlice(
  overrides: Partial<Record<keyof AliceConfig, unknown>> = {},
  backend?: AliceBackend,
  extras: Pick<StartAliceOptions, 'observer' | 'inspect'> = {},
): Promise<TestAlice> {
  const config = aliceConfigSchema.parse({ port: 0, log_level: 'silent', sim: { symbols: 2000 }, ...overrides });
  const sim = simulatedBackend(config);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const daemon = await startAlice({ ...extras, config, log, backend: backend ?? sim });
  return { ...daemon, sim, config };
}

export const FRAME_UUID = '9f0b6ea4-9e8c-11ed-8b23-0028f86a9730';
export const OTHER_UUID = '11111111-2222-4333-8444-555555555555';
