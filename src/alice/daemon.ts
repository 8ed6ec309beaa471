/** Starts Alice: configuration, authenticator, backend (simulated unless given), server, review page. */
import type { Logger } from 'pino';
import { validateConfig } from '../config.ts';
import { generateDiagrams } from '../diagrams/generate.ts';
import { createLogger } from '../log.ts';
import { ReviewServer } from '../review/server.ts';
import { loadAuthenticator } from '../protocol/auth/index.ts';
import { createSimulatedAlice, type SimulatedAlice } from '../sim/alice-sim.ts';
import type { FibreInput } from '../sim/fibre-link.ts';
import { FibreServer } from '../sim/fibre-tcp.ts';
import type { AliceBackend } from './backend.ts';
import { acceptDeployedNames } from './deployed-parameters.ts';
import { aliceConfigSchema, type AliceConfig, type AliceConfigInput } from './config.ts';
import { AliceServer, type AliceServerOptions, type SessionObserver } from './server.ts';
import type { ConnectionSettings } from './connection.ts';
import type { Authenticator } from '../protocol/auth/authenticator.ts';
import { withFinalKeyHook } from '../keys/alice-final-key.ts';
import { startKeyService } from '../keys/service.ts';
import { WorkerPool } from './worker-pool.ts';

export interface StartAliceOptions {
  /** The daemon's settings, with the keys of its TOML file (`port: 0` picks a free port); absent keys take their defaults. */
  config?: AliceConfigInput;
  /** The hardware; the simulated emitter, set up by `config.sim`, otherwise. */
  backend?: AliceBackend;
  /** The simulated emitter's fibre (an in-memory one, in tests); a TCP fibre server on `sim.fibre_port` otherwise. */
  fibre?: FibreInput;
  /** Where the daemon logs; otherwise standard error at `config.log_level` in `config.log_format`. */
  log?: Logger;
  /** Told when a session opens, changes state, sends or receives a message, closes; any method may be left out. */
  observer?: Partial<SessionObserver>;
  /** The statecharts' inspection events (see `createInspection`). */
  inspect?: AliceServerOptions['inspect'];
}

export interface AliceDaemon {
  /** The bound TCP port (the free one picked for `port: 0`). */
  port: number;
  /** The bound address. */
  address: string;
  /** The simulated fibre's TCP port, when the daemon serves it. */
  fibrePort?: number;
  /** The review page's port, when `review_port` is set. */
  reviewPort?: number;
  /** The ETSI GS QKD 014 API's port, when `kme.port` is set. */
  kmePort?: number;
  server: AliceServer;
  backend: AliceBackend;
  /** The worker threads (internal, as `server`: for tests and diagnostics). */
  pool: WorkerPool;
  /** Stops accepting, closes every session (emission stopped), closes the backend, the review page, the key API and store. */
  close(): Promise<void>;
}

/** The statecharts the review page draws: every `*.state.mmd` diagram, by name. */
function stateDiagrams(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of generateDiagrams()) if (file.endsWith('.state.mmd')) out.set(file.slice(0, -'.state.mmd'.length), text);
  return out;
}

/** One observer that tells each given one; none when nobody watches, so that watching costs nothing otherwise. */
function fanOut(observers: readonly (Partial<SessionObserver> | undefined)[]): SessionObserver | undefined {
  const all = observers.filter((o): o is Partial<SessionObserver> => o !== undefined);
  if (all.length === 0) return undefined;
  return {
    opened: (session, peer) => all.forEach((o) => o.opened?.(session, peer)),
    message: (event) => all.forEach((o) => o.message?.(event)),
    state: (session, value) => all.forEach((o) => o.state?.(session, value)),
    closed: (session) => all.forEach((o) => o.closed?.(session)),
  };
}

/** `pool`: where the simulated emitter draws its frames and their light, corrects its EC blocks and hashes its keys (on the event loop without one). */
export function simulatedBackend(config: AliceConfig, fibre?: FibreInput, pool?: WorkerPool): SimulatedAlice {
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
    pool && {
      correctBlock: (block) => pool.run('correctBlock', block, { transfer: [block.x.buffer, block.syndrome.buffer, block.sideInformation.buffer] as ArrayBuffer[] }),
      hashKey: (key) => pool.run('hashKey', key, { transfer: [key.key.buffer, key.diagonal.buffer] as ArrayBuffer[] }),
      drawSymbols: (symbols) => pool.run('drawSymbols', symbols),
      propagate: (light) => pool.run('propagateLight', light, { transfer: [light.real.buffer, light.imag.buffer] as ArrayBuffer[] }),
    },
  );
}

