/** Starts Alice from a validated configuration: authenticator, simulated backend, server. */
import type { Logger } from 'pino';
import { generateDiagrams } from '../diagrams/generate.ts';
import { ReviewServer } from '../review/server.ts';
import { loadAuthenticator } from '../protocol/auth/index.ts';
import { createSimulatedAlice, type SimulatedAlice } from '../sim/alice-sim.ts';
import type { AliceBackend } from './backend.ts';
import type { AliceConfig } from './config.ts';
import { AliceServer, type AliceServerOptions } from './server.ts';
import { withFinalKeyHook } from '../keys/final-key.ts';
import { startKeyService } from '../keys/service.ts';

export interface AliceDaemon {
  server: AliceServer;
  backend: AliceBackend;
  port: number;
  /** The review page's port, when `review_port` is set. */
  reviewPort?: number;
  /** The ETSI GS QKD 014 API's port, when `kme.port` is set. */
  kmePort?: number;
  close(): Promise<void>;
}

/** The statecharts the review page draws: every `*.state.mmd` diagram, by name. */
function stateDiagrams(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of generateDiagrams()) if (file.endsWith('.state.mmd')) out.set(file.slice(0, -'.state.mmd'.length), text);
  return out;
}

export interface DaemonExtras {
  /** A real backend; the simulated emitter otherwise. */
  backend?: AliceBackend;
  observer?: AliceServerOptions['observer'];
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
  const keys = await startKeyService(config, 'master', log);
  const review =
    config.review_port === undefined ? undefined : new ReviewServer({ port: config.review_port, log, diagrams: stateDiagrams() });
  const reviewPort = review ? (await review.listen()).port : undefined;
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
    backend: keys ? withFinalKeyHook(backend, keys.onFinalKey) : backend,
    log,
    observer: review ?? extras.observer,
    inspect: extras.inspect,
  });
  const address = await server.listen().catch(async (error: unknown) => {
    await keys?.close();
    throw error;
  });
  return {
    server,
    backend,
    port: address.port,
    reviewPort,
    kmePort: keys?.kmePort,
    close: async () => {
      await server.close();
      await review?.close();
      await keys?.close();
    },
  };
}
