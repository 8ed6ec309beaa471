/**
 * The simulated emitter: Alice's backend with no hardware. One emitter and
 * one parameter store are shared by every session, as a real device would
 * be; each session keeps its own frame (symbols, revealed indices). A
 * frame's symbols are drawn from a CSPRNG (src/sim/gaussian-source.ts) and
 * reach Bob only as light through the simulated fibre, which Alice's side
 * owns (src/sim/fibre.ts), and as the symbols she reveals.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Awaitable } from '../../machines/effect.ts';
import type {
  AliceBackend,
  AliceSessionBackend,
  InitializationDecision,
  ParameterChange,
  SessionInfo,
  SymbolsResult,
  Verdict,
} from '../alice/backend.ts';
import { quoteValue } from '../alice/echo.ts';
import { reviewEstimation } from '../alice/estimation-policy.ts';
import { DEFAULT_LOSS_DB_PER_KM } from '../physics/fibre-loss.ts';
import { pyStringify } from '../protocol/json.ts';
import type { JsonObject } from '../protocol/json.ts';
import { channelModel } from '../postprocessing/channel-model.ts';
import { keptReals } from '../postprocessing/kept-reals.ts';
import { parseCodeId, buildCode } from '../postprocessing/ldpc-code.ts';
import type { Dimension, LinearGaussianModel } from '../postprocessing/multidimensional.ts';
import { aliceBlock, type AliceBlock } from '../postprocessing/reconciliation.ts';
import { toeplitzDiagonal, toeplitzHash } from '../postprocessing/toeplitz.ts';
import { packBits, verificationHash } from '../postprocessing/verification-hash.ts';
import { finalKeyLength } from '../protocol/pa-request.ts';
import type { ContentOf } from '../protocol/schemas.ts';
import { SIM_DEPLOYED_PARAMETERS } from './deployed-names.ts';
import { describeFibre, propagate } from './fibre.ts';
import type { FibreDescription, FibreInput, Light } from './fibre-link.ts';
import { createRandomSource, type StreamPosition } from './gaussian-source.ts';

type ParameterValue = number | string | number[];

interface ParameterDefinition {
  /** The name Bob may use in INITIALIZATION_REQUEST beside the full one. */
  alias?: string;
  schema: z.ZodType<ParameterValue>;
  /** What a valid value is, for refusal messages. */
  expected: string;
}

/** The simulated emitter's largest frame: generating it, or its light, takes about 0.5 s (off the event loop with an Offload). */
export const MAX_SIM_SYMBOLS = 1_000_000;

const PARAMETERS = {
  'qi.frame.roll_off': { alias: 'roll_off', schema: z.number().min(0).max(1), expected: 'a number in [0, 1]' },
  'qi.frame.num_symbols': {
    alias: 'num_symbols',
    schema: z.number().int().positive().max(MAX_SIM_SYMBOLS),
    expected: `a positive integer up to ${MAX_SIM_SYMBOLS}`,
  },
  'qi.frame.variance': { alias: 'variance', schema: z.number().positive(), expected: 'a positive number' },
  // Accepted and kept, as the deployed configuration's (see deployed-names.ts); the simulated symbols do not depend on them.
  'qi.frame.symbol_rate': { schema: z.number().positive(), expected: 'a positive number of Baud' },
  'qi.frame.frequency_shift': { schema: z.number(), expected: 'a frequency in Hz' },
  'qi.frame.pilots.num_pilots': { schema: z.number().int().nonnegative(), expected: 'a non-negative integer' },
  'qi.frame.pilots.frequencies': { schema: z.array(z.number()), expected: 'a list of frequencies in Hz' },
  'qi.frame.pilots.amplitudes': { schema: z.array(z.number().min(0).max(1)), expected: 'a list of amplitudes in [0, 1] of the DAC range' },
  'qi.emitter.serial_number': { schema: z.string().min(1), expected: 'a non-empty string' },
} as const satisfies Record<string, ParameterDefinition>;

type ParameterName = keyof typeof PARAMETERS;

const PARAMETER_NAMES = Object.keys(PARAMETERS) as ParameterName[];

function isParameterName(name: string): name is ParameterName {
  return Object.hasOwn(PARAMETERS, name);
}

const ALIASES = new Map<string, ParameterName>(
  PARAMETER_NAMES.flatMap((name) => {
    const alias = (PARAMETERS[name] as ParameterDefinition).alias;
    return alias === undefined ? [] : [[alias, name] as const];
  }),
);