/** The fibre port of a configuration: `sim.fibre_port`, else the daemon's port + 1 (a free one for port 0). */
export function fibrePortOf(config: AliceConfig): number {
  return config.sim.fibre_port ?? (config.port === 0 ? 0 : config.port + 1);
}

/** What every connection of a daemon with this configuration is given (bench/connection.ts builds its connections alike). */
export function connectionSettings(config: AliceConfig, auth: Authenticator, pool: WorkerPool): ConnectionSettings {
  return {
    auth,
    frame: { headerOrder: config.header_order, maxContentLength: config.max_content_length },
    serialNumber: config.serial_number,
    versions: config.versions,
    emitterWaitMs: config.emitter_wait_seconds * 1000,
    pool,
    limits: {
      maxContentLengthUnidentified: Math.min(config.max_content_length_unidentified, config.max_content_length),
      readAheadBytes: config.max_read_ahead_bytes,
      frameTimeoutMs: config.frame_timeout_seconds * 1000,
      identifyTimeoutMs: config.identify_timeout_seconds * 1000,
      idleTimeoutMs: config.idle_timeout_seconds * 1000,
      emitterProgressMs: config.emitter_progress_seconds * 1000,
      maxAnswerLength: config.max_answer_length,
    },
  };
}

/** Starts the daemon; rejects with a ConfigError naming each wrong key, or with the listen error. */
export async function startAlice(options: StartAliceOptions = {}): Promise<AliceDaemon> {
  const config = validateConfig(aliceConfigSchema, options.config ?? {});
  const log = options.log ?? createLogger({ level: config.log_level, format: config.log_format, fd: 2, name: 'alice' });
  const auth = loadAuthenticator({
    algorithm: config.auth,
    secretKeyFile: config.secret_key,
    peerPublicKeyFile: config.peer_public_key,
  });
  const keys = await startKeyService(config, 'master', log);
  const review =
    config.review_port === undefined ? undefined : new ReviewServer({ port: config.review_port, log, diagrams: stateDiagrams() });
  const reviewPort = review ? (await review.listen()).port : undefined;
  // The simulated emitter's light leaves through a TCP fibre unless the caller brings its own backend or fibre.
  const fibreServer =
    options.backend || options.fibre
      ? undefined
      : await FibreServer.listen(config.host, fibrePortOf(config)).catch(async (error: unknown) => {
          await review?.close();
          throw error;
        });
  const pool = new WorkerPool({ size: config.worker_threads, queueLimit: config.worker_queue, log });
  const backend = options.backend ?? simulatedBackend(config, options.fibre ?? fibreServer, pool);
  const server = new AliceServer({
    host: config.host,
    port: config.port,
    ...connectionSettings(config, auth, pool),
    suspects: {
      maxFailures: config.max_auth_failures,
      windowMs: config.auth_failure_window_seconds * 1000,
      banMs: config.ban_seconds * 1000,
      banMaxMs: Math.max(config.ban_max_seconds, config.ban_seconds) * 1000,
      allowList: config.allow_list,
    },
    maxBufferedBytes: config.max_buffered_bytes,
    maxConnections: config.max_connections,
    maxConnectionsPerAddress: config.max_connections_per_address,
    backend: keys ? withFinalKeyHook(acceptDeployedNames(backend), keys.onFinalKey) : acceptDeployedNames(backend),
    log,
    observer: fanOut([review, options.observer]),
    inspect: options.inspect,
  });
  const bound = await server.listen().catch(async (error: unknown) => {
    await pool.close();
    await fibreServer?.close();
    await review?.close();
    await keys?.close();
    throw error;
  });
  return {
    port: bound.port,
    address: bound.address,
    fibrePort: fibreServer?.port,
    reviewPort,
    kmePort: keys?.kmePort,
    server,
    backend,
    pool,
    close: async () => {
      await server.close();
      await pool.close();
      await fibreServer?.close();
      await review?.close();
      await keys?.close();
    },
  };
}
