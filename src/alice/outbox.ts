/**
 * Answers go out at the end of the event-loop turn that made them, every
 * connection's together, instead of one socket write in the middle of the
 * turn's work each.
 *
 * Why: on loopback, a write to a client that sleeps waiting for it wakes
 * that client from inside the write (the kernel's wake-up, an inter-processor
 * interrupt on a virtual machine): under many clients, that was the largest
 * single cost of an answer (a fifth of the daemon's CPU). Written in a burst
 * after the turn's requests are all answered, the first write wakes the
 * client process and the others find it running. The answer waits for the
 * rest of the turn's work (the requests already read), never for new input:
 * `setImmediate` runs right after the poll phase that read them.
 */
export interface OutboxMember {
  /** Writes what this member holds; called once per turn it added itself in. */
  flushAnswers(): void;
}

export class Outbox {
  private due: OutboxMember[] = [];
  private scheduled = false;

  /** `member` holds answers for the end of this turn (add it once per turn: when its first answer is held). */
  add(member: OutboxMember): void {
    this.due.push(member);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const due = this.due;
    this.due = [];
    for (const member of due) member.flushAnswers();
  };
}
