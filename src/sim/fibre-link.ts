/**
 * The two ends of the simulated fibre: Alice's emitter sends light into it,
 * Bob's detector receives it. The light carries its frame's UUID, standing
 * in for the frame synchronisation a real receiver's DSP does. In one
 * process the fibre is an in-memory channel (`memoryFibre`); across
 * processes, a local TCP stream (src/sim/fibre-tcp.ts) behind the same
 * interfaces.
 */
/** What the fibre is, as its spool's label would say: announced to the receiver for display only. */
export interface FibreDescription {
  distanceKm: number;
  lossDbPerKm: number;
  transmittance: number;
  /** xi, SNU, referred to the fibre's input. */
  excessNoise: number;
}

/** Quadratures at the fibre's output, SNU. */
export interface Light {
  frameUuid: string;
  real: Float64Array;
  imag: Float64Array;
}

export interface FibreInput {
  /** Sends a frame's light; it is lost if no receiver is listening. */
  send(light: Light): void;
  /** Labels the fibre (sent to receivers that connect later too). */
  announce(description: FibreDescription): void;
}

export interface FibreOutput {
  /** The light of that frame, waiting up to `timeoutMs` for it. */
  receive(frameUuid: string, timeoutMs: number): Promise<Light>;
  /** The fibre's label, for display only: the estimation never reads it. */
  readonly description: FibreDescription | null;
  close(): Promise<void>;
}

/** Frames of light kept for a receiver that has not asked yet: older ones are dropped. */
export const KEPT_FRAMES = 4;

/** Holds received light until it is asked for; shared by both transports. */
export class LightBuffer {
  private readonly lights: Light[] = [];
  private readonly waiters = new Map<string, { resolve: (light: Light) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  put(light: Light): void {
    const key = light.frameUuid.toLowerCase();
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      waiter.resolve(light);
      return;
    }
    this.lights.push(light);
    if (this.lights.length > KEPT_FRAMES) this.lights.shift();
  }

  take(frameUuid: string, timeoutMs: number): Promise<Light> {
    const key = frameUuid.toLowerCase();
    const index = this.lights.findIndex((l) => l.frameUuid.toLowerCase() === key);
    if (index >= 0) return Promise.resolve(this.lights.splice(index, 1)[0]!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no light for frame ${frameUuid} on the fibre within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        resolve: (light) => {
          clearTimeout(timer);
          resolve(light);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** The fibre is gone: every wait and every later one fails with this error. */
  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}

/** A fibre inside one process: what is sent is received by `output`. */
export function memoryFibre(): { input: FibreInput; output: FibreOutput } {
  const buffer = new LightBuffer();
  let description: FibreDescription | null = null;
  return {
    input: {
      send: (light) => buffer.put(light),
      announce: (d) => {
        description = d;
      },
    },
    output: {
      receive: (frameUuid, timeoutMs) => buffer.take(frameUuid, timeoutMs),
      get description() {
        return description;
      },
      close: async () => buffer.fail(new Error('the fibre is closed')),
    },
  };
}
