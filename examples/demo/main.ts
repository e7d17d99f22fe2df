/**
 * `npm run demo`: a team's year of Gmail, captured into an example CRM and shown on the
 * Communications page, with no Google account. The Gmail emulator plays Google; the CRM is
 * an Express server with a SQLite file under `.data/demo/`. Running it again reuses that
 * database and syncs only the mail that arrived since.
 */
import { appendFileSync } from 'node:fs'
import { resolve } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createEmailIntegration, createTerminalProgress, type Logger } from 'crm-email-integration'
import { startGmailEmulator } from 'crm-email-integration/testing'
import { attachmentMail } from './attachment-mail.js'
import { beginRun, demoPaths } from './demo-state.js'
import { demoPeople, principalOf, signedIn } from './people.js'
import { demoSearch, indexForSearch } from './search-setup.js'
import { closeServer, createDemoApp, listen } from './server.js'
import { generateFreshMail, generateTeamMailbox, loadTeamMailbox } from '../../src/testing/fixtures/team-mailbox/index.js'

/** One seed for the mail and the emulator: every run rebuilds the very same mailbox. */
const SEED = 2026
/**
 * The demo spends Gmail's whole per-user budget (250 units/s; the library's default is 150, to
 * leave room for other clients) at the `legacy` cost table (5 units a message). The emulator
 * enforces the same figures, so the quota, not the machine, sets the pace of the first sync.
 */
const DEMO_QUOTA_UNITS_PER_SECOND = 250

const port = Number(process.env.PORT ?? 3000)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${String(process.env.PORT)}`)
  process.exit(2)
}
const paths = demoPaths(resolve(process.env.DEMO_DATA_DIR ?? '.data/demo'))
const state = beginRun(paths, Date.now())

const mailbox = generateTeamMailbox({ seed: SEED, now: new Date(state.anchor) })
const emu = await startGmailEmulator({ seed: SEED, quota: DEMO_QUOTA_UNITS_PER_SECOND, costs: 'legacy' })
const team = mailbox.team.map((member) => member.address)
const people = demoPeople(mailbox.domain, mailbox.team)
let load = loadTeamMailbox(emu, mailbox.messages, team)
// Before the new mail of each run, so these two keep their Gmail ids from run to run.
const contact = mailbox.directory.find((entry) => (entry.emails?.length ?? 0) > 0)?.emails?.[0]
if (contact !== undefined && team[0] !== undefined) {
  for (const raw of attachmentMail({ from: contact, to: team[0], now: new Date(state.anchor) })) emu.addMessage(team[0], raw)
}
let fresh = 0
for (const [run, at] of state.runs.entries()) {
  const mail = generateFreshMail(mailbox, { run, now: new Date(at), seed: SEED })
  load = loadTeamMailbox(emu, mail, team, load.state)
  fresh = mail.length
}
const news = state.fresh ? '' : `, ${fresh} new since the last run`
console.log(`Gmail emulator: ${team.length} mailboxes on ${mailbox.domain}, ${mailbox.messages.length.toLocaleString('en')} messages over a year${news}.`)

// Warnings and errors go to a file: the terminal belongs to the progress bar.
const logLine = (level: string) => (fields: Readonly<Record<string, unknown>>, message: string) => {
  appendFileSync(paths.log, `${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields)}\n`)
}
const logger: Logger = { warn: logLine('warn'), error: logLine('error') }

let search: Awaited<ReturnType<typeof demoSearch>>
try {
  search = await demoSearch(process.env)
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  await emu.close()
  process.exit(2)
}
console.log(`Search by meaning: ${search.label}.`)

const sqlite = new Database(paths.database)
sqlite.pragma('journal_mode = WAL')
const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) })
const email = createEmailIntegration({
  db,
  config: {
    enabled: true,
    authMethod: 'dwd',
    serviceAccountKey: emu.serviceAccountKey,
    workspaceDomains: [mailbox.domain],
    apiBaseUrl: emu.url,
    tokenUrl: emu.tokenUrl,
    attachmentsDir: paths.attachments,
    rateUnitsSec: DEMO_QUOTA_UNITS_PER_SECOND,
    quotaCosts: 'legacy',
    // Every teammate may open bodies and attachments, each as far as its sharing level allows.
    detailAccess: 'shared',
    // Vectors in the demo's own SQLite file (the embedded store); without an endpoint, keyword search only.
    ...(search.embeddings === null ? {} : { embeddings: search.embeddings }),
  },
  directory: () => Promise.resolve(mailbox.directory),
  // The demo listens on 127.0.0.1 only; the visitor picks who they are (the admin by default).
  authenticate: (request) => {
    const person = signedIn(people, request.headers.get('cookie'))
    return Promise.resolve(person === null ? null : principalOf(person))
  },
  listUsers: () => Promise.resolve(team),
  logger,
})
await email.migrate()
for (const address of team) await email.accounts.enroll(address)

const app = createDemoApp(email, people, { modes: search.modes, embeddings: search.label })
let server: Awaited<ReturnType<typeof listen>>
try {
  server = await listen(app, port)
} catch (error) {
  const code = (error as { code?: unknown }).code
  console.error(code === 'EADDRINUSE' ? `Port ${port} is in use; run with PORT=<another port>.` : `Cannot listen on port ${port}: ${String(error)}`)
  await email.close()
  await emu.close()
  process.exit(1)
}

const stop = new AbortController()
let stopping = false
const shutdown = async () => {
  if (stopping) {
    console.error('\nStopping now.')
    process.exit(1)
  }
  stopping = true
  stop.abort()
  console.log('\nStopping the demo (Ctrl-C again to force).')
  await closeServer(server.server)
  await email.close()
  await db.destroy()
  await emu.close()
  await search.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown())
process.on('SIGTERM', () => void shutdown())

console.log(`Communications page: ${server.url} (filling up while the sync runs)`)
console.log(state.fresh ? 'First run: backfilling every mailbox.' : 'Database found: syncing what arrived since the last run.')
const progress = createTerminalProgress({ stream: process.stdout, accounts: team.length })
const reports = await email.sync.runAll({ onProgress: progress.onProgress, onReport: progress.onReport, signal: stop.signal })
if (!stop.signal.aborted) {
  progress.finish(reports)
  await email.attachments.downloadPending({ signal: stop.signal })
  const captured = reports.reduce((sum, r) => sum + r.captured, 0)
  console.log(`${captured.toLocaleString('en')} messages captured this run.`)
  console.log(`\n  Open ${server.url}\n\nCtrl-C stops the demo; \`npm run demo\` again resumes from ${paths.dir}.`)
  // After the page is open: reading attachments and embedding a year of mail takes a while, and
  // keyword search over the mail's own text works meanwhile.
  // Ctrl-C closes the integration under a running index: that ends the demo, not as a failure.
  console.log(await indexForSearch(email, stop.signal).catch((error: unknown) => `Search index: stopped (${error instanceof Error ? error.message : String(error)}).`))
}
