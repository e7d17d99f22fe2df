import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'express/index': 'adapters/express.ts',
    'fastify/index': 'adapters/fastify.ts',
    'node/index': 'adapters/node.ts',
  },
  // The adapters import these for types only; never bundle a host framework.
  external: ['express', 'fastify'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  tsconfig: 'tsconfig.build.json',
})
