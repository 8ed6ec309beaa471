/** startAlice as a lab's program calls it: options, observer, errors, close. */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.ts';
import { startAlice } from '../src/alice/daemon.ts';
import type { MessageEvent } from '../src/alice/server.ts';
import { connect } from '../src/bob/session.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { TEST_SIM, tcpTestReceiver } from './support/alice.ts';

const quiet = pino({ level: 'silent' });

describe('startAlice(options)', () => {
  it('rejects an invalid configuration with a ConfigError naming each key', async () => {
    const failure = startAlice({ config: { port: 0, ban_seconds: -1, auth: 'ed25519' }, log: quiet });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(/ban_seconds:[\s\S]*secret_key: required with auth = "ed25519"/);
  });

  it('tells a partial observer of each session, alongside the review page', async () => {
    const messages: MessageEvent[] = [];
    const sessions: string[] = [];
    const alice = await startAlice({
      config: { port: 0, review_port: 0, sim: TEST_SIM },
      log: quiet,
      observer: { message: (m) => messages.push(m), closed: (s) => sessions.push(s) },
    });
    try {
      expect(alice.address).toBe('127.0.0.1');
      expect(alice.reviewPort).toBeGreaterThan(0);
      const bob = await connect({ host: alice.address, port: alice.port });
      const receiver = await tcpTestReceiver(alice);
      const frame = await runFrame(bob, receiver);
      await receiver.close();
      await bob.disconnect();
      expect(frame.status).toBe('completed');
      await expect.poll(() => sessions).toEqual(['s1']);
      const seen = messages.map((m) => `${m.direction}:${m.name}`);
      expect(seen[0]).toBe('in:IDENTIFICATION_REQUEST');
      expect(seen).toContain('out:FRAME_ENDED_ACK');
      expect(seen.at(-1)).toBe('out:DISCONNECTION_ACK');
      expect(messages.every((m) => m.session === 's1')).toBe(true);
    } finally {
      await alice.close();
    }
  });

  it('rejects with the listen error when the port is taken, and close() frees its port', async () => {
    const first = await startAlice({ config: { port: 0 }, log: quiet });
    await expect(startAlice({ config: { port: first.port }, log: quiet })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    const again = createServer();
    again.listen(first.port, '127.0.0.1');
    await once(again, 'listening');
    await new Promise((resolve) => again.close(resolve));
  });
});
