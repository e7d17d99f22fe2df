import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect } from 'vitest'
import type { EmailDatabase, EmailIntegration, IdentityFacet, ThreadPage } from '../../src/index.js'
import type { TestDatabase } from './databases.js'
import { buildMessage } from './message.js'
import { call, routerIntegration, type Answer, type CallOptions, type Caller, type RouterIntegration, type RouterIntegrationOptions } from './http.js'
import { mail, syncWorld, TEAM, type SyncWorld } from './sync/setup.js'

// The world of the router tests: an integration on a real database, synced from the Gmail
// emulator with a few threads (one with an attachment named to break downloads), and the
// request helpers every route test file uses.

export const [ANN, BOB] = TEAM as [string, string, ...string[]]

/** Noon UTC of a day of June 2026, the month the world's mail was sent. */
export const day = (d: number): Date => new Date(Date.UTC(2026, 5, d, 12))

/** The bytes of the deck attachment. */
export const DECK_BYTES = randomBytes(3000)

/** Four threads that share one date, so that paging has ties to walk through. */
export const TIES = ['Tie 1', 'Tie 2', 'Tie 3', 'Tie 4']

/** The threads of the world, newest activity first (the ties share one date). */
export const NEWEST_FIRST_AFTER_TIES = ['Deck', 'Capital call', 'Dana and Acme', 'Coffee?', 'Globex intro', 'Fund update']

/** The world of one test and the helpers that call the router as a caller. */
export interface RouterWorld {
  readonly t: TestDatabase
  readonly w: SyncWorld
  /** The integration under test, and what it logged. */
  readonly r: RouterIntegration
  /** `r.email`. */
  readonly http: EmailIntegration
  /** The Message-ID of each email of the world, by name (`fund`, `fundReply`, `org`, `deck`, ...). */
  readonly messageIds: Record<string, string>
  readonly db: () => Kysely<EmailDatabase>
  readonly req: (method: string, path: string, options?: CallOptions) => Promise<Answer>
  readonly get: (path: string, as?: Caller) => Promise<Answer>
  readonly post: (path: string, json?: unknown, as?: Caller) => Promise<Answer>
  /** Another integration on the same world, closed after the test. */
  readonly another: (options?: RouterIntegrationOptions) => RouterIntegration
  /** The id of a stored email, by its name in `messageIds`. */
  readonly emailId: (name: string) => Promise<string>
  /** A page of the thread list (`query` starts with `?`); fails unless it is a 200. */
  readonly page: (query: string, as?: Caller) => Promise<ThreadPage>
  /** The sorted subjects of every thread the list holds under a query (without `?`). */
  readonly subjects: (query: string) => Promise<string[]>
  /** The id of the thread with this subject. */
  readonly threadOf: (subject: string) => Promise<string>
  /** The identity facet as `[key, count]` pairs (`query` starts with `?`). */
  readonly facet: (query?: string) => Promise<[string, number][]>
}

/**
 * Sets up a fresh world before each test of the enclosing `describe` and closes it after; checks
 * after each test that nothing answered a 500 (each logs an error).
 */
export function routerWorld(open: () => Promise<TestDatabase>): RouterWorld {
  let t: TestDatabase
  let w: SyncWorld
  let r: RouterIntegration
  let extra: EmailIntegration[] = []
  const messageIds: Record<string, string> = {}

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const get = (path: string, as: Caller = 'admin') => call(r.email, 'GET', path, { as })
  const page = async (query: string, as: Caller = 'user'): Promise<ThreadPage> => {
    const answer = await get(`/api/email/threads${query}`, as)
    expect(answer.status, answer.text).toBe(200)
    return answer.body as ThreadPage
  }
  const world: RouterWorld = {
    get t() {
      return t
    },
    get w() {
      return w
    },
    get r() {
      return r
    },
    get http() {
      return r.email
    },
    messageIds,
    db,
    req: (method, path, options = {}) => call(r.email, method, path, options),
    get,
    post: (path, json, as = 'admin') => call(r.email, 'POST', path, { as, ...(json === undefined ? {} : { json }) }),
    another: (options = {}) => {
      const made = routerIntegration(t, w, options)
      extra.push(made.email)
      return made
    },
    emailId: async (name) => {
      const row = await db().selectFrom('emails').select('id').where('message_id', '=', messageIds[name] ?? '').executeTakeFirstOrThrow()
      return String(row.id)
    },
    page,
    subjects: async (query) => (await page(`?limit=100${query === '' ? '' : `&${query}`}`)).items.map((th) => th.subject).sort(),
    threadOf: async (subject) => {
      const found = (await page('?limit=100')).items.find((th) => th.subject === subject)
      if (found === undefined) throw new Error(`no thread ${subject}`)
      return found.id
    },
    facet: async (query = '') => {
      const answer = await get(`/api/email/identities${query}`, 'user')
      expect(answer.status, answer.text).toBe(200)
      return (answer.body as IdentityFacet).items.map((i) => [i.key, i.count])
    },
  }

  beforeEach(async () => {
    extra = []
    t = await open()
    w = await syncWorld(t)
    const add = (name: string, m: { raw: string; messageId: string }, boxes: string[]) => {
      for (const box of boxes) w.emu.addMessage(box, m.raw)
      messageIds[name] = m.messageId
    }
    const fund = mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Fund update', date: day(1) })
    add('fund', fund, [ANN, BOB])
    add('fundReply', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Re: Fund update', date: day(2), inReplyTo: fund.messageId }), [ANN])
    add('org', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', date: day(3) }), [ANN])
    add('contact', mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee?', date: day(4) }), [BOB])
    add('contact2', mail({ from: 'dana@gmail.com', to: [ANN], subject: 'Dana and Acme', date: day(5) }), [ANN])
    add('late', mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday.' }), [BOB])
    const deckId = `deck-${randomBytes(4).toString('hex')}@acme.vc`
    const deck = buildMessage({
      from: 'Pat <partner@acme.vc>',
      to: ANN,
      subject: 'Deck',
      date: day(7),
      messageId: deckId,
      text: 'The deck is attached.',
      attachments: [{ filename: '../../etc/passwd', contentType: 'application/pdf', content: DECK_BYTES }],
    })
    add('deck', { raw: deck, messageId: deckId }, [ANN])
    TIES.forEach((subject, i) => {
      add(subject, mail({ from: `team${i}@globex.example`, to: [BOB], subject, date: day(8) }), [BOB])
    })
    await w.email.sync.runAll()
    r = routerIntegration(t, w)
  })

  afterEach(async () => {
    // Any answer of 500 logs an error: none of these tests sends anything that may cause one.
    expect(r.errors).toEqual([])
    for (const e of extra) await e.close()
    await r.email.close()
    await w.close()
    await t.close()
  })

  return world
}
