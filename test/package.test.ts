import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  bin: Record<string, string>
}

/** What a host does with the package: mount it on its SQLite CRM, migrate, enroll, list. */
const hostScript = (load: string) => `
${load}
const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(process.argv[2]) }) })
await db.schema.createTable('crm_investors').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute()
await db.insertInto('crm_investors').values({ id: 1, name: 'Acme Ventures' }).execute()
const config = loadConfig({ CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example', CRM_GMAIL_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') })
const email = createEmailIntegration({ db, config, directory: async () => [] })
const migrated = await email.migrate()
await email.accounts.enroll('ann@fund.example')
let refused = null
try { await email.accounts.enroll('eve@elsewhere.example') } catch (err) { refused = { code: err.code, status: err.status, isValidation: err instanceof ValidationError } }
const accounts = (await email.accounts.list()).map((a) => a.address)
const printed = JSON.stringify(config)
await email.rollback()
const left = (await db.introspection.getTables()).map((t) => t.name)
await email.close()
await db.destroy()
console.log(JSON.stringify({ migrated, accounts, refused, left, secretShown: printed.includes(Buffer.alloc(32, 7).toString('base64')) }))
`

const esm = hostScript(`
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration, loadConfig, ValidationError } from 'crm-email-integration'
`)

const cjs = `(async () => {${hostScript(`
const Database = require('better-sqlite3')
const { Kysely, SqliteDialect } = require('kysely')
const { createEmailIntegration, loadConfig, ValidationError } = require('crm-email-integration')
`)}})().catch((err) => { console.error(err); process.exit(1) })`

