/**
 * One budget for the incoming bytes every connection holds (frames in
 * progress and frames read ahead). Above it, the connection whose
 * incomplete frame started first is closed, then the next, until the total
 * fits: a slow sender pinning memory goes before a client that is sending.
 */
export interface BudgetMember {
  /** When its incomplete frame's first byte arrived; null between frames. */
  readonly frameStartedAt: number | null;
  /** Closes the connection; the member is already out of the budget. */
  evict(reason: string): void;
}

export class BufferBudget {
  private total = 0;
  private readonly held = new Map<BudgetMember, number>();

  constructor(readonly limit: number) {}

  get used(): number {
    return this.total;
  }

  /** Records what `member` holds now, and evicts members while the total is over the limit. */
  set(member: BudgetMember, bytes: number): void {
    this.total += bytes - (this.held.get(member) ?? 0);
    this.held.set(member, bytes);
    while (this.total > this.limit) this.evictOne();
  }

  remove(member: BudgetMember): void {
    this.total -= this.held.get(member) ?? 0;
    this.held.delete(member);
  }

  private evictOne(): void {
    let victim: BudgetMember | null = null;
    let victimBytes = -1;
    for (const [member, bytes] of this.held) {
      // Oldest incomplete frame first; among members with none, the largest holder.
      const better =
        victim === null ||
        (member.frameStartedAt !== null && (victim.frameStartedAt === null || member.frameStartedAt < victim.frameStartedAt)) ||
        (member.frameStartedAt === null && victim.frameStartedAt === null && bytes > victimBytes);
      if (better) {
        victim = member;
        victimBytes = bytes;
      }
    }
    if (victim === null) return;
    this.remove(victim);
    victim.evict(`the daemon's buffer budget of ${this.limit} bytes is exhausted (max_buffered_bytes); this connection held ${victimBytes} bytes`);
  }
}
