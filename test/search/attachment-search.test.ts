import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { EmailDatabase } from '../../src/db/database.js'
import { indexEmails, MAX_INDEXED_ATTACHMENT_CHARS } from '../../src/db/search-index.js'
import type { AttachmentTextStatus } from '../../src/db/search-tables.js'
import type { SearchItem } from '../../src/search/api.js'
import { mayRead, type Access } from '../../src/sharing/levels.js'
import { mailWithAttachments } from '../helpers/attachment-mail.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { HOLDERS, READERS, SHARED_NAMES, sharingWorld, TEAM_ACCESS, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN] = TEAM as [string, ...string[]]
const EVE = READERS.eve.email

/** A file of a test email: its name and, once "extracted", what its text row says. */
interface TestFile {
  readonly name: string
  readonly status?: AttachmentTextStatus
  readonly text?: string | null
}

/** Stores text rows for an email's attachments as extraction would, and reindexes the email. */
async function addTexts(db: Kysely<EmailDatabase>, emailId: number, files: readonly TestFile[]): Promise<void> {
  for (const file of files) {
    if (file.status === undefined) continue
    const attachment = await db
      .selectFrom('email_attachments')
      .select('id')
      .where('email_id', '=', emailId)
      .where('filename', '=', file.name)
      .executeTakeFirstOrThrow()
    await db
      .insertInto('email_attachment_texts')
      .values({
        attachment_id: attachment.id,
        email_id: emailId,
        status: file.status,
        text: file.text ?? null,
        error: file.status === 'failed' ? 'the reader ran out of time' : null,
        extracted_at: new Date().toISOString(),
      })
      .execute()
  }
  await indexEmails(db, [emailId])
}

