/**
 * A small stand-in Alice for probe tests: a raw TCP server on our codec
 * (`Channel('alice', none)` + `FrameDecoder`) that answers every request
 * the way the specification allows, with no state checks, except where an
 * override says otherwise. It records every message it receives.
 */
import { Code, type MessageName } from '../../src/protocol/codes.ts';
import { startScriptedAlice } from './scripted-alice.ts';

export type Content = Record<string, unknown> | null;

/** What to do instead of the right answer: another message, nothing at all, or close the socket. */
export type Override = { answer: MessageName; content?: Content } | 'close' | 'silent';

/** Called for each request; `count` is how many of that name were received, this one included. */
export type OverrideFn = (request: MessageName, content: Content, count: number) => Override | undefined;

export interface WrongAlice {
  port: number;
  /** Names of the messages received, in order (`code N` for unknown codes). */
  received: string[];
  close(): Promise<void>;
}

/** Symbols in the stand-in's frames: indices from this one on are out of bound. */
export const FRAME_SIZE = 100_000;

/** The answer a permissive, conforming Alice gives. */
function rightAnswer(request: MessageName, content: Content, qies: number): { answer: MessageName; content?: Content } {
  switch (request) {
    case 'IDENTIFICATION_REQUEST':
      return { answer: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/0001' } };
    case 'INITIALIZATION_REQUEST':
      return { answer: 'INITIALIZATION_ACCEPTED' };
    case 'INITIALIZATION_REQUEST_CONFIG':
      return { answer: 'INITIALIZATION_CONFIG', content: { config: {} } };
    case 'REQUEST_POLARISATION_RECOVERY':
      return { answer: 'POLARISATION_RECOVERY_ACK' };
    case 'END_POLARISATION_RECOVERY':
      return { answer: 'POLARISATION_RECOVERY_ENDED' };
    case 'QIE_REQUEST':
      return { answer: 'QIE_READY' };
    case 'QIE_TRIGGER':
      return { answer: 'QIE_EMISSION_STARTED' };
    case 'QIE_ACQUISITION_ENDED':
      return { answer: 'QIE_ENDED' };
    case 'PE_SYMBOLS_REQUEST': {
      const indices = (content?.indices ?? []) as number[];
      const bad = indices.find((i) => i >= FRAME_SIZE);
      if (bad !== undefined) return { answer: 'PE_SYMBOLS_ERROR', content: { error_message: `Indice ${bad} is out of bound for array of size ${FRAME_SIZE}.` } };
      // Fresh symbols after each QIE (wire notes 19).
      return { answer: 'PE_SYMBOLS_RESPONSE', content: { symbols_real: indices.map(() => qies), symbols_imag: indices.map(() => -1) } };
    }
    case 'PE_NPHOTON_REQUEST':
      return { answer: 'PE_NPHOTON_RESPONSE', content: { n_photon: 1.54 } };
    case 'PE_FINISHED':
      return Number(content?.key_rate) > 0 ? { answer: 'PE_APPROVED' } : { answer: 'PE_DENIED', content: { deny_message: 'Key rate is null.' } };
    case 'EC_INITIALIZATION':
      return { answer: 'EC_READY' };
    case 'EC_BLOCK':
      return { answer: 'EC_BLOCK_ACK' };
    case 'EC_REMAINING':
      return { answer: 'EC_REMAINING_ACK' };
    case 'EC_VERIFICATION':
      return { answer: 'EC_VERIFICATION_SUCCESS' };
    case 'PA_REQUEST':
      return { answer: 'PA_SUCCESS' };
    case 'FRAME_ENDED':
      return { answer: 'FRAME_ENDED_ACK', content: { frame_uuid: content?.frame_uuid } };
    case 'CHANGE_PARAMETER_REQUEST':
      return { answer: 'PARAMETER_UNKOWN', content: { parameter: content?.parameter } };
    case 'ABORT':
      return { answer: 'ABORT_ACK' };
    case 'INVALID_RESPONSE':
      return { answer: 'INVALID_RESPONSE_ACK' };
    case 'DISCONNECTION':
      return { answer: 'DISCONNECTION_ACK' };
    default:
      return { answer: 'UNEXPECTED_COMMAND', content: { code: Code[request] } };
  }
}

export async function startWrongAlice(override: OverrideFn = () => undefined): Promise<WrongAlice> {
  const received: string[] = [];
  const counts = new Map<string, number>();
  const scripted = await startScriptedAlice((inbound, connection) => {
    if (inbound.kind === 'unknown-code') {
      received.push(`code ${inbound.code}`);
      // As the deployed Alice: no content (wire notes 16).
      connection.reply(Code.UNKOWN_COMMAND, null);
      return;
    }
    if (inbound.kind !== 'message') return;
    const { name, content } = inbound.message;
    received.push(name);
    const count = (counts.get(name) ?? 0) + 1;
    counts.set(name, count);
    const chosen = override(name, content as Content, count) ?? rightAnswer(name, content as Content, counts.get('QIE_REQUEST') ?? 0);
    if (chosen === 'silent') return;
    if (chosen === 'close') return connection.destroy();
    connection.reply(Code[chosen.answer], chosen.content ?? null);
    if (name === 'DISCONNECTION' && chosen.answer === 'DISCONNECTION_ACK') connection.end();
  });
  return { ...scripted, received };
}
