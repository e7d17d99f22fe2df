import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  // Examples import the package by name, as a host would; in tests that name means the sources
  // (as tsconfig.json's paths say), so a test never mixes two copies of the library.
  resolve: {
    alias: [
      { find: /^crm-email-integration$/, replacement: here('./src/index.ts') },
      { find: /^crm-email-integration\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^crm-email-integration\/(express|fastify|node)$/, replacement: here('./adapters/$1.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // The suites wait on real servers (the emulator, PostgreSQL, child processes) more than they
    // compute: two files at a time keep a two-core machine busy (the default is one fewer than
    // the cores, a single worker there).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
