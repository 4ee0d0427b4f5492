import { defineConfig } from 'vitest/config';

// The fault suite (npm run test:faults): real brokers and workers under injected faults, one file at a
// time. Each scenario records a row into artifacts/reliability/; the global teardown writes RELIABILITY.md.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    globalSetup: ['test/faults/support/global-setup.ts'],
  },
});
