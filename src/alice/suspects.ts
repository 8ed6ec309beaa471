/**
 * The man-in-the-middle defence: authentication failures are counted per
 * address across its connections within a time window. Reaching the
 * threshold refuses the address for a back-off that doubles with each
 * refusal (up to a ceiling) and is forgotten after a quiet period, so that
 * a few forged frames cannot lock a real Bob out for long. Addresses on the
 * allow-list are never refused.
 */
export interface SuspectPolicy {
  /** Failures within the window that mean a man-in-the-middle. */
  maxFailures: number;
  windowMs: number;
  /** The first refusal; each further one doubles. */
  banMs: number;
  banMaxMs: number;
  allowList: readonly string[];
}

export type FailureVerdict =
  | { suspected: false; failures: number }
  /** `banMs` is 0 for an allow-listed address: its connection is closed, the address is not refused. */
  | { suspected: true; failures: number; banMs: number };

interface AddressRecord {
  failures: number[];
  strikes: number;
  bannedUntil: number;
}

/** Addresses remembered at most; the oldest are forgotten first (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 10_000;

export class SuspectList {
  private readonly records = new Map<string, AddressRecord>();
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly policy: SuspectPolicy) {
    this.allowed = new Set(policy.allowList);
  }

  isBanned(address: string, now = Date.now()): boolean {
    const r = this.records.get(address);
    return r !== undefined && now < r.bannedUntil;
  }

  failure(address: string, now = Date.now()): FailureVerdict {
    const r = this.record(address, now);
    r.failures = r.failures.filter((t) => now - t < this.policy.windowMs);
    r.failures.push(now);
    const failures = r.failures.length;
    if (failures < this.policy.maxFailures) return { suspected: false, failures };
    r.failures = [];
    if (this.allowed.has(address)) return { suspected: true, failures, banMs: 0 };
    const banMs = Math.min(this.policy.banMs * 2 ** r.strikes, this.policy.banMaxMs);
    r.strikes++;
    r.bannedUntil = now + banMs;
    return { suspected: true, failures, banMs };
  }

  private record(address: string, now: number): AddressRecord {
    let r = this.records.get(address);
    // A quiet period as long as the longest refusal forgets the back-off.
    if (r !== undefined && r.bannedUntil > 0 && now - r.bannedUntil > this.policy.banMaxMs) r.strikes = 0;
    if (r === undefined) {
      if (this.records.size >= MAX_ADDRESSES) this.records.delete(this.records.keys().next().value!);
      r = { failures: [], strikes: 0, bannedUntil: 0 };
    } else this.records.delete(address);
    // Re-inserted: the map's order is least recently seen first.
    this.records.set(address, r);
    return r;
  }
}
