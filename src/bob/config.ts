/**
 * Bob's command-line configuration: a TOML file (`--config FILE`) and
 * command-line options, validated by one zod schema; the command line wins.
 * Mirrors the daemon's (src/alice/config.ts): same authentication options,
 * same error style (the message names the key), exit code 2.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseCommandLine, requireKeyFiles, resolveConfig, sharedFields, SHARED_OPTIONS, type OptionSpec } from '../config.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../protocol/frame.ts';
import { DEFAULT_LOSS_DB_PER_KM } from '../physics/fibre-loss.ts';
import { DistanceRangeError, MAX_SWEEP_DISTANCES, parseDistanceRange } from './distance-range.ts';
import type { SweepOptions } from './sweep.ts';
import { MAX_BLOCK_LENGTH, MIN_BLOCK_LENGTH } from '../postprocessing/ldpc-code.ts';
import { loadAuthenticator } from '../protocol/auth/index.ts';
import { BOB_DEFAULTS, createSimulatedBob, type SimulatedBob } from '../sim/bob-sim.ts';
import { connectFibre, parseFibreAddress } from '../sim/fibre-tcp.ts';
import { LOG_LEVELS } from '../log.ts';
import { QOSST_VERSIONS } from '../protocol/versions.ts';
import type { ConnectOptions } from './session.ts';
import { KEY_OPTIONS, keyFields, keyHelp } from '../keys/config.ts';
import { DEFAULT_KEY_STORE } from '../keys/service.ts';

export const DEFAULT_PORT = 8181;
export const COMMANDS = ['run', 'probe', 'sweep'] as const;
export type BobCommand = (typeof COMMANDS)[number];

const fibreAddress = z.string().refine((s) => {
  try {
    parseFibreAddress(s);
    return true;
  } catch {
    return false;
  }
}, 'must be HOST:PORT');

/** The daemon's default excess noise (SNU), the sweep's default fibre. */
const SWEEP_EXCESS_NOISE = 0.01;
export const DEFAULT_SWEEP_DISTANCES = '0:40:5';
export const DEFAULT_SWEEP_OUT = 'sweep.svg';

