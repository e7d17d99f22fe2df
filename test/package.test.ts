import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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
  license: string
  engines: { node: string }
}

/** Every migration in the repository, by name, in order: a fresh host applies them all. */
const MIGRATIONS = readdirSync(join(root, 'migrations')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()

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

/**
 * A host's first day: the Gmail emulator from `crm-email-integration/testing`, a SQLite CRM, a
 * configuration pointed at the emulator, then migrate, enroll, a full sync, and reading what it
 * captured. The prelude binds `kysely`, `lib` (which makes the integration), `configLib` (which
 * makes the configuration and a Secret; another build than `lib` in the mixed hosts), `testing`
 * and `Database`, each loaded as the host under test loads it.
 */
const syncScript = (prelude: string) => `
${prelude}
const { mkdtempSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { tmpdir } = await import('node:os')
const dir = mkdtempSync(join(tmpdir(), 'crm-host-'))
const ANN = 'ann@fund.example'
const date = new Date(Date.now() - 2 * 3_600_000).toUTCString()
const later = new Date(Date.now() - 3_600_000).toUTCString()
const emu = await testing.startGmailEmulator({ seed: 3 })
emu.addMailbox(ANN)
const termSheet = ['From: Dana <dana@acme.vc>', 'To: ' + ANN, 'Subject: Term sheet', 'Date: ' + date, 'Message-ID: <ts-1@acme.vc>',
  'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain; charset=utf-8', '',
  'The term sheet is attached.', '--b1', 'Content-Type: application/pdf', 'Content-Disposition: attachment; filename="terms.pdf"',
  'Content-Transfer-Encoding: base64', '', Buffer.from('%PDF-1.4 terms').toString('base64'), '--b1--', ''].join('\\r\\n')
emu.addMessage(ANN, termSheet)
emu.addMessage(ANN, ['From: ' + ANN, 'To: dana@acme.vc', 'Subject: Re: Term sheet', 'Date: ' + later, 'Message-ID: <re-1@fund.example>',
  'In-Reply-To: <ts-1@acme.vc>', '', 'Thanks, signing today.', ''].join('\\r\\n'), { labelIds: ['SENT'] })
emu.addMessage(ANN, ['From: news@letters.example', 'To: ' + ANN, 'Subject: Weekly', 'Date: ' + date, '', 'Not CRM mail.', ''].join('\\r\\n'))
const keyPath = join(dir, 'service-account.json')
writeFileSync(keyPath, JSON.stringify(emu.serviceAccountKey), { mode: 0o600 })
const KEY = Buffer.alloc(32, 9).toString('base64')
const config = configLib.loadConfig({
  CRM_GMAIL_INTEGRATION_ENABLED: 'true', CRM_GMAIL_SA_KEY_PATH: keyPath, CRM_GMAIL_WORKSPACE_DOMAIN: 'fund.example',
  CRM_GMAIL_API_BASE_URL: emu.url, CRM_GMAIL_TOKEN_URL: emu.tokenUrl, CRM_GMAIL_ATTACHMENTS_DIR: join(dir, 'attachments'),
  CRM_GMAIL_BACKFILL_DAYS: '0', CRM_GMAIL_SECRET_KEY: KEY,
})
const db = new kysely.Kysely({ dialect: new kysely.SqliteDialect({ database: new Database(join(dir, 'crm.sqlite')) }) })
const directory = async () => [{ type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] }]
const email = lib.createEmailIntegration({ db, config, directory })
await email.migrate()
await email.accounts.enroll(ANN)
const report = await email.sync.run({ account: ANN })
const page = await email.threads.list()
const thread = await email.threads.get(page.items[0].id)
const first = await email.emails.get(thread.emails[0].id)
const hits = await email.search('signing')
const given = lib.resolveConfig({ secretKey: new configLib.Secret(KEY) })
await email.close()
await db.destroy()
await emu.close()
console.log(JSON.stringify({
  report: { status: report.status, captured: report.captured, failed: report.failed },
  threads: page.items.map((t) => [t.subject, t.messageCount, t.identities.map((i) => i.key).join()]),
  emails: thread.emails.map((e) => [e.from.address, e.attachments.map((a) => a.filename + ' ' + a.status).join()]),
  body: first.bodyText.trim(),
  hits: hits.items.length,
  secret: { accepted: given.secretKey.reveal().equals(Buffer.from(KEY, 'base64')), isSecret: new configLib.Secret('x') instanceof lib.Secret },
}))
`

/** What {@link syncScript} prints, whichever builds and module systems the host mixed. */
const SYNCED = {
  report: { status: 'ok', captured: 2, failed: 0 },
  threads: [['Term sheet', 2, 'fund:7']],
  emails: [['dana@acme.vc', 'terms.pdf stored'], ['ann@fund.example', '']],
  body: 'The term sheet is attached.',
  hits: 1,
  secret: { accepted: true, isSecret: true },
}

/** The same host written in CommonJS: `require` throughout, the script in an async function. */
const cjsSync = `(async () => {${syncScript(`
const Database = require('better-sqlite3')
const kysely = require('kysely')
const lib = require('crm-email-integration')
const configLib = lib
const testing = require('crm-email-integration/testing')
`)}})().catch((err) => { console.error(err); process.exit(1) })`

const esmSync = syncScript(`
import Database from 'better-sqlite3'
import * as kysely from 'kysely'
import * as lib from 'crm-email-integration'
import * as testing from 'crm-email-integration/testing'
const configLib = lib
`)

/**
 * ESM hosts that load some modules through `require`: the library's other build, and the other
 * copy of kysely (its CommonJS or its ESM files), as happens when a host's own code and one of
 * its dependencies load them differently.
 */
const mixedSync = {
  // The ESM build mounted on a CommonJS kysely, with a config and a Secret from the CommonJS build.
  'esm-library-cjs-kysely.mjs': syncScript(`
import { createRequire } from 'node:module'
import Database from 'better-sqlite3'
import * as lib from 'crm-email-integration'
import * as testing from 'crm-email-integration/testing'
const require = createRequire(import.meta.url)
const kysely = require('kysely')
const configLib = require('crm-email-integration')
`),
  // The CommonJS build mounted on the ESM kysely, with a config and a Secret from the ESM build.
  'cjs-library-esm-kysely.mjs': syncScript(`
import { createRequire } from 'node:module'
import Database from 'better-sqlite3'
import * as kysely from 'kysely'
import * as configLib from 'crm-email-integration'
const require = createRequire(import.meta.url)
const lib = require('crm-email-integration')
const testing = require('crm-email-integration/testing')
`),
}

/**
 * An Express 4 host (the `express4` alias of express@4) mounting `crm-email-integration/express`,
 * with `express.json()` before the middleware and only on its own route. The integration is a
 * stand-in that answers what it was given: the URL (port included) and the body.
 */
const express4Host = `(async () => {
const express = require('express4')
const { emailIntegrationMiddleware } = require('crm-email-integration/express')
const { createServer } = require('node:http')
const email = {
  tryHandle: async (request) => new URL(request.url).pathname.startsWith('/api/email/')
    ? Response.json({ url: request.url, body: await request.text() })
    : null,
}
const results = {}
for (const jsonFirst of [true, false]) {
  const app = express()
  if (jsonFirst) app.use(express.json())
  app.use(emailIntegrationMiddleware(email))
  app.post('/host/echo', express.json(), (req, res) => { res.json({ host: req.body }) })
  const server = createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = 'http://127.0.0.1:' + server.address().port
  const post = async (path, body) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    return [res.status, await res.json()]
  }
  const [status, ours] = await post('/api/email/accounts/enroll', '{"address":"ann@fund.example"}')
  results[jsonFirst ? 'jsonFirst' : 'jsonAfter'] = {
    ours: [status, ours.url === base + '/api/email/accounts/enroll', JSON.parse(ours.body)],
    host: await post('/host/echo', '{"b":2}'),
  }
  server.close()
}
console.log(JSON.stringify(results))
})().catch((err) => { console.error(err); process.exit(1) })`

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
    for (const dep of new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies), 'better-sqlite3', 'express4'])) {
      const link = join(modules, dep)
      mkdirSync(join(link, '..'), { recursive: true })
      symlinkSync(join(root, 'node_modules', dep), link, 'dir')
    }
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'some-crm', private: true, type: 'module' }))
    writeFileSync(join(host, 'host.mjs'), esm)
    writeFileSync(join(host, 'host.cjs'), cjs)
    writeFileSync(join(host, 'quick-start.mjs'), readmeQuickStart())
    writeFileSync(join(host, 'sync.mjs'), esmSync)
    writeFileSync(join(host, 'sync.cjs'), cjsSync)
    for (const [file, script] of Object.entries(mixedSync)) writeFileSync(join(host, file), script)
    writeFileSync(join(host, 'express4.cjs'), express4Host)
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

  it('ships the MIT license the package declares', () => {
    expect(pkg.license).toBe('MIT')
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
    expect(listing).toContain('package/LICENSE')
    const text = readFileSync(join(host, 'node_modules', 'crm-email-integration', 'LICENSE'), 'utf8')
    expect(text.split('\n').slice(0, 3)).toEqual(['MIT License', '', 'Copyright (c) 2026 The crm-email-integration authors'])
    expect(text).toContain('Permission is hereby granted, free of charge')
  })

  it('claims the Node versions it runs on, this one among them', () => {
    const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node)?.slice(1).map(Number)
    // 20.3 brought AbortSignal.any, which the Gmail client combines a caller's signal with.
    expect(minimum).toEqual([20, 3, 0])
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    expect(major > 20 || (major === 20 && minor >= 3)).toBe(true)
  })

  it('serves an Express 4 host through crm-email-integration/express, with and without express.json() before it', () => {
    const run = spawnSync(process.execPath, ['express4.cjs'], { cwd: host, encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    // Nothing deprecated in Express 4 is touched (Express prints a warning when it is).
    expect(run.stderr).toBe('')
    const route = [200, true, { address: 'ann@fund.example' }]
    expect(JSON.parse(run.stdout.trim())).toEqual({
      jsonFirst: { ours: route, host: [200, { host: { b: 2 } }] },
      jsonAfter: { ours: route, host: [200, { host: { b: 2 } }] },
    })
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
        migrated: { applied: MIGRATIONS },
        accounts: ['ann@fund.example'],
        refused: { code: 'validation_failed', status: 400, isValidation: true },
        left: ['crm_investors'],
        secretShown: false,
      })
    })
  }

  // `--no-experimental-require-module` makes Node 20.20 behave as Node 20 did before 20.19: no
  // `require()` of an ES module at all, so nothing the CommonJS build loads may be one.
  for (const [kind, args] of [
    ['an ESM host', ['sync.mjs']],
    ['a CommonJS host', ['sync.cjs']],
    ['a CommonJS host on a Node without require(esm)', ['--no-experimental-require-module', 'sync.cjs']],
  ] as const) {
    it(`runs a full sync against the Gmail emulator from ${kind}`, () => {
      const out = execFileSync(process.execPath, args, { cwd: host, encoding: 'utf8' })
      expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual(SYNCED)
    })
  }

  it('loads every CommonJS entry point on a Node without require(esm)', () => {
    const entries = ['crm-email-integration', 'crm-email-integration/testing', 'crm-email-integration/express', 'crm-email-integration/fastify', 'crm-email-integration/node']
    const script = `console.log(JSON.stringify(${JSON.stringify(entries)}.map((e) => Object.keys(require(e)).length > 0)))`
    const out = execFileSync(process.execPath, ['--no-experimental-require-module', '-e', script], { cwd: host, encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual(entries.map(() => true))
  })

  for (const file of Object.keys(mixedSync)) {
    it(`accepts the other build's config and Secret, and the other copy of kysely (${file})`, () => {
      const out = execFileSync(process.execPath, [file], { cwd: host, encoding: 'utf8' })
      expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual(SYNCED)
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
