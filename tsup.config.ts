import { defineConfig, type Options } from 'tsup'

const shared = {
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  tsconfig: 'tsconfig.build.json',
} satisfies Options

/** The CLI's output, which the library build (running alongside) must not clean away. */
const CLI_FILES = ['cli.js', 'cli.js.map']

export default defineConfig([
  {
    ...shared,
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
    clean: CLI_FILES.map((file) => `!${file}`),
  },
  {
    ...shared,
    // The `crm-email-integration` bin: ESM only, no types. The shebang of src/cli/main.ts is
    // kept, and tsup makes a file that starts with one executable.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
  },
])
