import { defineConfig } from 'vitest/config';

// Tests share two cores: run files two at a time, each in its own fork (PGlite and DuckDB hold native/wasm memory).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