/** The distances of a sweep: START:STOP:STEP in km, checked by the parser's own messages. */
const distanceRange = z.string().superRefine((text, ctx) => {
  try {
    parseDistanceRange(text);
  } catch (error) {
    if (!(error instanceof DistanceRangeError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

const simSchema = z.strictObject({
  symbols: z.number().int().positive().max(50_000_000).default(BOB_DEFAULTS.symbols),
  variance: z.number().positive().default(BOB_DEFAULTS.variance),
  /** Alice's fibre, HOST:PORT; default: Alice's host and port + 1. */
  fibre: fibreAddress.optional(),
  efficiency: z.number().gt(0).max(1).default(BOB_DEFAULTS.efficiency),
  electronic_noise: z.number().nonnegative().default(BOB_DEFAULTS.electronicNoise),
  estimation_symbols: z.number().int().positive().default(BOB_DEFAULTS.estimationSymbols),
  calibration_samples: z.number().int().positive().max(50_000_000).optional(),
  epsilon_pe: z.number().gt(0).lt(1).default(BOB_DEFAULTS.epsilonPE),
  beta: z.number().gt(0).max(1).default(BOB_DEFAULTS.beta),
  /** Only for reproducible tests. */
  seed: z.string().min(1).optional(),
  pa_form: z.enum(['specification', 'ratio']).default('specification'),
  block_length: z.number().int().min(MIN_BLOCK_LENGTH).max(MAX_BLOCK_LENGTH).multipleOf(8).default(BOB_DEFAULTS.blockLength),
  margin_db: z.number().nonnegative().max(10).default(BOB_DEFAULTS.marginDb),
  /** `sweep`: the fibre of the daemons it starts (Alice's side of the link; their defaults). */
  loss_db_per_km: z.number().nonnegative().default(DEFAULT_LOSS_DB_PER_KM),
  excess_noise: z.number().nonnegative().default(SWEEP_EXCESS_NOISE),
}).refine((s) => s.efficiency < 1 || s.electronic_noise === 0, {
  error: 'a lossless detector (efficiency 1) must have electronic_noise 0 in the trusted-detector model',
  path: ['electronic_noise'],
});

export const bobConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).default(DEFAULT_PORT),
    serial_number: z.string().min(1).default('QOSST/0002'),
    ...sharedFields,
    answer_timeout_seconds: z.number().positive().default(60),
    log_level: z.enum(LOG_LEVELS).default('warn'),
    /** `run`: frames to run, 0 = until interrupted; `sweep`: frames per distance. */
    frames: z.number().int().nonnegative().default(1),
    /** `sweep`: START:STOP:STEP in km. */
    distances: distanceRange.default(DEFAULT_SWEEP_DISTANCES),
    /** `sweep`: where the SVG plot goes. */
    out: z.string().min(1).default(DEFAULT_SWEEP_OUT),
    /** `run`: Stately inspector target, `sky` or a ws:// URL. */
    inspect: z.string().min(1).optional(),
    /** `run`: the key store and the key delivery API. */
    ...keyFields,
    sim: simSchema.default(simSchema.parse({})),
  })
  .superRefine(requireKeyFiles);

export type BobConfig = z.infer<typeof bobConfigSchema>;



/** Command-line options and the config key each sets (`--sim-symbols` -> `sim.symbols`). */
const OPTIONS: Record<string, OptionSpec> = {
  ...SHARED_OPTIONS,
  'answer-timeout-seconds': { type: 'string', key: 'answer_timeout_seconds', number: true },
  'sim-symbols': { type: 'string', key: 'sim.symbols', number: true },
  'sim-variance': { type: 'string', key: 'sim.variance', number: true },
  'sim-fibre': { type: 'string', key: 'sim.fibre', only: 'run' },
  'sim-efficiency': { type: 'string', key: 'sim.efficiency', number: true },
  'sim-electronic-noise': { type: 'string', key: 'sim.electronic_noise', number: true },
  'sim-estimation-symbols': { type: 'string', key: 'sim.estimation_symbols', number: true },
  'sim-calibration-samples': { type: 'string', key: 'sim.calibration_samples', number: true },
  'sim-epsilon-pe': { type: 'string', key: 'sim.epsilon_pe', number: true },
  'sim-beta': { type: 'string', key: 'sim.beta', number: true },
  'sim-seed': { type: 'string', key: 'sim.seed' },
  'sim-pa-form': { type: 'string', key: 'sim.pa_form' },
  'sim-block-length': { type: 'string', key: 'sim.block_length', number: true },
  'sim-margin-db': { type: 'string', key: 'sim.margin_db', number: true },
  'sim-loss-db-per-km': { type: 'string', key: 'sim.loss_db_per_km', number: true, only: 'sweep' },
  'sim-excess-noise': { type: 'string', key: 'sim.excess_noise', number: true, only: 'sweep' },
  frames: { type: 'string', key: 'frames', number: true, only: ['run', 'sweep'] },
  distances: { type: 'string', key: 'distances', only: 'sweep' },
  out: { type: 'string', key: 'out', only: 'sweep' },
  inspect: { type: 'string', key: 'inspect', only: 'run' },
  ...Object.fromEntries(Object.entries(KEY_OPTIONS).map(([name, spec]) => [name, { ...spec, only: 'run' }])),
  json: { type: 'boolean' },
};

const CONNECTION_OPTIONS = `Connection
  --host HOST                 Alice's address (default 127.0.0.1)
  --port N                    Alice's TCP port (default ${DEFAULT_PORT})
  --serial-number S           Bob's serial number (default QOSST/0002)
  --versions V1,V2            compatible protocol versions, the one to try first first
                              (default ${QOSST_VERSIONS.join(',')}); Bob retries once with
                              the version Alice names in INVALID_QOSST_VERSION if it is listed
  --header-order ORDER        deployed (header length first, as the Python peers)
                              or spec (digest length first, as the prose) (default deployed)
  --max-content-length N      largest content accepted, in bytes (default ${DEFAULT_MAX_CONTENT_LENGTH})
  --answer-timeout-seconds N  how long to wait for an answer (default 60)

Authentication
  --auth ALG                  none | ed25519 | falcon512 (default none)
  --secret-key FILE           Bob's secret key file (ed25519, falcon512)
  --peer-public-key FILE      Alice's public key file (ed25519, falcon512)`;

const RECEIVER_OPTIONS = `  --sim-symbols N             frame size asked for (default ${BOB_DEFAULTS.symbols}; Alice's is
                              adopted when she answers INITIALIZATION_PROPOSAL)
  --sim-variance VA           modulation variance asked for, shot-noise units (default ${BOB_DEFAULTS.variance})
  --sim-efficiency ETA        detector efficiency (default ${BOB_DEFAULTS.efficiency})
  --sim-electronic-noise VEL  detector electronic noise, shot-noise units (default ${BOB_DEFAULTS.electronicNoise})
  --sim-estimation-symbols N  symbols revealed for parameter estimation, chosen at
                              random (default ${BOB_DEFAULTS.estimationSymbols}; at most half the frame)
  --sim-calibration-samples N shot-noise and electronic-noise samples per frame
                              (default: the frame's size)
  --sim-epsilon-pe E          failure probability of the estimation's confidence
                              region; the key rate is computed at its worst case
                              (default ${BOB_DEFAULTS.epsilonPE})
  --sim-beta B                reconciliation efficiency (default ${BOB_DEFAULTS.beta})
  --sim-pa-form FORM          PA_REQUEST as specification ({seed, secret_key_length,
                              subblock_length, feedback_polynomial}) or ratio (the newer
                              deployed {seed, secret_key_ratio}) (default specification)
  --sim-block-length N        bits per reconciliation block: the LDPC code's length, a
                              multiple of 8 from ${MIN_BLOCK_LENGTH} to ${MAX_BLOCK_LENGTH} (default ${BOB_DEFAULTS.blockLength});
                              the kept reals after the last whole block are not reconciled
  --sim-margin-db DB          margin between the estimated SNR and the chosen code's
                              threshold (default ${BOB_DEFAULTS.marginDb})
  --sim-seed S                reproducible noise and indices (tests only)`;

const OUTPUT_OPTIONS = `Output
  --json                      print one JSON object and nothing else on standard output
  --log-level LEVEL           fatal | error | warn | info | debug | trace | silent (default warn);
                              logs go to standard error (debug: every message in and out)
  --log-format FORMAT         auto (pretty on a terminal) | pretty | json (default auto)

  --config FILE               TOML configuration file (keys in snake_case, simulated
                              receiver under [sim]); the command line wins
  -h, --help                  this help`;

const COMMON_OPTIONS = `${CONNECTION_OPTIONS}

Simulated receiver (reads the light of the daemon's simulated fibre)
  --sim-fibre HOST:PORT       Alice's fibre (run only; default: --host and --port + 1)
${RECEIVER_OPTIONS}

${OUTPUT_OPTIONS}`;

export const HELP = `qosst-bob: the QOSST control-protocol client for Bob (the receiver).

Usage: npm run bob -- <command> [options]      (or: qosst-bob <command> [options])

Commands
  run        run frames against Alice with the simulated receiver, with live
             progress and a summary (see: run --help)
  probe      check that an Alice answers every step as the specification
             allows (see: probe --help)
  sweep      measure the secret key rate against the fibre's length: real
             frames at each distance over a simulated link of its own, an
             SVG plot against the theory (see: sweep --help)

${COMMON_OPTIONS}

Exit codes: 0 success, 1 a frame did not complete / a probe step was not
allowed / no connection, 2 an invalid command, option or configuration
(the message names the key).`;

export const RUN_HELP = `qosst-bob run: runs frames against Alice with the simulated receiver.

Usage: npm run bob -- run [--frames N] [--json] [options]

Each frame: identification if needed, initialization (adopting Alice's
configuration after INITIALIZATION_PROPOSAL), quantum information exchange
(the simulated detector measures the light of Alice's simulated fibre),
parameter estimation from the symbols Alice reveals and the detector's
calibration, error correction, privacy amplification, end of frame. When a
frame ends Bob prints what he measured: the transmittance with its
confidence interval and the distance it implies, the excess noise, the
electronic noise, and the key rate (at the worst case of the confidence
region, as sent in PE_FINISHED; at the point estimates; and the configured
link's theoretical rate).
Progress shows the frame number, its phase and the elapsed time (one line
rewritten on a terminal, one line per phase otherwise); a summary table
follows: frames attempted, completed, denied and aborted, key bits, errors.
A frame that fails (Alice aborts, refuses, or answers outside the
specification) counts as aborted and the next frame starts.
Ctrl-C finishes the current frame, then disconnects (twice: quit at once).

  --frames N                  frames to run (default 1; 0 = until interrupted)
  --inspect TARGET            stream Bob's statechart to Stately's inspector: sky
                              (online, prints the live URL) or ws://host:port
  --json                      only the summary, as one JSON object:
                              {"counts":{"attempted","completed","denied","aborted"},
                               "frames":[{"frame","frame_uuid","status","key_bits",
                                 "measured":{"transmittance","excess_noise",
                                 "electronic_noise","key_rate",...}}],
                               "keyBits","errors":[...],"interrupted","elapsedMs"}

${keyHelp(DEFAULT_KEY_STORE.slave)}

${COMMON_OPTIONS}

Exit code 0 only if every frame completed.`;

export const PROBE_HELP = `qosst-bob probe: a conformance check of any QOSST Alice.

Usage: npm run bob -- probe [--json] [options]

In order: identification (with version negotiation), initialization with
only frame_uuid, polarisation recovery, quantum information exchange,
symbols at valid indices [0,1] and out of bound [1000000000], photon number,
PE_FINISHED with a positive key rate, error correction and privacy
amplification with the specification's example contents (EC_VERIFICATION is
retried with the simulated receiver's key hash if the example hash fails),
end of frame, an unknown code (1000), disconnection. Each step shows the
answer and whether the specification allows it at that point (the answers
of Bob's statechart, built from the phase definitions). A step that cannot
be sent after an earlier answer is shown as "(not run)": allowed if that
answer was an allowed one (e.g. EC_VERIFICATION_FAIL), not allowed if it was
wrong. After AUTHENTICATION_INVALID the probe identifies again and goes on.
It always ends with DISCONNECTION.

  --json                      one object: {"ok", "steps": [{"request", "answer",
                              "allowed", "note"}]}

${COMMON_OPTIONS}

Exit code 0 only if every step was allowed.`;

export const SWEEP_HELP = `qosst-bob sweep: the secret key rate measured against the fibre's length.

Usage: npm run bob -- sweep [--distances START:STOP:STEP] [--frames N] [--out FILE] [--json] [options]
e.g.   npm run bob -- sweep --distances 0:40:5 --frames 2 --out sweep.svg

At each distance (START, START+STEP, ... up to STOP inclusive, in km) the
sweep starts an Alice daemon (qosst-alice, its simulated emitter and a
simulated fibre of that length) on free loopback ports, connects Bob's
driver and simulated receiver to it over TCP, runs N real frames (as
"run" does: estimation, LDPC reconciliation, privacy amplification, both
sides' final keys), then stops the daemon. Nothing is computed in place of
a frame: a distance costs what its frames cost (about 20 s per frame of
10^6 symbols on one core when it reaches reconciliation).

Measured per distance, over the N frames:
  key rate     final key bits / the frame's symbols, bits per symbol. A frame
               that ends without a key (Alice denies the estimation, no code
               fits the SNR, nothing is left after privacy amplification,
               every block failed, the verification failed) counts as 0: the mean is over
               all N frames, and the plot marks such frames on a "no key"
               strip under the log axis with their count.
  beta         the achieved reconciliation efficiency (code rate / AWGN
               capacity at the estimated SNR), frames that reached
               error correction only
  SNR          per real dimension, at the worst-case estimates
  BLER         blocks answered EC_BLOCK_ERROR / blocks sent
  theory       the link's asymptotic key rate (Fossier et al. 2009) at beta = 1
               and at the distance's mean achieved beta, same Va, xi, eta, Vel
               and loss
  finite-size  what a frame should measure at the achieved beta: the key
               length formula at the worst case of the confidence region the
               estimator reaches on average at this frame size and epsilon_PE
               (Leverrier et al. 2010), no block lost
The measured rate is a finite-size worst case (epsilon_PE), less the
verification hash and the privacy amplification's margin: it lies below
the asymptotic theory and near the finite-size one.

  --distances START:STOP:STEP distances in km (default ${DEFAULT_SWEEP_DISTANCES}; START >= 0,
                              STOP >= START, STEP > 0, at most ${MAX_SWEEP_DISTANCES} distances)
  --frames N                  frames per distance (default 1)
  --out FILE                  the SVG plot (default ${DEFAULT_SWEEP_OUT}; its folder must exist)
  --json                      the numbers as one JSON object on standard output:
                              {"link","symbols_per_frame","frames_per_distance",
                               "receiver","assumed_beta","points":[{"distance_km","transmittance",
                               "counts","zero_key_frames","key_rate":{"mean","min","max",
                               "std_error"},"beta","snr","block_error_rate","blocks",
                               "block_errors","theoretical_key_rate":{"beta_1",
                               "achieved_beta","finite_size"},"frames":[...]}],"theory_beta_1",
                               "interrupted","elapsed_ms"}

Simulated fibre (the daemons')
  --sim-loss-db-per-km A      fibre loss in dB/km (default ${DEFAULT_LOSS_DB_PER_KM})
  --sim-excess-noise XI       excess noise, SNU referred to the fibre's input (default ${SWEEP_EXCESS_NOISE})

Simulated receiver (--sim-symbols and --sim-variance set Alice's frame too;
--sim-beta also sets the beta of her key-rate check; at most 1000000 symbols)
${RECEIVER_OPTIONS}

  --answer-timeout-seconds N  how long to wait for an answer (default 60)
  --max-content-length N      largest content accepted, in bytes (default ${DEFAULT_MAX_CONTENT_LENGTH})

${OUTPUT_OPTIONS}

The daemons run with authentication none on 127.0.0.1: the connection and
authentication options of run and probe do not apply. Their logs go to
standard error at --log-level. Ctrl-C finishes the current frame, stops
and still writes the plot of what was measured (exit code 1).

Exit codes: 0 the sweep ran to the end (frames without a key are results,
not failures), 1 a daemon could not start, a session failed, the plot could
not be written or the sweep was interrupted, 2 an invalid option.`;

export function helpFor(command: BobCommand | null): string {
  return command === 'run' ? RUN_HELP : command === 'probe' ? PROBE_HELP : command === 'sweep' ? SWEEP_HELP : HELP;
}

export type BobCliResult =
  | { help: true; command: BobCommand | null }
  | { help: false; command: BobCommand; config: BobConfig; json: boolean };

/** Parses the command line and the config file; throws ConfigError with a message naming the key. */
export function loadBobConfig(argv: readonly string[]): BobCliResult {
  const line = parseCommandLine(argv, OPTIONS, true);
  const [name, ...extra] = line.positionals;
  if (name !== undefined && !(COMMANDS as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown command "${name}" (expected ${COMMANDS.join(' or ')})\nSee --help.`);
  }
  const command = (name ?? null) as BobCommand | null;
  if (line.values.help) return { help: true, command };
  if (command === null) throw new ConfigError(`a command is required: ${COMMANDS.join(' or ')}\nSee --help.`);
  if (extra.length > 0) throw new ConfigError(`unexpected argument "${extra[0]}"\nSee --help.`);
  if (command === 'sweep') {
    for (const name of NOT_FOR_SWEEP) {
      if (line.values[name] !== undefined) {
        throw new ConfigError(`--${name} does not apply to "sweep": it starts its own Alice daemons on loopback, with authentication none\nSee sweep --help.`);
      }
    }
  }
  const config = resolveConfig(bobConfigSchema, line, OPTIONS, command);
  if (command === 'sweep') checkSweep(config);
  return { help: false, command, config, json: line.values.json === true };
}

/** Options of run and probe that mean nothing to a sweep's own daemons. */
const NOT_FOR_SWEEP = ['host', 'port', 'serial-number', 'versions', 'auth', 'secret-key', 'peer-public-key', 'header-order'] as const;

function checkSweep(config: BobConfig): void {
  if (config.auth !== 'none') throw new ConfigError(`auth: "sweep" runs its own daemons with authentication none, not ${config.auth}`);
  if (config.frames < 1) throw new ConfigError('--frames: "sweep" needs at least 1 frame per distance');
  const folder = dirname(resolve(config.out));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ConfigError(`--out: the folder "${folder}" does not exist`);
}

/** A sweep's settings from the configuration (the distances are valid: the schema checked them). */
export function sweepOptions(config: BobConfig): SweepOptions {
  const { sim } = config;
  return {
    distances: parseDistanceRange(config.distances),
    frames: config.frames,
    symbols: sim.symbols,
    link: {
      variance: sim.variance,
      lossDbPerKm: sim.loss_db_per_km,
      excessNoise: sim.excess_noise,
      efficiency: sim.efficiency,
      electronicNoise: sim.electronic_noise,
    },
    beta: sim.beta,
    receiver: {
      estimationSymbols: sim.estimation_symbols,
      ...(sim.calibration_samples === undefined ? {} : { calibrationSamples: sim.calibration_samples }),
      epsilonPE: sim.epsilon_pe,
      paForm: sim.pa_form,
      blockLength: sim.block_length,
      marginDb: sim.margin_db,
    },
    ...(sim.seed === undefined ? {} : { seed: sim.seed }),
    session: { answerTimeoutMs: config.answer_timeout_seconds * 1000, maxContentLength: config.max_content_length },
    aliceLog: { level: config.log_level, format: config.log_format },
  };
}

/** The session options of a configuration (reads the key files: throws if they cannot be read). */
export function sessionOptions(config: BobConfig): ConnectOptions {
  return {
    host: config.host,
    port: config.port,
    auth: loadAuthenticator({ algorithm: config.auth, secretKeyFile: config.secret_key, peerPublicKeyFile: config.peer_public_key }),
    serialNumber: config.serial_number,
    versions: config.versions,
    headerOrder: config.header_order,
    maxContentLength: config.max_content_length,
    answerTimeoutMs: config.answer_timeout_seconds * 1000,
  };
}

/** The fibre address of a configuration: `sim.fibre`, else Alice's host and port + 1. */
export function fibreAddressOf(config: BobConfig): { host: string; port: number } {
  return config.sim.fibre === undefined ? { host: config.host, port: config.port + 1 } : parseFibreAddress(config.sim.fibre);
}

/** The simulated receiver of a configuration, connected to Alice's fibre. */
export async function simulatedReceiver(config: BobConfig): Promise<SimulatedBob> {
  const { host, port } = fibreAddressOf(config);
  const { sim } = config;
  return createSimulatedBob({
    fibre: await connectFibre(host, port),
    symbols: sim.symbols,
    variance: sim.variance,
    efficiency: sim.efficiency,
    electronicNoise: sim.electronic_noise,
    estimationSymbols: sim.estimation_symbols,
    ...(sim.calibration_samples === undefined ? {} : { calibrationSamples: sim.calibration_samples }),
    epsilonPE: sim.epsilon_pe,
    beta: sim.beta,
    paForm: sim.pa_form,
    blockLength: sim.block_length,
    marginDb: sim.margin_db,
    ...(sim.seed === undefined ? {} : { seed: sim.seed }),
  });
}

export { ConfigError };
