/**
 * The search benchmark: for each database (a fresh SQLite file; PostgreSQL in a fresh schema,
 * dropped after, when EMAIL_TEST_PG_URL is set) and each corpus size, the corpus generated in
 * bulk (timed apart), then keyword latency through `email.search`, and, where the vector
 * indexer has landed, indexing throughput and hybrid latency with the embeddings stand-in.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { EmailDatabase } from '../src/db/database.js'
import { DIALECTS } from '../src/db/dialect.js'
import { createEmailIntegration, type EmailConfigInput } from '../src/index.js'
import { progress } from './measure.js'
import { generateCorpus, type Corpus } from './search-corpus.js'
import { measureVectors, type VectorResult } from './search-vectors.js'
import { benchQueries, timeQueries, type ModeTimings } from './search-latency.js'

/** What the search benchmark runs. */
export interface SearchBenchSettings {
  /** Corpus sizes, in emails. */
  readonly sizes: readonly number[]
  /** Timed runs per query and reader. */
  readonly repeats: number
  readonly seed: number
  /** PostgreSQL's URL, or '' to run on SQLite only. */
  readonly pgUrl: string
}

/** One database at one size. */
export interface SearchBenchRun {
  readonly dialect: 'sqlite' | 'postgres'
  readonly emails: number
  readonly corpus: Omit<Corpus, 'vocabulary'>
  readonly keyword: ModeTimings
  readonly vectors: VectorResult
}

/** A database the benchmark owns, and how to give it back. */
interface BenchDatabase {
  readonly db: Kysely<EmailDatabase>
  close(): Promise<void>
}

function openSqlite(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'email-search-bench-'))
  const database = new Database(join(dir, 'crm.db'))
  // As a host would open it (and as the tests do).
  database.pragma('journal_mode = WAL')
  database.pragma('foreign_keys = ON')
  const db = new Kysely<EmailDatabase>({ dialect: new SqliteDialect({ database }) })
  return {
    db,
    async close() {
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgres(url: string): Promise<BenchDatabase> {
  const schema = `email_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 4 })
  const db = new Kysely<EmailDatabase>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    async close() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db)
      await db.destroy()
    },
  }
}

/**
 * Opens a fresh database, migrates it through an integration configured as `config` says, and
 * hands both to `use`; the database is dropped after, whatever happens.
 *
 * @example
 * ```ts
 * await withIntegration('sqlite', '', {}, async (email, db) => email.search('term sheet'))
 * ```
 */
export async function withIntegration<T>(
  dialect: 'sqlite' | 'postgres',
  pgUrl: string,
  config: EmailConfigInput,
  use: (email: ReturnType<typeof createEmailIntegration>, db: Kysely<EmailDatabase>) => Promise<T>,
): Promise<T> {
  const opened = dialect === 'sqlite' ? openSqlite() : await openPostgres(pgUrl)
  const email = createEmailIntegration({ db: opened.db, config: { enabled: false, ...config }, directory: () => Promise.resolve([]) })
  try {
    await email.migrate()
    return await use(email, opened.db)
  } finally {
    await email.close()
    await opened.close()
  }
}

async function runOne(dialect: 'sqlite' | 'postgres', emails: number, settings: SearchBenchSettings): Promise<SearchBenchRun> {
  return withIntegration(dialect, settings.pgUrl, {}, async (email, db) => {
    progress(`search ${dialect} ${emails}: generating the corpus`)
    const { vocabulary, ...corpus } = await generateCorpus(db, DIALECTS[dialect], emails, settings.seed)
    progress(`search ${dialect} ${emails}: rows ${corpus.rowsSeconds.toFixed(1)}s, index ${corpus.indexSeconds.toFixed(1)}s; timing keyword queries`)
    const queries = benchQueries(vocabulary)
    const keyword = await timeQueries(email, queries, { mode: 'keyword', repeats: settings.repeats })
    progress(`search ${dialect} ${emails}: keyword p50 ${keyword.all.p50} ms, p95 ${keyword.all.p95} ms`)
    for (const q of keyword.queries) progress(`  ${q.name} ${q.reader}: ${q.results} results, p50 ${q.p50} ms, p95 ${q.p95} ms`)
    const vectors = await measureVectors(db, queries, { repeats: settings.repeats })
    return { dialect, emails, corpus, keyword, vectors }
  })
}

/**
 * Runs the search benchmark on every database and size the settings name.
 *
 * @example
 * ```ts
 * const runs = await runSearchBench({ sizes: [2000], repeats: 5, seed: 2026, pgUrl: '' })
 * runs[0]?.keyword.all.p95 // milliseconds
 * ```
 */
export async function runSearchBench(settings: SearchBenchSettings): Promise<SearchBenchRun[]> {
  const dialects = settings.pgUrl === '' ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const)
  const runs: SearchBenchRun[] = []
  for (const emails of settings.sizes) {
    for (const dialect of dialects) runs.push(await runOne(dialect, emails, settings))
  }
  return runs
}

/** What each number of the search benchmark means (printed with the results). */
export const SEARCH_DEFINITIONS = {
  searchCorpus:
    'Per database and size: a fresh SQLite file (WAL, as a host opens it) or a fresh PostgreSQL schema (dropped after). Four ' +
    'mailboxes (everything, subject, metadata, and one at the default level), threads of 1-5 emails, 10% of threads in two ' +
    'mailboxes, 2% marked private, 5% of emails hidden, 80% of threads linked to one of 50 organisations. Words from a ' +
    '30,000-word made-up vocabulary with a Zipf distribution (s=1.07): subjects of 4-10 words, bodies of 50-400. Rows are ' +
    'written in bulk; the keyword index is built by the library (reindexAll), as capture would write it; PostgreSQL is ' +
    'ANALYZEd after (autovacuum would), SQLite is not (the library never does). rowsSeconds and indexSeconds are not latency.',
  searchKeyword:
    "email.search(q, { mode: 'keyword', limit: 25, identity? , viewer? }) over 13 fixed queries (selective, common, two-word, " +
    'prefix, with an identity filter), each run once untimed then `repeats` times, as the team (no viewer) and as ' +
    'dee@team.example, who owns a quarter of the mail and reads the rest at every sharing level. p50/p95/max in ms (nearest ' +
    'rank) over all timed runs of a reader (team, viewer) or both (all); per query too, with its result count. Target (issue ' +
    '16): p95 under 20 ms at 100k emails.',
  searchVectors:
    'Where email.search.index() exists: the embeddings stand-in (dimension 384) and the embedded store; indexing throughput ' +
    '(visible emails and chunks per second of email.search.index()), the stand-in\'s share of that time (the same number of ' +
    'requests and texts replayed against it alone), and hybrid latency over the same queries as keyword. Otherwise `skipped` ' +
    'says what is missing.',
}
