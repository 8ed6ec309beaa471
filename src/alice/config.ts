/**
 * The daemon's configuration: a TOML file (`--config FILE`) and command-line
 * options, validated by one zod schema; the command line wins.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ConfigError, parseCommandLine, requireKeyFiles, resolveConfig, sharedFields, SHARED_OPTIONS, type OptionSpec } from '../config.ts';
import { DEFAULT_LOSS_DB_PER_KM } from '../physics/fibre-loss.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../protocol/frame.ts';
import { QOSST_VERSIONS } from '../protocol/versions.ts';
import { LOG_LEVELS } from '../log.ts';
import { MAX_SIM_SYMBOLS } from '../sim/alice-sim.ts';
import { KEY_OPTIONS, keyFields, keyHelp } from '../keys/config.ts';
import { DEFAULT_KEY_STORE } from '../keys/service.ts';

export const DEFAULT_PORT = 8181;

/** The daemon's bounds (README, "Limits"): each is a config key and an option. */
export const DEFAULT_LIMITS = {
  /** An IDENTIFICATION_REQUEST is about 60 bytes; nothing bigger is buffered for a stranger. */
  max_content_length_unidentified: 4096,
  /** Incoming bytes buffered across all connections (frames in progress and read ahead). */
  max_buffered_bytes: 256 * 1024 * 1024,
  /** Decoded frames waiting behind the request being answered, per connection. */
  max_read_ahead_bytes: 4 * 1024 * 1024,
  /**
   * Largest answer content; a PE_SYMBOLS_REQUEST whose answer could exceed it gets PE_SYMBOLS_ERROR.
   * 16 MiB (322 637 symbols) keeps the time to produce one answer well under a second.
   */
  max_answer_length: 16 * 1024 * 1024,
  frame_timeout_seconds: 30,
  identify_timeout_seconds: 10,
  /** 0: an identified client may stay quiet between frames as long as it likes. */
  idle_timeout_seconds: 0,
  max_connections: 64,
  max_connections_per_address: 8,
  max_auth_failures: 3,
  auth_failure_window_seconds: 60,
  ban_seconds: 5,
  ban_max_seconds: 300,
  emitter_progress_seconds: 60,
  /** Tasks a request may leave waiting for a worker thread (a content to read, a block to correct). */
  worker_queue: 16,
} as const;

/** Worker threads by default: one per core but one (the event loop's), at least one, at most four. */
export const DEFAULT_WORKER_THREADS = Math.max(1, Math.min(4, availableParallelism() - 1));

const simSchema = z.strictObject({
  symbols: z.number().int().positive().max(MAX_SIM_SYMBOLS).default(1_000_000),
  variance: z.number().positive().default(4),
  distance_km: z.number().nonnegative().default(10),
  loss_db_per_km: z.number().nonnegative().default(DEFAULT_LOSS_DB_PER_KM),
  excess_noise: z.number().nonnegative().default(0.01),
  /** The fibre's TCP port; default: the daemon's port + 1 (a free one when the daemon's is 0). */
  fibre_port: z.number().int().min(0).max(65535).optional(),
  /** Only for reproducible tests: the same seed gives the same symbols and noise. */
  seed: z.string().min(1).optional(),
  max_excess_noise: z.number().nonnegative().default(0.2),
  beta: z.number().gt(0).max(1).default(0.95),
  dsp_delay_ms: z.number().int().nonnegative().default(0),
});

