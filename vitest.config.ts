import { defineConfig } from 'vitest/config';
import { refuseUnsupportedNode } from './app/library/node/supported-node-version.ts';

// npm test on a Node older than 22 stops with one line, like the entry points.
refuseUnsupportedNode();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