const optionsSchema = z.strictObject({
  /** Symbols per frame (initial `qi.frame.num_symbols`). */
  symbols: z.number().int().positive().default(10_000),
  /** Modulation variance Va per quadrature, SNU (initial `qi.frame.variance`); <n> = Va / 2. */
  variance: z.number().positive().default(4),
  /** The fibre: its length (km), loss (dB/km) and excess noise (SNU, referred to its input). */
  distanceKm: z.number().nonnegative().default(10),
  lossDbPerKm: z.number().nonnegative().default(DEFAULT_LOSS_DB_PER_KM),
  excessNoise: z.number().nonnegative().default(0.01),
  /** Only for reproducible tests: the same seed gives the same symbols and noise. */
  seed: z.string().optional(),
  /** The estimation policy: excess noise above it is denied, and the beta of Alice's key-rate check. */
  maxExcessNoise: z.number().nonnegative().default(0.2),
  beta: z.number().gt(0).max(1).default(0.95),
  /** Simulated DSP time in prepareFrame. */
  dspDelayMs: z.number().nonnegative().default(0),
  lockedParameters: z
    .array(z.string().refine(isParameterName, { error: (issue) => `unknown parameter ${String(issue.input)}` }))
    .default(['qi.emitter.serial_number']),
  serialNumber: z.string().min(1).default('QOSST/0001'),
});

export type SimulatedAliceOptions = z.input<typeof optionsSchema>;

export interface EmitterState {
  /** The quantum signal is on. */
  emitting: boolean;
  /** The classical polarisation-recovery signal is on. */
  classicalSignal: boolean;
  /** The id of the session that holds the quantum emission. */
  emittingSession: string | null;
  /** The id of the session that holds the classical signal. */
  signalSession: string | null;
  framesPrepared: number;
  /** Final key bits of every privacy amplification so far. */
  keyBits: number;
  emissionsStarted: number;
  classicalSignalsStarted: number;
}

export interface SimulatedAlice extends AliceBackend {
  /** A snapshot of the shared emitter. */
  readonly emitter: Readonly<EmitterState>;
  /** The fibre between the emitter and Bob. */
  readonly fibre: FibreDescription;
  /** The current value of a parameter, `undefined` if there is no such parameter. */
  parameter(name: string): ParameterValue | undefined;
  openSession(info: SessionInfo): SimulatedAliceSession;
  /** One of the last frames prepared, by UUID (kept after the frame ends, for reconciliation checks and tests). */
  frame(frameUuid: string): Readonly<AliceFrame> | null;
}

/** Frames `frame(uuid)` still finds. */
const RECENT_FRAMES = 8;

/** A frame's data as Alice holds it (for reconciliation and tests). */
export interface AliceFrame {
  uuid: string;
  /** Her symbols, SNU, per quadrature variance Va. */
  real: Float64Array;
  imag: Float64Array;
  /** Indices sent for parameter estimation: they are not part of the key. */
  revealed: Set<number>;
  /** What Bob sent in PE_FINISHED: her channel model for decoding. */
  estimation?: ContentOf<'PE_FINISHED'>;
  /** The code EC_INITIALIZATION named (absent for the specification's `{matrix, noise}`, which distils nothing). */
  reconciliation?: AliceReconciliation;
  /** Her corrected blocks, equal to Bob's bits: the reconciled key in order. */
  corrected: Uint8Array[];
  /** After privacy amplification: whole bytes of the final key. */
  finalKey?: Uint8Array;
  photonNumber?: number;
}

interface AliceReconciliation {
  codeId: string;
  n: number;
  dimension: Dimension;
  model: LinearGaussianModel;
  /** Her kept reals (src/postprocessing/kept-reals.ts), Bob's order. */
  reals: Float64Array;
  /** The index of the next EC_BLOCK. */
  next: number;
}

/** A tiny subblock_length would cost one FFT per few key bits: below this many bits it is raised (the result is the same). */
const MIN_SUBBLOCK_BITS = 4096;