describeEachDialect('keyword search inside attachments', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  const ids = new Map<string, number>()
  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const idOf = (name: string): number => ids.get(name) ?? -1

  /** Delivers a CRM message with files to Ann, syncs it and stores its files' text rows. */
  const deliver = async (name: string, body: string, files: readonly TestFile[]) => {
    const messageId = `${name}@acme.vc`
    const bytes = (n: string) => Buffer.from(`%PDF-1.4 ${n}`)
    w.emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId, date: new Date(Date.UTC(2026, 5, 1 + ids.size, 12)), subject: `About ${name}`, text: body, files: files.map((f) => ({ name: f.name, bytes: bytes(f.name) })) }))
    await w.email.sync.runAll()
    await w.email.attachments.downloadPending()
    const row = await db().selectFrom('emails').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()
    ids.set(name, row.id)
    await addTexts(db(), row.id, files)
  }
  const search = async (q: string): Promise<SearchItem[]> => [...(await w.email.search(q, { viewer: ANN })).items]
  const names = async (q: string): Promise<string[]> => (await search(q)).map((i) => [...ids].find(([, id]) => String(id) === i.email.id)?.[0] ?? i.email.id)

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    ids.clear()
    await deliver('deal', 'Please review the attached before Friday.', [
      { name: 'term-sheet.pdf', status: 'extracted', text: 'Section 4. The investor shall receive a quillbrook preference equal to one times the purchase price.' },
      { name: 'cap-table.xlsx', status: 'extracted', text: 'Seed round\tquillbrook 20%\nmarrowgate 5%' },
    ])
    await deliver('notes', 'Nothing to see in the body.', [
      { name: 'notes.pdf', status: 'failed', text: 'brambleton' },
      { name: 'scan.pdf', status: 'empty', text: null },
    ])
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('finds an email by a word only an attached file holds, names the file and quotes the passage with the word marked', async () => {
    const attachments = await db().selectFrom('email_attachments').select(['id', 'filename']).where('email_id', '=', idOf('deal')).execute()
    const termSheet = attachments.find((a) => a.filename === 'term-sheet.pdf')
    for (const q of ['quillbrook', 'quillbr', 'Quillbrook!', 'dana quillbr']) {
      const [item, ...rest] = await search(q)
      expect([q, rest.length, item?.email.id]).toEqual([q, 0, String(idOf('deal'))])
      expect(item?.attachment).toEqual({ id: termSheet?.id, filename: 'term-sheet.pdf' })
      expect(item?.highlight).toBe('… 4. The investor shall receive a «quillbrook» preference equal to one times the purchase price.')
      // The file the hit names is one of the email's attachments as the reader sees them.
      expect(item?.email.attachments.map((a) => a.id)).toContain(String(termSheet?.id))
    }
    expect(await names('quillbrook nowhereword')).toEqual([])
  })

  it('finds an email by one word in its body and another in a file (every word in some field), and quotes the file', async () => {
    const [item, ...rest] = await search('friday quillbrook')
    expect([rest.length, item?.email.id, item?.attachment?.filename]).toEqual([0, String(idOf('deal')), 'term-sheet.pdf'])
    expect(item?.highlight).toContain('«quillbrook»')
    expect(await names('friday brambleton')).toEqual([])
  })

  it('names the attached file holding the most of the query words, the first one on a tie', async () => {
    const file = async (q: string) => (await search(q)).map((i) => [i.attachment?.filename, i.highlight])
    expect(await file('marrowgate')).toEqual([['cap-table.xlsx', 'Seed round quillbrook 20% «marrowgate» 5%']])
    expect(await file('quillbrook')).toEqual([['term-sheet.pdf', expect.stringContaining('«quillbrook» preference')]])
    expect(await file('quillbrook marrowgate')).toEqual([['cap-table.xlsx', 'Seed round «quillbrook» 20% «marrowgate» 5%']])
    expect(await file('preference marrowgate')).toEqual([['term-sheet.pdf', expect.stringContaining('«preference»')]])
  })

  it('keeps the email own highlight, naming no file, when its own text holds every word', async () => {
    await deliver('both', 'A long body that mentions ledgerline once among many other words of no interest here at all.', [
      { name: 'plan.pdf', status: 'extracted', text: 'ledgerline ledgerline ledgerline crossing' },
    ])
    const [item, ...rest] = await search('ledgerline')
    expect([rest.length, item?.email.subject, item?.attachment]).toEqual([0, 'About both', undefined])
    expect(item?.highlight).toContain('mentions «ledgerline» once')
    expect(item?.highlight).not.toContain('crossing')
  })

  it('ranks a word in the body above the same word in an attached file', async () => {
    const text = 'The orchardly figures are in, and the plan too.'
    await deliver('filehit', 'See attached.', [{ name: 'memo.pdf', status: 'extracted', text }])
    await deliver('bodyhit', text, [{ name: 'plan.pdf', status: 'extracted', text: 'Nothing of note.' }])
    const items = await search('orchardly')
    expect(items.map((i) => [i.email.subject, i.attachment?.filename])).toEqual([
      ['About bodyhit', undefined],
      ['About filehit', 'memo.pdf'],
    ])
    expect(items[0]?.highlight).toContain('The «orchardly» figures are in')
    expect(items[1]?.highlight).toBe('The «orchardly» figures are in, and the plan too.')
    expect(items[0]?.score).toBeGreaterThan(items[1]?.score ?? Infinity)
  })

  it('adds nothing from text rows that were not extracted (failed, empty)', async () => {
    expect(await names('brambleton')).toEqual([])
    expect(await names('nothing see')).toEqual(['notes'])
    expect((await search('nothing see'))[0]?.attachment).toBeUndefined()
  })

  it('stops finding an email by its files when it is hidden, and finds it again once restored', async () => {
    await w.email.emails.hide(idOf('deal'), EVE)
    expect(await names('quillbrook')).toEqual([])
    await w.email.emails.restore(idOf('deal'), { actor: EVE })
    expect(await names('quillbrook')).toEqual(['deal'])
  })

  it('indexes the first attachment characters of an email, its files together, and never fails on a long text', async () => {
    // Distinct three-character CJK words: the costliest text for a PostgreSQL tsvector (1 MB of
    // words and positions at most), 3.5 bytes of it per character; these would need 1.05 MB.
    const words = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => [from + i, (from + i) / 20_000, 0].map((n) => String.fromCharCode(0x4e00 + (Math.floor(n) % 20_000))).join('')).join(' ')
    await deliver('long', `${words(0, 24_990)} bodyend`, [
      { name: 'a.txt', status: 'extracted', text: `firstfile ${words(30_000, 54_000)} midword` },
      { name: 'b.txt', status: 'extracted', text: `secondfile ${words(60_000, 90_000)}` },
      { name: 'c.txt', status: 'extracted', text: `past ${'x '.repeat(MAX_INDEXED_ATTACHMENT_CHARS)} farword` },
    ])
    expect(await names('firstfile')).toEqual(['long'])
    expect(await names('bodyend')).toEqual(['long'])
    expect(await names('farword')).toEqual([])
    expect(await names('past')).toEqual([])
    // SQLite keeps every word of the bounded text; PostgreSQL as many as a tsvector holds.
    if (t.dialect === 'sqlite') expect([await names('midword'), await names('secondfile')]).toEqual([['long'], ['long']])
  })
})

