import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Polls wait for sockets and processes: generous on a loaded CI machine, instant when all is well.
    expect: { poll: { timeout: 5_000 } },
  },
});
