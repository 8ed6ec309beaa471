/** Starts Alice from a validated configuration: authenticator, simulated backend, server. */
import type { Logger } from 'pino';
import { loadAuthenticator } from '../protocol/auth/index.ts';
import { createSimulatedAlice, type SimulatedAlice } from '../sim/alice-sim.ts';
import type { AliceBackend } from './backend.ts';
import type { AliceConfig } from './config.ts';
import { AliceServer, type AliceServerOptions } from './server.ts';

export interface AliceDaemon {
  server: AliceServer;
  backend: AliceBackend;
  port: number;
  close(): Promise<void>;
}

export interface DaemonExtras {
  /** A real backend; the simulated emitter otherwise. */
  backend?: AliceBackend;
  onMessage?: AliceServerOptions['onMessage'];
  inspect?: AliceServerOptions['inspect'];
}

export function simulatedBackend(config: AliceConfig): SimulatedAlice {
  const { sim } = config;
  return createSimulatedAlice({
    symbols: sim.symbols,
    variance: sim.variance,
    seed: sim.seed,
    maxExcessNoise: sim.max_excess_noise,
    dspDelayMs: sim.dsp_delay_ms,
    serialNumber: config.serial_number,
  });
}

export async function startAlice(config: AliceConfig, log: Logger, extras: DaemonExtras = {}): Promise<AliceDaemon> {
  const auth = loadAuthenticator({
    algorithm: config.auth,
    secretKeyFile: config.secret_key,
    peerPublicKeyFile: config.peer_public_key,
  });
  const backend = extras.backend ?? simulatedBackend(config);
  const server = new AliceServer({
    host: config.host,
    port: config.port,
    auth,
    frame: { headerOrder: config.header_order, maxContentLength: config.max_content_length },
    serialNumber: config.serial_number,
    versions: config.versions,
    maxAuthFailures: config.max_auth_failures,
    banMs: config.ban_seconds * 1000,
    emitterWaitMs: config.emitter_wait_seconds * 1000,
    backend,
    log,
    onMessage: extras.onMessage,
    inspect: extras.inspect,
  });
  const address = await server.listen();
  return { server, backend, port: address.port, close: () => server.close() };
}
