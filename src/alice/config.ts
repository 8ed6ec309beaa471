/**
 * The daemon's configuration: a TOML file (`--config FILE`) and command-line
 * options, validated by one zod schema; the command line wins.
 */
import { z } from 'zod';
import { ConfigError, parseCommandLine, requireKeyFiles, resolveConfig, sharedFields, SHARED_OPTIONS, type OptionSpec } from '../config.ts';
import { DEFAULT_LOSS_DB_PER_KM } from '../physics/fibre-loss.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../protocol/frame.ts';
import { QOSST_VERSIONS } from '../protocol/versions.ts';
import { LOG_LEVELS } from '../log.ts';

export const DEFAULT_PORT = 8181;

const simSchema = z.strictObject({
  symbols: z.number().int().positive().max(50_000_000).default(1_000_000),
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
    max_auth_failures: z.number().int().positive().default(3),
    ban_seconds: z.number().nonnegative().default(300),
    emitter_wait_seconds: z.number().nonnegative().default(30),
    log_level: z.enum(LOG_LEVELS).default('info'),
    inspect: z.string().min(1).optional(),
    review_port: z.number().int().min(0).max(65535).optional(),
    sim: simSchema.default(simSchema.parse({})),
  })
  .superRefine(requireKeyFiles);

export type AliceConfig = z.infer<typeof aliceConfigSchema>;
/** What a caller may give: the same keys, each optional where it has a default. */
export type AliceConfigInput = z.input<typeof aliceConfigSchema>;

/** Command-line options and the config key each sets (`--sim-symbols` -> `sim.symbols`). */
const OPTIONS: Record<string, OptionSpec> = {
  ...SHARED_OPTIONS,
  'max-auth-failures': { type: 'string', key: 'max_auth_failures', number: true },
  'ban-seconds': { type: 'string', key: 'ban_seconds', number: true },
  'emitter-wait-seconds': { type: 'string', key: 'emitter_wait_seconds', number: true },
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
  --max-content-length N      largest content accepted, in bytes (default ${DEFAULT_MAX_CONTENT_LENGTH})

Authentication
  --auth ALG                  none | ed25519 | falcon512 (default none)
  --secret-key FILE           Alice's secret key file (ed25519, falcon512)
  --peer-public-key FILE      Bob's public key file (ed25519, falcon512)
  --max-auth-failures N       consecutive failures that mean a man-in-the-middle:
                              logged as fatal, connection closed (default 3)
  --ban-seconds N             how long such an address is then refused (default 300)

Emitter
  --emitter-wait-seconds N    how long a QIE_REQUEST waits for another session to
                              release the emitter before ABORT (default 30)
  --sim-symbols N             simulated frame size in symbols (default 1000000)
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

Logs and inspection
  --log-level LEVEL           fatal | error | warn | info | debug | trace | silent (default info)
  --log-format FORMAT         auto (pretty on a terminal) | pretty | json (default auto)
  --inspect TARGET            stream the statecharts' inspection events: sky or ws://host:port
  --review-port N             serve the offline review page on 127.0.0.1:N

  --config FILE               TOML configuration file
  -h, --help                  this help

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