export const aliceConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
    serial_number: z.string().min(1).default('QOSST/0001'),
    ...sharedFields,
    max_content_length_unidentified: z.number().int().positive().default(DEFAULT_LIMITS.max_content_length_unidentified),
    max_buffered_bytes: z.number().int().positive().default(DEFAULT_LIMITS.max_buffered_bytes),
    max_read_ahead_bytes: z.number().int().nonnegative().default(DEFAULT_LIMITS.max_read_ahead_bytes),
    max_answer_length: z.number().int().positive().default(DEFAULT_LIMITS.max_answer_length),
    frame_timeout_seconds: z.number().positive().default(DEFAULT_LIMITS.frame_timeout_seconds),
    identify_timeout_seconds: z.number().positive().default(DEFAULT_LIMITS.identify_timeout_seconds),
    idle_timeout_seconds: z.number().nonnegative().default(DEFAULT_LIMITS.idle_timeout_seconds),
    max_connections: z.number().int().positive().default(DEFAULT_LIMITS.max_connections),
    max_connections_per_address: z.number().int().positive().default(DEFAULT_LIMITS.max_connections_per_address),
    max_auth_failures: z.number().int().positive().default(DEFAULT_LIMITS.max_auth_failures),
    auth_failure_window_seconds: z.number().positive().default(DEFAULT_LIMITS.auth_failure_window_seconds),
    ban_seconds: z.number().nonnegative().default(DEFAULT_LIMITS.ban_seconds),
    ban_max_seconds: z.number().nonnegative().default(DEFAULT_LIMITS.ban_max_seconds),
    allow_list: z.array(z.string().min(1)).default([]),
    emitter_wait_seconds: z.number().nonnegative().default(30),
    stop_with_parent: z.boolean().default(true),
    emitter_progress_seconds: z.number().positive().default(DEFAULT_LIMITS.emitter_progress_seconds),
    worker_threads: z.number().int().min(0).max(64).default(DEFAULT_WORKER_THREADS),
    worker_queue: z.number().int().min(0).default(DEFAULT_LIMITS.worker_queue),
    log_level: z.enum(LOG_LEVELS).default('info'),
    inspect: z.string().min(1).optional(),
    review_port: z.number().int().min(0).max(65535).optional(),
    ...keyFields,
    sim: simSchema.default(simSchema.parse({})),
  })
  .superRefine(requireKeyFiles);

export type AliceConfig = z.infer<typeof aliceConfigSchema>;
/** What a caller may give: the same keys, each optional where it has a default. */
export type AliceConfigInput = z.input<typeof aliceConfigSchema>;

/** Command-line options and the config key each sets (`--sim-symbols` -> `sim.symbols`). */
const OPTIONS: Record<string, OptionSpec> = {
  ...SHARED_OPTIONS,
  ...KEY_OPTIONS,
  'max-content-length-unidentified': { type: 'string', key: 'max_content_length_unidentified', number: true },
  'max-buffered-bytes': { type: 'string', key: 'max_buffered_bytes', number: true },
  'max-read-ahead-bytes': { type: 'string', key: 'max_read_ahead_bytes', number: true },
  'max-answer-length': { type: 'string', key: 'max_answer_length', number: true },
  'frame-timeout-seconds': { type: 'string', key: 'frame_timeout_seconds', number: true },
  'identify-timeout-seconds': { type: 'string', key: 'identify_timeout_seconds', number: true },
  'idle-timeout-seconds': { type: 'string', key: 'idle_timeout_seconds', number: true },
  'max-connections': { type: 'string', key: 'max_connections', number: true },
  'max-connections-per-address': { type: 'string', key: 'max_connections_per_address', number: true },
  'max-auth-failures': { type: 'string', key: 'max_auth_failures', number: true },
  'auth-failure-window-seconds': { type: 'string', key: 'auth_failure_window_seconds', number: true },
  'ban-seconds': { type: 'string', key: 'ban_seconds', number: true },
  'ban-max-seconds': { type: 'string', key: 'ban_max_seconds', number: true },
  'allow-list': { type: 'string', key: 'allow_list', list: true },
  'emitter-wait-seconds': { type: 'string', key: 'emitter_wait_seconds', number: true },
  'no-stop-with-parent': { type: 'boolean', key: 'stop_with_parent', sets: false },
  'emitter-progress-seconds': { type: 'string', key: 'emitter_progress_seconds', number: true },
  'worker-threads': { type: 'string', key: 'worker_threads', number: true },
  'worker-queue': { type: 'string', key: 'worker_queue', number: true },
  inspect: { type: 'string', key: 'inspect' },
  'review-port': { type: 'string', key: 'review_port', number: true },
  'sim-symbols': { type: 'string', key: 'sim.symbols', number: true },
  'sim-variance': { type: 'string', key: 'sim.variance', number: true },
  'sim-distance-km': { type: 'string', key: 'sim.distance_km', number: true },
  'sim-loss-db-per-km': { type: 'string', key: 'sim.loss_db_per_km', number: true },
  'sim-excess-noise': { type: 'string', key: 'sim.excess_noise', number: true },
  'sim-fibre-port': { type: 'string', key: 'sim.fibre_port', number: true },
  'sim-seed': { type: 'string', key: 'sim.seed' },
  'sim-max-excess-noise': { type: 'string', key: 'sim.max_excess_noise', number: true },
  'sim-beta': { type: 'string', key: 'sim.beta', number: true },
  'sim-dsp-delay-ms': { type: 'string', key: 'sim.dsp_delay_ms', number: true },
};

