/**
 * A lockfile for a consumer project made from ours: the packages a tarball
 * of this project needs at run time (and any extra ones named), at the
 * versions, places and integrities our own `npm ci` installed. With it,
 * `npm ci --offline` in the consumer needs nothing but npm's cache.
 */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires: boolean;
  packages: Record<string, LockEntry>;
}

export interface PackedPackage {
  name: string;
  version: string;
  /** The tarball's file name, relative to the consumer project. */
  file: string;
  integrity: string;
  dependencies: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
}

/** Where Node would find `name` from the package installed at `from` ('' is the project root). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

export function consumerLockfile(ours: Lockfile, consumer: string, packed: PackedPackage, extra: readonly string[]): Lockfile {
  const packages: Record<string, LockEntry> = {};
  const pending: Array<{ from: string; name: string; optional: boolean }> = [
    ...Object.keys(packed.dependencies).map((name) => ({ from: '', name, optional: false })),
    ...extra.map((name) => ({ from: '', name, optional: false })),
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const path = locate(ours.packages, next.from, next.name);
    if (path === undefined) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed from ${next.from || 'the root'}) is not in our package-lock.json`);
    }
    if (packages[path]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = ours.packages[path] as LockEntry;
    packages[path] = entry;
    const peersOptional = entry.peerDependenciesMeta ?? {};
    for (const name of Object.keys(entry.dependencies ?? {})) pending.push({ from: path, name, optional: false });
    for (const name of Object.keys(entry.optionalDependencies ?? {})) pending.push({ from: path, name, optional: true });
    for (const name of Object.keys(entry.peerDependencies ?? {})) pending.push({ from: path, name, optional: peersOptional[name]?.optional === true });
  }
  const extraSpecs = Object.fromEntries(extra.map((name) => [name, (packages[`node_modules/${name}`] as LockEntry).version as string]));
  return {
    name: consumer,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: consumer, version: '1.0.0', dependencies: { [packed.name]: `file:${packed.file}`, ...extraSpecs } },
      [`node_modules/${packed.name}`]: {
        version: packed.version,
        resolved: `file:${packed.file}`,
        integrity: packed.integrity,
        dependencies: packed.dependencies,
        ...(packed.bin ? { bin: packed.bin } : {}),
        ...(packed.engines ? { engines: packed.engines } : {}),
      },
      ...packages,
    },
  };
}