describeEachDialect('attachment text under the sharing rule', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  const db = () => t.db as unknown as Kysely<EmailDatabase>
  type Reader = keyof typeof READERS
  const accessOf = (reader: Reader, name: SharedName): Access =>
    (HOLDERS[name] as readonly string[]).includes(READERS[reader].email) ? 'owner' : TEAM_ACCESS[name]
  const clause = (name: SharedName) => `${name}clause`
  const search = (reader: Reader, q: string) => w.email.search(q, { viewer: READERS[reader].email })

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
    for (const name of SHARED_NAMES) {
      const text = `Schedule A of the agreement: the ${clause(name)} applies to dana and acme.`
      await addTexts(db(), Number(w.emails[name].emailId), [{ name: `${name}file.pdf`, status: 'extracted', text }])
    }
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('finds an email by its attachment text only for readers who may read its body, and names the file to them alone', async () => {
    for (const reader of Object.keys(READERS) as Reader[]) {
      const viewer = READERS[reader].email
      for (const name of SHARED_NAMES) {
        const readable = mayRead(accessOf(reader, name), 'attachments')
        for (const q of [clause(name), clause(name).slice(0, -3), `dana ${clause(name)}`]) {
          const found = (await search(reader, q)).items.map((i) => [i.email.id, i.attachment?.filename])
          expect([reader, q, found]).toEqual([reader, q, readable ? [[w.emails[name].emailId, `${name}file.pdf`]] : []])
          // The thread list's q asks the same question.
          const listed = (await w.email.threads.list({ q, viewer, limit: 100 })).items.map((i) => i.id)
          expect([reader, q, listed]).toEqual([reader, q, readable ? [w.emails[name].threadId] : []])
        }
      }
    }
  })

  it('never shows attachment text to a reader who may not read it, even in an answer that finds the email another way', async () => {
    let withheld = 0
    for (const reader of Object.keys(READERS) as Reader[]) {
      // Every email holds `dana` and `acme` in its participants (and in its file), `schedule` only in its file.
      for (const q of ['dana acme', 'dana schedule', 'schedule']) {
        const answer = await search(reader, q)
        const serialized = JSON.stringify(answer)
        for (const name of SHARED_NAMES) {
          const item = answer.items.find((i) => i.email.id === w.emails[name].emailId)
          const inFile = q.includes('schedule')
          if (mayRead(accessOf(reader, name), 'attachments')) {
            // Its own fields holding every word, a hit quotes the email, not the file.
            const passage: unknown = expect.stringContaining(`«Schedule» A of the agreement: the ${clause(name)}`)
            const expected: unknown[] = inFile ? [`${name}file.pdf`, passage] : [undefined, item?.highlight]
            expect([reader, q, name, item?.attachment?.filename, item?.highlight]).toEqual([reader, q, name, ...expected])
            if (!inFile) expect(item?.highlight).not.toContain('Schedule')
            continue
          }
          withheld++
          const shown = JSON.stringify(item ?? {})
          expect([reader, q, name, item === undefined, serialized.includes(clause(name)), shown.includes('Schedule'), shown.includes('file.pdf')]).toEqual([
            reader,
            q,
            name,
            inFile,
            false,
            false,
            false,
          ])
        }
      }
    }
    expect(withheld).toBeGreaterThan(15)
  })

  it('scores an email by attachment text only for readers who may read it', async () => {
    const ranking = async (reader: Reader) => (await search(reader, 'dana')).items.map((i) => [i.email.id, i.score] as const)
    const before = { dee: await ranking('dee'), cat: await ranking('cat') }
    // Gamma shows dee only its participants; its owner cat reads it whole.
    const gamma = Number(w.emails.gamma.emailId)
    await db().updateTable('email_attachment_texts').set({ text: 'dana dana dana dana dana dana' }).where('email_id', '=', gamma).execute()
    await indexEmails(db(), [gamma])
    expect(await ranking('dee')).toEqual(before.dee)
    const score = (list: readonly (readonly [string, number])[]) => list.find(([id]) => id === w.emails.gamma.emailId)?.[1] ?? 0
    expect(score(await ranking('cat'))).toBeGreaterThan(score(before.cat))
  })
})