function concatenate(blocks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export interface SimulatedAliceSession extends AliceSessionBackend {
  /** The frame in progress, or null. */
  currentFrame(): Readonly<AliceFrame> | null;
}

const show = (value: unknown) => quoteValue(value, pyStringify);

/** <n> = (Var x + Var p) / 4 in SNU (vacuum variance 1; Laudenbach et al. 2018, section 2.1). */
function meanPhotonNumber(real: Float64Array, imag: Float64Array): number {
  return (variance(real) + variance(imag)) / 4;
}

function variance(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  return squares / xs.length;
}

const sameUuid = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The simulated emitter answers at once (the cheap path of the session
 * machine's effects); a failure is still a rejected promise, never a throw,
 * as a real backend's asynchronous failure would be.
 */
function settled<T>(answer: () => Awaitable<T>): Awaitable<T> {
  try {
    return answer();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** One EC block to correct, in buffers a worker thread can take over (src/alice/offload-tasks.ts). */
export interface BlockToCorrect {
  codeId: string;
  dimension: Dimension;
  /** Her reals for the block. */
  x: Float64Array;
  syndrome: Uint8Array;
  sideInformation: Float64Array;
  model: LinearGaussianModel;
}

/** Privacy amplification's hash of the reconciled key (src/postprocessing/toeplitz.ts), in buffers a thread can take over. */
export interface KeyToHash {
  key: Uint8Array;
  diagonal: Uint8Array;
  outputLength: number;
  subblockLength: number;
}

/** A frame's symbols to draw, from where they start in the emitter's stream (the same numbers as drawn in place). */
export interface SymbolsToDraw {
  /** The real quadratures' start; the imaginary ones follow. */
  stream: StreamPosition;
  count: number;
  /** Va, SNU. */
  variance: number;
}

/** A frame's light to make: copies of its symbols a thread can take over, and where the fibre's noise starts in the stream. */
export interface LightToMake {
  frameUuid: string;
  /** Copies of the frame's symbols: the light is written over them. */
  real: Float64Array;
  imag: Float64Array;
  fibre: FibreDescription;
  /** Where the fibre's noise starts in the emitter's stream. */
  stream: StreamPosition;
}

/**
 * Where the heavy work runs (Alice's worker threads): each may refuse or
 * fail, and the block is then an EC_BLOCK_ERROR, the amplification a
 * PA_ERROR, the QIE_REQUEST or QIE_TRIGGER the session's failure answer.
 */
export interface Offload {
  /** About 0.5 s for a block of 2^16 bits. */
  correctBlock(block: BlockToCorrect): Promise<AliceBlock>;
  /** About 0.3 s for five such blocks. */
  hashKey(key: KeyToHash): Promise<Uint8Array>;
  /** About 0.5 s for a million symbols. */
  drawSymbols(symbols: SymbolsToDraw): Promise<{ real: Float64Array; imag: Float64Array }>;
  /** About 0.5 s for a million symbols. */
  propagate(light: LightToMake): Promise<Light>;
}

/**
 * `fibre`: where the emitted light goes; without one it is lost (nobody is
 * listening). `offload`: where frames and their light are made, EC blocks
 * decoded and the key hashed; on the event loop without one.
 */
export function createSimulatedAlice(options: SimulatedAliceOptions = {}, fibre?: FibreInput, offload?: Offload): SimulatedAlice {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`Invalid simulated Alice options: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const locked = new Set<string>(config.lockedParameters);
  // Alice's symbols and the fibre's noise: separate streams of one seed (src/sim/gaussian-source.ts).
  const random = createRandomSource('alice', config.seed);
  const channel = createRandomSource('fibre', config.seed);
  const link = describeFibre({ distanceKm: config.distanceKm, lossDbPerKm: config.lossDbPerKm, excessNoise: config.excessNoise });
  fibre?.announce(link);

  const store = new Map<ParameterName, ParameterValue>([
    ['qi.frame.roll_off', 0.5],
    ['qi.frame.num_symbols', config.symbols],
    ['qi.frame.variance', config.variance],
    ['qi.frame.symbol_rate', 100e6],
    ['qi.frame.frequency_shift', 100e6],
    ['qi.frame.pilots.num_pilots', 2],
    ['qi.frame.pilots.frequencies', [200e6, 220e6]],
    ['qi.frame.pilots.amplitudes', [0.4, 0.4]],
    ['qi.emitter.serial_number', config.serialNumber],
  ]);
  const current = (name: ParameterName) => store.get(name) as ParameterValue;

  // Ownership is by session object, not by id, so two sessions with the same id cannot release each other's emission.
  let emissionOwner: Session | null = null;
  let signalOwner: Session | null = null;
  const counters = { framesPrepared: 0, keyBits: 0, emissionsStarted: 0, classicalSignalsStarted: 0 };
  let closed = false;
  const recent: AliceFrame[] = [];

  function checkOpen(): void {
    if (closed) throw new Error('The emitter is closed.');
  }

  class Session implements SimulatedAliceSession {
    /** The UUID of the frame whose initialization was accepted. */
    private initialized: string | null = null;
    private frame: AliceFrame | null = null;
    /** Counts frame preparations and discards: a frame drawn off the event loop is kept only if nothing came after it. */
    private preparing = 0;

    constructor(readonly id: string) {}

    currentFrame(): Readonly<AliceFrame> | null {
      return this.frame;
    }

    private requireFrame(): AliceFrame {
      if (this.frame === null) throw new Error('No frame has been prepared.');
      return this.frame;
    }

    initialize(request: ContentOf<'INITIALIZATION_REQUEST'>): Awaitable<InitializationDecision> {
      return settled(() => {
        this.initialized = null;
        let proposal: string | null = null;
        for (const [key, value] of Object.entries(request)) {
          if (key === 'frame_uuid') continue;
          const name = isParameterName(key) ? key : ALIASES.get(key);
          if (name === undefined) {
            proposal ??= `Unknown parameter ${key}; ask for the configuration.`;
            continue;
          }
          const definition: ParameterDefinition = PARAMETERS[name];
          // A value Alice could never use is denied outright, before any mismatch.
          if (!definition.schema.safeParse(value).success) {
            return { outcome: 'denied', message: `Invalid value ${show(value)} for ${key}: expected ${definition.expected}.` };
          }
          if (show(value) !== show(current(name))) proposal ??= `${key} is ${show(current(name))} here; ask for the configuration.`;
        }
        if (proposal !== null) return { outcome: 'proposal', message: proposal };
        this.initialized = request.frame_uuid;
        return { outcome: 'accepted' };
      });
    }

    proposeConfig(): Awaitable<JsonObject> {
      return settled(() => {
        return {
          frame: {
            quantum: {
              num_symbols: current('qi.frame.num_symbols'),
              roll_off: current('qi.frame.roll_off'),
              variance: current('qi.frame.variance'),
            },
          },
        };
      });
    }

    /** Also for a QIE repeated in the frame (wire notes 19): fresh symbols, nothing revealed, estimation anew. */
    async prepareFrame(frameUuid: string): Promise<void> {
      checkOpen();
      if (this.initialized === null || !sameUuid(this.initialized, frameUuid)) {
        throw new Error(`Frame ${frameUuid} was not initialized.`);
      }
      if (config.dspDelayMs > 0) await sleep(config.dspDelayMs);
      const count = current('qi.frame.num_symbols') as number;
      const va = current('qi.frame.variance') as number;
      let symbols: { real: Float64Array; imag: Float64Array };
      if (offload === undefined) symbols = { real: random.normals(count, va), imag: random.normals(count, va) };
      else {
        // The stream moves on now, so that frames and light draw the same numbers as in place, whichever thread finishes first.
        const stream = random.skipNormals(count);
        random.skipNormals(count);
        const preparing = ++this.preparing;
        try {
          symbols = await offload.drawSymbols({ stream, count, variance: va });
        } catch (error) {
          throw new Error(`The frame's symbols were not drawn: ${(error as Error).message}.`);
        }
        checkOpen();
        // Discarded, or prepared again, while the thread worked.
        if (preparing !== this.preparing) throw new Error(`Frame ${frameUuid} was discarded while it was being prepared.`);
      }
      this.frame = { uuid: frameUuid, ...symbols, revealed: new Set(), corrected: [] };
      recent.push(this.frame);
      if (recent.length > RECENT_FRAMES) recent.shift();
      counters.framesPrepared++;
    }

    startEmission(): Awaitable<void> {
      return settled((): Awaitable<void> => {
        checkOpen();
        const frame = this.frame;
        if (frame === null) throw new Error('Cannot start the emission: no frame has been prepared.');
        if (emissionOwner !== null && emissionOwner !== this) {
          throw new Error(`Cannot start the emission: the emitter is in use by session ${emissionOwner.id}.`);
        }
        emissionOwner = this;
        counters.emissionsStarted++;
        if (offload === undefined) {
          fibre?.send(propagate(frame.uuid, frame, link, channel));
          return;
        }
        const stream = channel.skipNormals(frame.real.length);
        channel.skipNormals(frame.imag.length);
        // Copies the thread takes over: the frame keeps its own symbols.
        return offload.propagate({ frameUuid: frame.uuid, real: frame.real.slice(), imag: frame.imag.slice(), fibre: link, stream }).then(
          (light) => {
            // Discarded while the thread worked: that frame's light is no longer emitted.
            if (this.frame === frame && emissionOwner === this) fibre?.send(light);
          },
          (error: unknown) => {
            if (emissionOwner === this) emissionOwner = null;
            throw new Error(`Cannot start the emission: the light was not made: ${(error as Error).message}.`);
          },
        );
      });
    }

    stopEmission(): Awaitable<void> {
      return settled(() => {
        if (this.frame === null) throw new Error('Cannot stop the emission: no frame has been prepared.');
        if (emissionOwner === this) emissionOwner = null;
      });
    }

    symbols(indices: readonly number[]): Awaitable<SymbolsResult> {
      return settled(() => {
        const { real, imag, revealed } = this.requireFrame();
        if (indices.length > real.length) return { ok: false, message: `${indices.length} indices for a frame of ${real.length} symbols.` };
        const bad = indices.find((i) => !(i >= 0 && i < real.length && Number.isInteger(i)));
        if (bad !== undefined) return { ok: false, message: `Indice ${bad} is out of bound for array of size ${real.length}.` };
        for (const i of indices) revealed.add(i);
        return { ok: true, real: indices.map((i) => real[i] as number), imag: indices.map((i) => imag[i] as number) };
      });
    }

    photonNumber(): Awaitable<number> {
      return settled(() => {
        const frame = this.requireFrame();
        frame.photonNumber ??= meanPhotonNumber(frame.real, frame.imag);
        return frame.photonNumber;
      });
    }

    approveEstimation(estimation: ContentOf<'PE_FINISHED'>): Awaitable<Verdict> {
      return settled(() => {
        if (this.frame !== null) this.frame.estimation = estimation;
        return reviewEstimation(estimation, {
          modulationVariance: current('qi.frame.variance') as number,
          beta: config.beta,
          maxExcessNoise: config.maxExcessNoise,
        });
      });
    }

    /** The specification's `{matrix, noise}` is checked for sense and distils nothing; a `code_id` starts real reconciliation. */
    ecInitialize(parameters: ContentOf<'EC_INITIALIZATION'>): Awaitable<Verdict> {
      return settled(() => {
        const frame = this.requireFrame();
        frame.reconciliation = undefined;
        frame.corrected = [];
        const { matrix, noise, code_id: codeId, block_length: blockLength, rate, dimension } = parameters;
        if (codeId === undefined) {
          const width = matrix?.[0]?.length ?? 0;
          if (width === 0 || matrix!.some((row) => row.length !== width)) return { ok: false, message: 'Matrix is not valid.' };
          if (noise < 0) return { ok: false, message: `Noise ${show(noise)} is negative.` };
          return { ok: true };
        }
        const parsed = parseCodeId(codeId);
        if ('error' in parsed) return { ok: false, message: `Unknown code: ${parsed.error}.` };
        if (dimension === undefined) return { ok: false, message: 'A code_id needs its dimension (1, 2, 4 or 8).' };
        if (blockLength !== undefined && blockLength !== parsed.n) return { ok: false, message: `block_length ${blockLength} is not the length ${parsed.n} of ${codeId}.` };
        if (parsed.n % dimension !== 0) return { ok: false, message: `Block length ${parsed.n} is not a multiple of the dimension ${dimension}.` };
        const code = buildCode(codeId);
        // The identifier names the rate in thousandths; the matrix's exact rate may differ below that.
        if (rate !== undefined && Math.abs(rate - code.rate) > 5e-4) return { ok: false, message: `rate ${show(rate)} is not the rate ${code.rate} of ${codeId}.` };
        const pe = frame.estimation;
        if (pe?.eta === undefined || pe.electronic_noise === undefined) {
          return { ok: false, message: 'Reconciliation needs eta and electronic_noise in PE_FINISHED to model the channel.' };
        }
        let model: LinearGaussianModel;
        try {
          model = channelModel({ transmittance: pe.transmittance, excessNoise: pe.excess_noise, electronicNoise: pe.electronic_noise, eta: pe.eta });
        } catch (error) {
          return { ok: false, message: `Cannot model the channel: ${(error as Error).message}.` };
        }
        frame.reconciliation = { codeId, n: parsed.n, dimension, model, reals: keptReals(frame.real, frame.imag, frame.revealed), next: 0 };
        return { ok: true };
      });
    }

    /**
     * With a code: block k is her kept reals k·n .. (k+1)·n - 1, decoded
     * toward Bob's bits; an uncorrected block is an error and is dropped
     * (Bob drops it too). Without one (the specification's example) a
     * block is acknowledged and adds nothing.
     */
    ecBlock({ syndrome, side_information: sideInformation }: ContentOf<'EC_BLOCK'>): Awaitable<Verdict> {
      return settled((): Awaitable<Verdict> => {
        if (syndrome.length === 0) return { ok: false, message: 'Wrong syndrome length.' };
        const frame = this.requireFrame();
        const r = frame.reconciliation;
        if (r === undefined) return { ok: true };
        const index = r.next++;
        const start = index * r.n;
        if (start + r.n > r.reals.length) return { ok: false, message: `Block ${index} is beyond the frame's ${Math.floor(r.reals.length / r.n)} blocks.` };
        if (sideInformation === undefined) return { ok: false, message: 'A block of a code needs its side_information.' };
        if (!syndrome.every((b) => b === 0 || b === 1)) return { ok: false, message: 'The syndrome must be bits.' };
        if (!sideInformation.every(Number.isFinite)) return { ok: false, message: 'The side information must be finite numbers.' };
        const block = { codeId: r.codeId, dimension: r.dimension, syndrome: Uint8Array.from(syndrome), model: r.model };
        const done = (result: AliceBlock): Verdict => {
          // The frame may have been discarded or reconciled anew while a thread worked.
          if (frame.reconciliation !== r) return { ok: false, message: 'The reconciliation was restarted.' };
          if (!result.ok) return { ok: false, message: result.error };
          frame.corrected.push(result.bits);
          return { ok: true };
        };
        if (offload === undefined) return done(aliceBlock(block.codeId, block.dimension, r.reals.subarray(start, start + r.n), { syndrome: block.syndrome, sideInformation }, r.model));
        // Copies the thread takes over: the frame keeps its own reals.
        return offload.correctBlock({ ...block, x: r.reals.slice(start, start + r.n), sideInformation: Float64Array.from(sideInformation) }).then(done, (error: unknown): Verdict => ({
          ok: false,
          message: `Block ${index} not corrected: ${(error as Error).message}.`,
        }));
      });
    }

    ecRemaining(): Awaitable<Verdict> {
      return settled(() => {
        return { ok: true };
      });
    }

    ecVerify(hash: bigint | number): Awaitable<Verdict> {
      return settled(() => {
        const { corrected } = this.requireFrame();
        return BigInt(hash) === verificationHash(concatenate(corrected)) ? { ok: true } : { ok: false, message: 'Keys are not equal.' };
      });
    }

    privacyAmplification(parameters: ContentOf<'PA_REQUEST'>): Awaitable<Verdict> {
      return settled((): Awaitable<Verdict> => {
        const frame = this.requireFrame();
        if (frame.reconciliation === undefined) return this.checkExamplePrivacyAmplification(parameters);
        const key = concatenate(frame.corrected);
        const n = key.length;
        const m = finalKeyLength(parameters, n);
        if (n === 0) return { ok: false, message: 'No reconciled bit to amplify.' };
        if (m > n) return { ok: false, message: `Secret key length ${m} exceeds the ${n} reconciled bits.` };
        if (m < 1) return { ok: false, message: `The secret key ratio leaves no key bit of the ${n} reconciled bits.` };
        let diagonal: Uint8Array;
        try {
          diagonal = toeplitzDiagonal(parameters.seed, 'feedback_polynomial' in parameters ? parameters.feedback_polynomial : [], n + m - 1);
        } catch (error) {
          return { ok: false, message: `Invalid seed: ${(error as Error).message}.` };
        }
        const subblock = 'subblock_length' in parameters ? Math.max(Math.min(parameters.subblock_length, n), Math.min(n, MIN_SUBBLOCK_BITS)) : n;
        const done = (bits: Uint8Array): Verdict => {
          frame.finalKey = packBits(bits.subarray(0, m - (m % 8)));
          counters.keyBits += m;
          return { ok: true };
        };
        if (offload === undefined) return done(toeplitzHash(key, diagonal, m, subblock));
        return offload.hashKey({ key, diagonal, outputLength: m, subblockLength: subblock }).then(done, (error: unknown): Verdict => ({
          ok: false,
          message: `Privacy amplification not done: ${(error as Error).message}.`,
        }));
      });
    }

    /** The specification's example (no code): checked for sense against the frame's kept symbols; no key is distilled. */
    private checkExamplePrivacyAmplification(parameters: ContentOf<'PA_REQUEST'>): Verdict {
      const { real, revealed } = this.requireFrame();
      if ('feedback_polynomial' in parameters && parameters.feedback_polynomial.length !== parameters.subblock_length) {
        return { ok: false, message: 'Invalid value for the feedback polynomial.' };
      }
      // Revealed indices were all checked to be in range, so this is the number of kept symbols.
      const available = real.length - revealed.size;
      const length = finalKeyLength(parameters, available);
      if (length > available) return { ok: false, message: `Secret key length ${length} exceeds the ${available} key bits.` };
      if (length < 1) return { ok: false, message: `The secret key ratio leaves no key bit of the ${available} reconciled bits.` };
      return { ok: true };
    }

    finalKey(frameUuid: string): Awaitable<Uint8Array | null> {
      return settled(() => {
        return [...recent].reverse().find((f) => sameUuid(f.uuid, frameUuid))?.finalKey ?? null;
      });
    }

    endFrame(frameUuid: string): Awaitable<void> {
      return settled(() => {
        if (this.frame !== null && !sameUuid(this.frame.uuid, frameUuid)) {
          throw new Error(`Frame ${frameUuid} is not the current frame ${this.frame.uuid}.`);
        }
        this.discardFrame();
        this.initialized = null;
      });
    }

    changeParameter(parameter: string, value: unknown): Awaitable<ParameterChange> {
      return settled(() => {
        if (!isParameterName(parameter)) return { outcome: 'unknown' };
        const oldValue = current(parameter);
        const definition: ParameterDefinition = PARAMETERS[parameter];
        const checked = definition.schema.safeParse(value);
        if (!checked.success) {
          return { outcome: 'invalid', oldValue, message: `Invalid value ${show(value)} for ${parameter}: expected ${definition.expected}.` };
        }
        // The specification puts policy after validity: UNCHANGED is for a valid value that is refused.
        if (locked.has(parameter)) return { outcome: 'unchanged', oldValue, message: `${parameter} is locked by policy.` };
        store.set(parameter, checked.data);
        return { outcome: 'changed', oldValue, newValue: checked.data };
      });
    }

    startPolarisationSignal(): Awaitable<void> {
      return settled(() => {
        checkOpen();
        if (signalOwner !== null && signalOwner !== this) {
          throw new Error(`Cannot start the classical signal: it is in use by session ${signalOwner.id}.`);
        }
        signalOwner = this;
        counters.classicalSignalsStarted++;
      });
    }

    stopPolarisationSignal(): Awaitable<void> {
      return settled(() => {
        if (signalOwner === this) signalOwner = null;
      });
    }

    /** Keeps the accepted initialization: the machine may discard the previous frame after accepting a new one. */
    discardFrame(): Awaitable<void> {
      return settled(() => {
        if (emissionOwner === this) emissionOwner = null;
        if (signalOwner === this) signalOwner = null;
        this.frame = null;
        this.preparing++;
      });
    }
  }

  return {
    deployedParameters: SIM_DEPLOYED_PARAMETERS,
    fibre: link,
    get emitter(): Readonly<EmitterState> {
      return Object.freeze({
        emitting: emissionOwner !== null,
        classicalSignal: signalOwner !== null,
        emittingSession: emissionOwner?.id ?? null,
        signalSession: signalOwner?.id ?? null,
        ...counters,
      });
    },
    parameter(name: string): ParameterValue | undefined {
      return isParameterName(name) ? current(name) : undefined;
    },
    frame(frameUuid: string): Readonly<AliceFrame> | null {
      return [...recent].reverse().find((f) => sameUuid(f.uuid, frameUuid)) ?? null;
    },
    openSession(info: SessionInfo): SimulatedAliceSession {
      checkOpen();
      return new Session(info.id);
    },
    async close(): Promise<void> {
      closed = true;
      emissionOwner = null;
      signalOwner = null;
    },
  };
}