export const HELP = `qosst-alice: the QOSST control-protocol daemon for Alice (the emitter).

Usage: npm run alice -- [options]      (or: qosst-alice [options])

Alice serves Bob over TCP. Every option can also be set in a TOML file given
by --config FILE (keys in snake_case, simulated backend under [sim]); the
command line wins. See config/alice.example.toml.

Connection
  --host HOST                 address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --port N                    TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --serial-number S           Alice's serial number (default QOSST/0001)
  --versions V1,V2            compatible protocol versions, preferred first
                              (default ${QOSST_VERSIONS.join(',')})
  --header-order ORDER        deployed (header length first, as the Python peers)
                              or spec (digest length first, as the prose) (default deployed)
  --max-content-length N      largest content accepted from an identified client, in bytes
                              (default ${DEFAULT_MAX_CONTENT_LENGTH})

Limits (each logged when it fires)
  --max-content-length-unidentified N
                              largest content before identification (default ${DEFAULT_LIMITS.max_content_length_unidentified})
  --max-buffered-bytes N      incoming bytes buffered across all connections; above it the
                              connection with the oldest incomplete frame is closed
                              (default ${DEFAULT_LIMITS.max_buffered_bytes})
  --max-read-ahead-bytes N    frames read ahead per connection, in bytes, before its socket
                              is paused (default ${DEFAULT_LIMITS.max_read_ahead_bytes})
  --max-answer-length N       largest answer content; a PE_SYMBOLS_REQUEST whose answer could
                              exceed it gets PE_SYMBOLS_ERROR (default ${DEFAULT_LIMITS.max_answer_length})
  --frame-timeout-seconds N   time to complete a frame once its first byte arrived (default ${DEFAULT_LIMITS.frame_timeout_seconds})
  --identify-timeout-seconds N
                              time to identify after connecting (default ${DEFAULT_LIMITS.identify_timeout_seconds})
  --idle-timeout-seconds N    an identified client silent this long is disconnected
                              (default ${DEFAULT_LIMITS.idle_timeout_seconds}: never)
  --max-connections N         connections at once (default ${DEFAULT_LIMITS.max_connections})
  --max-connections-per-address N
                              connections at once from one address (default ${DEFAULT_LIMITS.max_connections_per_address})
  --worker-threads N          threads that read large contents, write large answers, correct
                              EC blocks and hash keys (simulated emitter) off the event loop
                              (default ${DEFAULT_WORKER_THREADS} here: the cores but one, 1 to 4; 0: all on the loop)
  --worker-queue N            tasks a request may leave waiting for a thread; beyond it the
                              request is refused as busy: INVALID_CONTENT for a content,
                              EC_BLOCK_ERROR for a block, PA_ERROR for an amplification
                              (default ${DEFAULT_LIMITS.worker_queue})

Authentication
  --auth ALG                  none | ed25519 | falcon512 (default none)
  --secret-key FILE           Alice's secret key file (ed25519, falcon512)
  --peer-public-key FILE      Bob's public key file (ed25519, falcon512)
  --max-auth-failures N       failures from one address, across its connections, within
                              the window that mean a man-in-the-middle: logged as fatal,
                              connection closed, address refused (default ${DEFAULT_LIMITS.max_auth_failures})
  --auth-failure-window-seconds N
                              the window (default ${DEFAULT_LIMITS.auth_failure_window_seconds})
  --ban-seconds N             first refusal; each further one doubles (default ${DEFAULT_LIMITS.ban_seconds})
  --ban-max-seconds N         longest refusal (default ${DEFAULT_LIMITS.ban_max_seconds})
  --allow-list A,B            addresses never refused (their connection is still closed)

Emitter
  --emitter-wait-seconds N    how long a QIE_REQUEST waits for another session to
                              release the emitter before ABORT (default 30)
  --emitter-progress-seconds N
                              a session holding the emitter must send its next request
                              within this time, or Alice aborts its frame (emission
                              stopped) and frees the emitter (default ${DEFAULT_LIMITS.emitter_progress_seconds})
  --sim-symbols N             simulated frame size in symbols (default 1000000, at most 1000000)
  --sim-variance VA           modulation variance per quadrature, shot-noise units;
                              n_photon = VA/2 (default 4)
  --sim-dsp-delay-ms N        simulated DSP time per frame (default 0)

Simulated fibre (Alice's side of the link; Bob reads its output)
  --sim-distance-km L         fibre length in km (default 10)
  --sim-loss-db-per-km A      fibre loss in dB/km (default 0.2): T = 10^(-A·L/10)
  --sim-excess-noise XI       excess noise, shot-noise units, referred to the
                              fibre's input (default 0.01)
  --sim-fibre-port N          TCP port serving the fibre's output to qosst-bob run
                              (default: --port + 1; a free one when --port is 0)
  --sim-seed S                reproducible symbols and noise (tests only; default:
                              a fresh CSPRNG key)

Estimation policy (PE_FINISHED: Alice recomputes the key rate from Bob's values)
  --sim-max-excess-noise X    denied above this excess noise (default 0.2)
  --sim-beta B                reconciliation efficiency of her key-rate check (default 0.95)

${keyHelp(DEFAULT_KEY_STORE.master)}

Logs and inspection
  --log-level LEVEL           fatal | error | warn | info | debug | trace | silent (default info)
  --log-format FORMAT         auto (pretty on a terminal) | pretty | json (default auto)
  --inspect TARGET            stream the statecharts' inspection events: sky or ws://host:port
  --review-port N             serve the offline review page on 127.0.0.1:N

  --config FILE               TOML configuration file
  -h, --help                  this help

Stopping
  SIGINT, SIGTERM, SIGHUP, or the parent process going away (npm, a shell, a supervisor):
  emission stopped, sockets closed, exit within 2 s.
  --no-stop-with-parent       keep running when the parent process exits (config:
                              stop_with_parent = false), e.g. under nohup

Exit codes: 0 after SIGINT/SIGTERM (emission stopped, sockets closed),
2 for an invalid option or configuration (the message names the key).`;

export type CliResult = { help: true } | { help: false; config: AliceConfig };

/** Parses the command line and the config file; throws ConfigError with a message naming the key. */
export function loadAliceConfig(argv: readonly string[]): CliResult {
  const line = parseCommandLine(argv, OPTIONS, false);
  if (line.values.help) return { help: true };
  return { help: false, config: resolveConfig(aliceConfigSchema, line, OPTIONS) };
}

export { ConfigError };
