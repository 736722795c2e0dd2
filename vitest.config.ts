import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocol/**/*.test.ts',
      'node/**/*.test.ts',
      'solver/**/*.test.ts',
      'devnet/**/*.test.ts',
      'contracts/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: chain and network tests spawn anvil and libp2p hosts; keep files from trampling each other.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