describe('the packed package, installed into a separate host project', () => {
  let host: string
  let tarball: string

  beforeAll(() => {
    host = mkdtempSync(join(tmpdir(), 'email-host-'))
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', host], { cwd: root, encoding: 'utf8' }),
    ) as { filename: string }[]
    tarball = join(host, packed[0]!.filename)
    const modules = join(host, 'node_modules')
    const target = join(modules, 'crm-email-integration')
    mkdirSync(target, { recursive: true })
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
    // The host's own copies of the package's dependencies (the registry is not used in tests).
    for (const dep of new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies), 'better-sqlite3'])) {
      const link = join(modules, dep)
      mkdirSync(join(link, '..'), { recursive: true })
      symlinkSync(join(root, 'node_modules', dep), link, 'dir')
    }
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'some-crm', private: true, type: 'module' }))
    writeFileSync(join(host, 'host.mjs'), esm)
    writeFileSync(join(host, 'host.cjs'), cjs)
    writeFileSync(join(host, 'quick-start.mjs'), readmeQuickStart())
  }, 120_000)

  afterAll(() => {
    rmSync(host, { recursive: true, force: true })
  })

  it('ships the built entry points and the migrations, and no sources or tests', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
    expect(listing).toContain('package/dist/index.js')
    expect(listing).toContain('package/dist/index.cjs')
    expect(listing).toContain('package/dist/index.d.ts')
    expect(listing).toContain('package/dist/index.d.cts')
    for (const sub of ['express', 'fastify', 'node']) {
      for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) expect(listing).toContain(`package/dist/${sub}/${file}`)
    }
    expect(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/'))).toBe(false)
  })

  it('ships the crm-email-integration command, executable, reading its version from the package', () => {
    expect(pkg.bin['crm-email-integration']).toBe('./dist/cli.js')
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
    expect(listing).toContain('package/dist/cli.js')
    const version = execFileSync(join(host, 'node_modules', 'crm-email-integration', 'dist', 'cli.js'), ['--version'], { cwd: host, encoding: 'utf8' })
    expect(version.trim()).toContain(pkg.version)
  })

  it('serves the Gmail emulator from crm-email-integration/testing, to ESM and CommonJS hosts', () => {
    const probe = (load: string) => `${load}
      const emu = await startGmailEmulator({ seed: 1 })
      const { id } = emu.addMessage('ann@fund.example', 'Subject: hi\\r\\n\\r\\nbody')
      const res = await fetch(emu.url + '/gmail/v1/users/ann@fund.example/profile')
      console.log(JSON.stringify({ id: typeof id, status: res.status, key: typeof emu.serviceAccountKey.client_email }))
      await emu.close()`
    writeFileSync(join(host, 'testing.mjs'), probe("import { startGmailEmulator } from 'crm-email-integration/testing'"))
    writeFileSync(
      join(host, 'testing.cjs'),
      `(async () => {${probe("const { startGmailEmulator } = require('crm-email-integration/testing')")}})()`,
    )
    for (const file of ['testing.mjs', 'testing.cjs']) {
      const out = execFileSync(process.execPath, [file], { cwd: host, encoding: 'utf8' })
      expect(JSON.parse(out.trim())).toEqual({ id: 'string', status: 401, key: 'string' })
    }
  })

  it('serves the adapters from crm-email-integration/express, /fastify and /node, to ESM and CommonJS hosts', () => {
    const probe = (load: string) => `${load}
      const { createServer } = await import('node:http')
      const email = { tryHandle: async (request) => new URL(request.url).pathname.startsWith('/api/email/') ? Response.json({ ours: true }) : null }
      const handle = createNodeHandler(email)
      const server = createServer(async (req, res) => { if (!(await handle(req, res))) res.end('host') })
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
      const base = 'http://127.0.0.1:' + server.address().port
      const ours = await (await fetch(base + '/api/email/status')).json()
      const host = await (await fetch(base + '/elsewhere')).text()
      server.close()
      console.log(JSON.stringify({ middleware: emailIntegrationMiddleware(email).length, plugin: typeof emailIntegrationPlugin, bridge: typeof toWebRequest + typeof sendWebResponse, ours, host }))`
    const names = {
      express: 'emailIntegrationMiddleware',
      fastify: 'emailIntegrationPlugin',
      node: '{ createNodeHandler, toWebRequest, sendWebResponse }',
    }
    writeFileSync(
      join(host, 'adapters.mjs'),
      probe(Object.entries(names).map(([sub, name]) => `import ${name.startsWith('{') ? name : `{ ${name} }`} from 'crm-email-integration/${sub}'`).join('\n')),
    )
    writeFileSync(
      join(host, 'adapters.cjs'),
      `(async () => {${probe(Object.entries(names).map(([sub, name]) => `const ${name.startsWith('{') ? name : `{ ${name} }`} = require('crm-email-integration/${sub}')`).join('\n'))}})()`,
    )
    for (const file of ['adapters.mjs', 'adapters.cjs']) {
      const out = execFileSync(process.execPath, [file], { cwd: host, encoding: 'utf8' })
      expect(JSON.parse(out.trim())).toEqual({ middleware: 2, plugin: 'function', bridge: 'functionfunction', ours: { ours: true }, host: 'host' })
    }
  })

  for (const [kind, file] of [
    ['ESM import', 'host.mjs'],
    ['CommonJS require', 'host.cjs'],
  ] as const) {
    it(`works through ${kind} by the package name`, () => {
      const out = execFileSync(process.execPath, [file, join(host, `${file}.db`)], { cwd: host, encoding: 'utf8' })
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>
      expect(result).toEqual({
        migrated: { applied: ['0001-email-tables', '0002-oauth-states', '0003-search'] },
        accounts: ['ann@fund.example'],
        refused: { code: 'validation_failed', status: 400, isValidation: true },
        left: ['crm_investors'],
        secretShown: false,
      })
    })
  }

  it('runs the README quick start as written', () => {
    const out = execFileSync(process.execPath, ['quick-start.mjs'], {
      cwd: host,
      encoding: 'utf8',
      env: { ...process.env, CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example' },
    })
    expect(out).toContain("address: 'ann@fund.example'")
    expect(out).toContain("status: 'active'")
  })
})

/** The first TypeScript block under "## Quick start" in the README, compiled to plain ESM. */
function readmeQuickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'))
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error('README has no quick-start code block')
  return ts.transpileModule(block, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText
}
