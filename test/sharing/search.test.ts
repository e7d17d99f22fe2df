import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/db/database.js'
import { indexEmails } from '../../src/db/search-index.js'
import type { SearchItem, SearchResult } from '../../src/search/api.js'
import { mayRead, type Access } from '../../src/sharing/levels.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { read, request, routerIntegration } from '../helpers/http.js'
import { HOLDERS, READERS, SHARED_NAMES, sharingWorld, TEAM_ACCESS, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'

type ReaderName = keyof typeof READERS
const READER_NAMES = Object.keys(READERS) as ReaderName[]

/** A reader's access to an email of the world, as the rule gives it. */
function accessOf(reader: ReaderName, name: SharedName): Access {
  return (HOLDERS[name] as readonly string[]).includes(READERS[reader].email) ? 'owner' : TEAM_ACCESS[name]
}

/** Words of the world's mail that a reader must never see in a highlight when the field is withheld. */
function withheldWords(access: Access, name: SharedName): string[] {
  return [...(mayRead(access, 'subject') ? [] : [`${name}subj`, 'Update']), ...(mayRead(access, 'body') ? [] : [`${name}body`, 'Notes', 'round'])]
}

describeEachDialect('search under the sharing rule', (open) => {
  let t: TestDatabase
  let w: SharingWorld

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const search = (reader: ReaderName, q: string): Promise<SearchResult> => w.email.search(q, { viewer: READERS[reader].email })
  const nameOf = (item: SearchItem): SharedName => {
    const name = SHARED_NAMES.find((n) => w.emails[n].emailId === item.email.id)
    if (name === undefined) throw new Error(`an email outside the world: ${item.email.id}`)
    return name
  }
  const namesFound = async (reader: ReaderName, q: string): Promise<SharedName[]> => (await search(reader, q)).items.map(nameOf)
  /** Appends words to an email's subject and body, and reindexes it as capture would. */
  const append = async (name: SharedName, words: { subject?: string; body?: string }) => {
    const id = Number(w.emails[name].emailId)
    const row = await db().selectFrom('emails').select(['subject', 'body_text']).where('id', '=', id).executeTakeFirstOrThrow()
    await db()
      .updateTable('emails')
      .set({ subject: `${row.subject} ${words.subject ?? ''}`.trim(), body_text: `${row.body_text ?? ''} ${words.body ?? ''}`.trim() })
      .where('id', '=', id)
      .execute()
    await indexEmails(db(), [id])
  }

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('finds an email by a subject or body word (whole, as a prefix, with a participant word) only where its reader may see the word', async () => {
    for (const reader of READER_NAMES) {
      for (const name of SHARED_NAMES) {
        const access = accessOf(reader, name)
        for (const field of ['subject', 'body'] as const) {
          const word = field === 'subject' ? w.emails[name].subjectWord : w.emails[name].bodyWord
          const prefix = word.slice(0, -2)
          const expected = mayRead(access, field) ? [name] : []
          for (const q of [word, prefix, `dana ${word}`, `dana ${prefix}`, `${word} acm`]) {
            expect([reader, q, await namesFound(reader, q)]).toEqual([reader, q, expected])
          }
        }
      }
    }
  })

  it('finds every email by its participants, whatever the access, and the owners by any field', async () => {
    for (const reader of READER_NAMES) {
      expect((await namesFound(reader, 'dana acme')).sort()).toEqual([...SHARED_NAMES].sort())
    }
    for (const name of SHARED_NAMES) {
      for (const owner of READER_NAMES.filter((r) => accessOf(r, name) === 'owner')) {
        expect(await namesFound(owner, w.emails[name].bodyWord)).toEqual([name])
        expect(await namesFound(owner, w.emails[name].subjectWord)).toEqual([name])
      }
    }
  })

  it('highlights only fields the reader may see: nothing for metadata, the subject for subject, matches in the body for everything', async () => {
    let checked = 0
    for (const reader of READER_NAMES) {
      for (const q of ['dana', 'update', 'notes round', ...SHARED_NAMES]) {
        for (const item of (await search(reader, q)).items) {
          const name = nameOf(item)
          const access = accessOf(reader, name)
          for (const word of withheldWords(access, name)) expect([reader, q, name, item.highlight.includes(word)]).toEqual([reader, q, name, false])
          if (access === 'metadata') expect(item.highlight).toBe('')
          else if (access === 'subject') expect(item.highlight).toContain(`${name}subj`)
          else if (q === 'notes round') expect(item.highlight).toContain('«Notes» on the «round»')
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(50)
  })

  it('scores a restricted email by what its reader sees: more subject or body words withheld from them move nothing', async () => {
    const ranking = async (reader: ReaderName) => (await search(reader, 'dana')).items.map((i) => [nameOf(i), i.score] as const)
    const before = { dee: await ranking('dee'), eve: await ranking('eve'), bob: await ranking('bob'), cat: await ranking('cat') }
    // Beta shows dee its subject only, gamma nothing but participants: the query word, many
    // times, where dee cannot see it.
    await append('beta', { body: 'dana dana dana dana dana' })
    await append('gamma', { subject: 'dana dana', body: 'dana dana dana dana dana' })
    expect(await ranking('dee')).toEqual(before.dee)
    expect(await ranking('eve')).toEqual(before.eve)
    // Their owners see those words: the same change moves the email up for them.
    const score = (list: readonly (readonly [SharedName, number])[], name: SharedName) => list.find(([n]) => n === name)?.[1] ?? 0
    expect(score(await ranking('bob'), 'beta')).toBeGreaterThan(score(before.bob, 'beta'))
    expect((await ranking('cat'))[0]?.[0]).toBe('gamma')
    expect(score(await ranking('cat'), 'gamma')).toBeGreaterThan(score(before.cat, 'gamma'))
  })

  it('finds a thread its owner marked private by participants only, for everyone but its owners', async () => {
    const { alpha } = w.emails
    await w.email.threads.setPrivate(alpha.threadId, true, { actor: READERS.ann.email })
    for (const reader of READER_NAMES) {
      const expected = reader === 'ann' ? ['alpha'] : []
      expect([reader, await namesFound(reader, alpha.bodyWord), await namesFound(reader, alpha.subjectWord)]).toEqual([reader, expected, expected])
      const byParticipants = (await search(reader, 'dana acme')).items.find((i) => i.email.id === alpha.emailId)
      expect([reader, byParticipants?.highlight]).toEqual([reader, reader === 'ann' ? expect.any(String) : ''])
    }
  })

  it('gives the thread list q the answers of search, for each reader', async () => {
    const queries = ['dana', 'update', ...SHARED_NAMES.flatMap((n) => [w.emails[n].subjectWord, w.emails[n].bodyWord, n])]
    for (const reader of READER_NAMES) {
      const viewer = READERS[reader].email
      for (const q of queries) {
        const searched = new Set((await search(reader, q)).items.map((i) => i.email.threadId))
        const listed = new Set((await w.email.threads.list({ q, viewer, limit: 100 })).items.map((i) => i.id))
        expect([reader, q, [...listed].sort()]).toEqual([reader, q, [...searched].sort()])
      }
    }
  })

  it('searches as the signed-in principal on GET /api/email/search', async () => {
    const { email } = routerIntegration(t, w)
    const get = async (reader: ReaderName, q: string) => {
      const principal = READERS[reader]
      const response = await email.tryHandle(
        request('GET', `/api/email/search?q=${q}`, { as: principal.isAdmin ? 'admin' : 'user', headers: { 'x-test-user': principal.email } }),
      )
      if (response === null) throw new Error('the router answered null')
      // The backend's name `postgres` is an answer field, not a leaked driver detail.
      const answer = await read(response, ['postgres'])
      expect(answer.status, answer.text).toBe(200)
      return (answer.body as SearchResult).items.map((i) => [i.email.id, i.email.access])
    }
    const { gamma, beta } = w.emails
    expect(await get('cat', gamma.bodyWord)).toEqual([[gamma.emailId, 'owner']])
    expect(await get('dee', gamma.bodyWord)).toEqual([])
    expect(await get('eve', gamma.bodyWord)).toEqual([])
    expect(await get('dee', beta.subjectWord)).toEqual([[beta.emailId, 'subject']])
    expect(await get('dee', beta.bodyWord)).toEqual([])
  })
})
