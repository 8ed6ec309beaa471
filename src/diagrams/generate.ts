/**
 * Every diagram of the protocol, generated from the machine definitions:
 * file name -> content, for `diagrams/` (see src/cli/diagrams.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { aliceSessionMachine } from '../../machines/alice-session.ts';
import { bobSessionMachine } from '../../machines/bob-session.ts';
import { endOfCommunication, endOfCommunicationMachine } from '../../machines/end-of-communication.ts';
import { endOfFrame, endOfFrameMachine } from '../../machines/end-of-frame.ts';
import { errorCorrection, errorCorrectionMachine } from '../../machines/error-correction.ts';
import { generic, genericMachine } from '../../machines/generic.ts';
import { identification, identificationMachine } from '../../machines/identification.ts';
import { initialization, initializationMachine } from '../../machines/initialization.ts';
import { parameterChange, parameterChangeMachine } from '../../machines/parameter-change.ts';
import { parameterEstimation, parameterEstimationMachine } from '../../machines/parameter-estimation.ts';
import type { PhaseDef } from '../../machines/phase.ts';
import { polarisationRecovery, polarisationRecoveryMachine } from '../../machines/polarisation-recovery.ts';
import { privacyAmplification, privacyAmplificationMachine } from '../../machines/privacy-amplification.ts';
import { quantumInformationExchange, quantumInformationExchangeMachine } from '../../machines/quantum-information-exchange.ts';
import { sequenceDiagram, stateDiagram } from './mermaid.ts';

/** The phases in the order of a session, then those accepted between frames or at any time. */
export const PHASE_DIAGRAMS: readonly { readonly phase: PhaseDef; readonly machine: AnyStateMachine }[] = [
  { phase: identification, machine: identificationMachine },
  { phase: initialization, machine: initializationMachine },
  { phase: quantumInformationExchange, machine: quantumInformationExchangeMachine },
  { phase: parameterEstimation, machine: parameterEstimationMachine },
  { phase: errorCorrection, machine: errorCorrectionMachine },
  { phase: privacyAmplification, machine: privacyAmplificationMachine },
  { phase: endOfFrame, machine: endOfFrameMachine },
  { phase: polarisationRecovery, machine: polarisationRecoveryMachine },
  { phase: parameterChange, machine: parameterChangeMachine },
  { phase: endOfCommunication, machine: endOfCommunicationMachine },
  { phase: generic, machine: genericMachine },
];

export interface SessionDiagram {
  /** File name without extension. */
  readonly name: string;
  readonly title: string;
  /** One line for the index. */
  readonly caption: string;
  readonly machine: AnyStateMachine;
}

/** The session machines: one line each. */
export const SESSION_DIAGRAMS: readonly SessionDiagram[] = [
  {
    name: 'alice-session',
    title: "Alice's session",
    caption: "Alice's whole statechart: the phases as stages, the requests she accepts in each state and in any state, her answers and where they lead.",
    machine: aliceSessionMachine,
  },
  {
    name: 'bob-session',
    title: "Bob's session",
    caption: "Bob's whole statechart, built from the same layout: the requests he may send in each state, the answers he accepts and where they lead.",
    machine: bobSessionMachine,
  },
];

interface Entry {
  readonly file: string;
  readonly content: string;
  /** The README section the diagram goes in. */
  readonly section: string;
  readonly caption: string;
}

function entries(): Entry[] {
  const list: Entry[] = [];
  for (const s of SESSION_DIAGRAMS) {
    list.push({
      file: `${s.name}.state.mmd`,
      content: stateDiagram(s.machine, { descriptions: false }),
      section: s.title,
      caption: s.caption,
    });
  }
  for (const { phase, machine } of PHASE_DIAGRAMS) {
    list.push({
      file: `${phase.id}.sequence.mmd`,
      content: sequenceDiagram(phase, { anyRequest: phase === generic }),
      section: phase.title,
      caption:
        phase === generic
          ? "Sequence: Bob's generic requests, then the answers Alice may give to any request."
          : "Sequence: each request of Bob, and Alice's answers with when she gives them.",
    });
    list.push({
      file: `${phase.id}.state.mmd`,
      content: stateDiagram(machine),
      section: phase.title,
      caption: "Alice's statechart of the phase alone: its waiting states, requests / answers [when], the catch-all and failure handling.",
    });
  }
  return list;
}

function readme(list: readonly Entry[]): string {
  const out = [
    '# Diagrams of the control protocol',
    '',
    'Generated from the machine definitions (`machines/*.ts`) by `npm run diagrams`: do not edit.',
    '`npm run diagrams -- --check` (and `test/diagrams.test.ts`) fail when these files are out of date.',
    '',
    'State diagrams label a transition `REQUEST / ANSWER [when]`: the request Bob sends, the answer Alice gives and',
    'when she gives it. `(from …)` and `→ …` name the inner states an edge between composite states leaves or enters.',
    'The *any state* pseudo state stands for every state of the machine; its note lists what leaves the state unchanged.',
    '',
  ];
  let section = '';
  for (const e of list) {
    if (e.section !== section) out.push(`## ${(section = e.section)}`, '');
    out.push(`[\`${e.file}\`](${e.file}) — ${e.caption}`, '', '```mermaid', e.content.trimEnd(), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Every diagram, by file name (sorted), with `README.md`, the index embedding them all. */
export function generateDiagrams(): Map<string, string> {
  const list = entries();
  const files = new Map<string, string>(list.map((e) => [e.file, e.content]));
  files.set('README.md', readme(list));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The files of `dir` that differ from `files`: missing or different ones, and
 * `.mmd` files no longer generated. Sorted; empty when `dir` is up to date.
 */
export function diagramDifferences(dir: string, files: ReadonlyMap<string, string> = generateDiagrams()): string[] {
  const present = existsSync(dir) ? readdirSync(dir) : [];
  const differ = [...files].filter(([name, content]) => {
    const path = join(dir, name);
    return !existsSync(path) || readFileSync(path, 'utf8') !== content;
  });
  const stale = present.filter((name) => name.endsWith('.mmd') && !files.has(name));
  return [...differ.map(([name]) => name), ...stale].sort();
}
