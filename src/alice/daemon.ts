/** Starts Alice from a validated configuration: authenticator, simulated backend, server. */
import type { Logger } from 'pino';
import { generateDiagrams } from '../diagrams/generate.ts';
import { ReviewServer } from '../review/server.ts';
import { loadAuthenticator } from '../protocol/auth/index.ts';
import { createSimulatedAlice, type SimulatedAlice } from '../sim/alice-sim.ts';
import type { FibreInput } from '../sim/fibre-link.ts';
import { FibreServer } from '../sim/fibre-tcp.ts';
import type { AliceBackend } from './backend.ts';
import type { AliceConfig } from './config.ts';
import { AliceServer, type AliceServerOptions } from './server.ts';

export interface AliceDaemon {
  server: AliceServer;
  backend: AliceBackend;
  port: number;
  /** The simulated fibre's TCP port, when the daemon serves it. */
  fibrePort?: number;
  /** The review page's port, when `review_port` is set. */
  reviewPort?: number;
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
  /** The simulated emitter's fibre (an in-memory one, in tests); a TCP fibre server otherwise. */
  fibre?: FibreInput;
  observer?: AliceServerOptions['observer'];
  inspect?: AliceServerOptions['inspect'];
}

export function simulatedBackend(config: AliceConfig, fibre?: FibreInput): SimulatedAlice {
  const { sim } = config;
  return createSimulatedAlice(
    {
      symbols: sim.symbols,
      variance: sim.variance,
      distanceKm: sim.distance_km,
      lossDbPerKm: sim.loss_db_per_km,
      excessNoise: sim.excess_noise,
      ...(sim.seed === undefined ? {} : { seed: sim.seed }),
      maxExcessNoise: sim.max_excess_noise,
      beta: sim.beta,
      dspDelayMs: sim.dsp_delay_ms,
      serialNumber: config.serial_number,
    },
    fibre,
  );
}

/** The fibre port of a configuration: `sim.fibre_port`, else the daemon's port + 1 (a free one for port 0). */
export function fibrePortOf(config: AliceConfig): number {
  return config.sim.fibre_port ?? (config.port === 0 ? 0 : config.port + 1);
}

export async function startAlice(config: AliceConfig, log: Logger, extras: DaemonExtras = {}): Promise<AliceDaemon> {
  const auth = loadAuthenticator({
    algorithm: config.auth,
    secretKeyFile: config.secret_key,
    peerPublicKeyFile: config.peer_public_key,
  });
  // The simulated emitter's light leaves through a TCP fibre unless the caller brings its own backend or fibre.
  const fibreServer = extras.backend || extras.fibre ? undefined : await FibreServer.listen(config.host, fibrePortOf(config));
  const backend = extras.backend ?? simulatedBackend(config, extras.fibre ?? fibreServer);
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
    backend,
    log,
    observer: review ?? extras.observer,
    inspect: extras.inspect,
  });
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    await fibreServer?.close();
    await review?.close();
    throw error;
  }
  return {
    server,
    backend,
    port: address.port,
    fibrePort: fibreServer?.port,
    reviewPort,
    close: async () => {
      await server.close();
      await fibreServer?.close();
      await review?.close();
    },
  };
}
