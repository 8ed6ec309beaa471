/**
 * Parameter names of the deployed configuration (wire notes 20): the
 * deployed lab tools send CHANGE_PARAMETER_REQUEST with the paths of the
 * deployed QOSST configuration file (`frame.quantum.variance`,
 * `frame.pilots.frequencies`, ...) in that file's units, where the
 * specification's examples name `qi.frame.*`. A backend that knows them
 * declares a table (`AliceBackend.deployedParameters`): which of its own
 * parameters each path is, and the factor between the two units. Bob's
 * answers name the parameter as he sent it, with values in his units.
 */
import type { AliceBackend, AliceSessionBackend, ParameterChange } from './backend.ts';

export interface DeployedParameter {
  /** The backend's own name for it (the specification's namespace). */
  readonly parameter: string;
  /**
   * Backend value = deployed value × factor, for numbers (and lists of
   * numbers); absent when the units are the same. Each backend documents
   * where its factor comes from (a calibration, for real hardware).
   */
  readonly factor?: number;
  /** The two units, for logs and documentation: `"DAC-range-relative variance -> SNU"`. */
  readonly units?: string;
}

/** Deployed configuration path -> the backend's parameter. */
export type DeployedParameters = Readonly<Record<string, DeployedParameter>>;

/**
 * Products are rounded to 15 significant digits, which every decimal Bob
 * can type keeps exactly: 0.07 × 400 is 28, not 28.000000000000004.
 */
const clean = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(15)) : x);

/** Converts numbers and lists of numbers; anything else is the backend's to refuse, unchanged. */
function convert(value: unknown, factor: number): unknown {
  if (typeof value === 'number') return clean(value * factor);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.map((v: number) => clean(v * factor));
  return value;
}

/** Deployed units -> the backend's. */
export function toBackend(entry: DeployedParameter, value: unknown): unknown {
  return entry.factor === undefined ? value : convert(value, entry.factor);
}

/** The backend's units -> deployed. */
export function toDeployed(entry: DeployedParameter, value: unknown): unknown {
  return entry.factor === undefined ? value : convert(value, 1 / entry.factor);
}

/** The backend's message names its own parameter and units: say how they relate to Bob's. */
function explain(name: string, entry: DeployedParameter, message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const relation = entry.factor === undefined ? entry.parameter : `${entry.parameter} / ${entry.factor}`;
  return `${message} (${name} is ${relation} here${entry.units ? `: ${entry.units}` : ''})`;
}

function answerInDeployedUnits(name: string, entry: DeployedParameter, change: ParameterChange): ParameterChange {
  switch (change.outcome) {
    case 'unknown':
      return change;
    case 'changed':
      return { ...change, oldValue: toDeployed(entry, change.oldValue), newValue: toDeployed(entry, change.newValue) };
    case 'invalid':
    case 'unchanged':
      return { ...change, oldValue: toDeployed(entry, change.oldValue), message: explain(name, entry, change.message) };
  }
}

/** A session backend that also takes the deployed names of `table`; every other call goes through unchanged. */
export function withDeployedNames(session: AliceSessionBackend, table: DeployedParameters): AliceSessionBackend {
  const changeParameter = async (parameter: string, value: unknown): Promise<ParameterChange> => {
    const entry = Object.hasOwn(table, parameter) ? table[parameter] : undefined;
    if (entry === undefined) return session.changeParameter(parameter, value);
    return answerInDeployedUnits(parameter, entry, await session.changeParameter(entry.parameter, toBackend(entry, value)));
  };
  return new Proxy(session, {
    get(target, key) {
      if (key === 'changeParameter') return changeParameter;
      const member = Reflect.get(target, key, target) as unknown;
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

/** The backend with its declared deployed names taken in every session; a backend that declares none is returned as it is. */
export function acceptDeployedNames(backend: AliceBackend): AliceBackend {
  const table = backend.deployedParameters;
  if (table === undefined) return backend;
  return {
    deployedParameters: table,
    openSession: (info) => withDeployedNames(backend.openSession(info), table),
    close: () => backend.close(),
  };
}
