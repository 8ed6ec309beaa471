/** Bob's session: built from the very layout of Alice's, so both always agree on what may follow what. */
import { SESSION_LAYOUT } from './alice-session.ts';
import { buildBobMachine } from './bob.ts';

export const bobSessionMachine = buildBobMachine(SESSION_LAYOUT);
