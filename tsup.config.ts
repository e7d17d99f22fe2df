import { defineConfig, type Options } from 'tsup'

const shared = {
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  tsconfig: 'tsconfig.build.json',
} satisfies Options

/**
 * The outputs of the CLI's and the extraction worker's builds, which the library build (running
 * alongside) must not clean away.
 */
const SEPARATE_BUILD_FILES = ['cli.js', 'cli.js.map', 'extract-worker.js', 'extract-worker.js.map']

/**
 * Dependencies published as ES modules only. Node 20 before 20.19 (or run with
 * `--no-experimental-require-module`) cannot `require()` them, and where it can, `require()`
 * hands back the module namespace, which esbuild's interop then calls as if it were the default
 * export. So the CommonJS build carries its own copy of them (and of what they import); the ESM
 * build imports them as they are. The package test loads every CommonJS entry point with
 * require(esm) switched off, so an ESM-only dependency missing from this list fails it.
 */
const ESM_ONLY_DEPENDENCIES = ['jose', 'p-limit', 'p-retry']
const ESM_ONLY = new RegExp(`^(?:${ESM_ONLY_DEPENDENCIES.join('|')})(?:/|$)`)

/**
 * tsup's `noExternal` applies to every format; this plugin, which runs after tsup's own
 * external check, leaves the ESM-only dependencies external again in the ESM output.
 */
const esmOnlyDependenciesExternalInEsm: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'esm-only-dependencies-external-in-esm',
  setup(build) {
    if (build.initialOptions.format !== 'esm') return
    build.onResolve({ filter: ESM_ONLY }, (args) => ({ path: args.path, external: true }))
  },
}

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
    noExternal: [ESM_ONLY],
    esbuildPlugins: [esmOnlyDependenciesExternalInEsm],
    // The extraction runner finds its worker beside the entry point it was loaded from: the
    // shims give the CommonJS build an import.meta.url (and the ESM build a __dirname).
    shims: true,
    format: ['esm', 'cjs'],
    dts: true,
    clean: SEPARATE_BUILD_FILES.map((file) => `!${file}`),
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
  {
    ...shared,
    // The attachment text worker (src/extract/runner.ts starts it from beside dist/index.js and
    // dist/index.cjs): ESM only, so it alone imports the ESM-only PDF reader, and the CommonJS
    // build never require()s it.
    entry: { 'extract-worker': 'src/extract/worker.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
  },
])
