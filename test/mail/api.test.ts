import { afterEach, beforeEach, expect, it } from 'vitest'
import { NotFoundError, ValidationError } from '../../src/index.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number) => new Date(Date.UTC(2026, 5, d, 12))

describeEachDialect('reading stored mail', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  const ids: Record<string, string> = {}

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    const add = (name: string, m: ReturnType<typeof mail>, boxes: string[]) => {
      for (const box of boxes) w.emu.addMessage(box, m.raw)
      ids[name] = m.messageId
    }
    const fundMail = mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Fund update', date: day(1) })
    add('fund', fundMail, [ANN, BOB])
    add('fundReply', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Re: Fund update', date: day(2), inReplyTo: fundMail.messageId }), [ANN])
    add('org', mail({ from: 'ceo@globex.example', to: [ANN], subject: 'Globex intro', date: day(3) }), [ANN])
    // Dana writes from a free-mail address: only her exact address links her contact.
    add('contact', mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee?', date: day(4) }), [BOB])
    add('contact2', mail({ from: 'dana@gmail.com', to: [ANN], subject: 'Dana and Acme', date: day(5) }), [ANN])
    add('late', mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday.' }), [BOB])
    await w.email.sync.runAll()
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('lists threads newest first, a page at a time, with a cursor that cannot be forged', async () => {
    const first = await w.email.threads.list({ limit: 2 })
    expect(first.items.map((th) => th.subject)).toEqual(['Capital call', 'Dana and Acme'])
    expect(first.nextCursor).not.toBeNull()
    const rest = await w.email.threads.list({ limit: 10, cursor: first.nextCursor ?? '' })
    expect(rest.items.map((th) => th.subject)).toEqual(['Coffee?', 'Globex intro', 'Fund update'])
    expect(rest.nextCursor).toBeNull()
    const thread = rest.items.find((th) => th.subject === 'Fund update')
    expect(thread).toMatchObject({ messageCount: 2, firstAt: day(1).toISOString(), lastAt: day(2).toISOString() })
    expect(thread?.identities.map((i) => i.key)).toEqual(['fund:7'])
    const forged = `${first.nextCursor?.slice(0, -2) ?? ''}xx`
    await expect(w.email.threads.list({ cursor: forged })).rejects.toBeInstanceOf(ValidationError)
    await expect(w.email.threads.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError)
  })

  it('filters by typed identity (a bare id means fund:, an unknown prefix matches nothing) and by date', async () => {
    const subjects = async (filter: Parameters<typeof w.email.threads.list>[0]) =>
      (await w.email.threads.list(filter)).items.map((th) => th.subject).sort()
    expect(await subjects({ identity: 'fund:7' })).toEqual(['Capital call', 'Fund update'])
    expect(await subjects({ identity: '7' })).toEqual(['Capital call', 'Fund update'])
    expect(await subjects({ identity: 'org:o-1' })).toEqual(['Globex intro'])
    expect(await subjects({ identity: 'contact:c-1' })).toEqual(['Coffee?', 'Dana and Acme'])
    expect(await subjects({ identity: 'addr:ceo@globex.example' })).toEqual(['Globex intro'])
    expect(await subjects({ identity: 'grid:7' })).toEqual([])
    expect(await subjects({ from: '2026-06-03', to: '2026-06-04' })).toEqual(['Coffee?', 'Globex intro'])
    await expect(w.email.threads.list({ from: '2026-13-01' })).rejects.toBeInstanceOf(ValidationError)
  })

  it('gives the identity facet of the filter, consistent with the list', async () => {
    const facet = await w.email.identities()
    expect(facet.items.map((i) => [i.key, i.name, i.count])).toEqual([
      ['fund:7', 'Acme Ventures', 3],
      ['org:o-1', 'Globex', 1],
      ['contact:c-1', 'Dana Diaz', 2],
    ])
    const june = await w.email.identities({ from: '2026-06-05' })
    expect(june.items.map((i) => [i.key, i.count])).toEqual([
      ['fund:7', 1],
      ['contact:c-1', 1],
    ])
  })

  it('shows a thread with its mailboxes, the full text only on detail, and hides mail everywhere', async () => {
    const page = await w.email.threads.list({ identity: 'fund:7' })
    const fundThread = page.items.find((th) => th.subject === 'Fund update')!
    const thread = await w.email.threads.get(fundThread.id)
    expect(thread.emails.map((e) => e.messageId)).toEqual([ids.fund, ids.fundReply])
    expect(thread.emails[0]?.mailboxes).toEqual([ANN, BOB])
    expect(thread.emails[0]).not.toHaveProperty('bodyText')
    const late = (await w.email.threads.list({ identity: 'fund:7' })).items.find((th) => th.subject === 'Capital call')!
    const lateEmail = (await w.email.threads.get(late.id)).emails[0]!
    expect((await w.email.emails.get(lateEmail.id)).bodyText).toBe('Please wire the capital call by Friday.')

    const reply = thread.emails[1]!
    await w.email.emails.hide(reply.id, ANN)
    expect((await w.email.threads.get(fundThread.id)).emails.map((e) => e.id)).toEqual([thread.emails[0]?.id])
    expect((await w.email.threads.list({ identity: 'fund:7' })).items.find((th) => th.id === fundThread.id)?.messageCount).toBe(1)
    await expect(w.email.emails.get(reply.id)).rejects.toBeInstanceOf(NotFoundError)
    expect((await w.email.identities()).items.find((i) => i.key === 'fund:7')?.count).toBe(2)
    await w.email.emails.restore(reply.id)
    expect((await w.email.threads.get(fundThread.id)).emails).toHaveLength(2)

    await expect(w.email.threads.get('999999')).rejects.toBeInstanceOf(NotFoundError)
    await expect(w.email.threads.get('abc')).rejects.toBeInstanceOf(ValidationError)
  })

  it('searches content through the integration, right after the sync, never finding hidden mail', async () => {
    const found = await w.email.search('wire capital')
    expect(found.items[0]?.email.subject).toBe('Capital call')
    expect(found.items[0]?.highlight).toContain('«')
    expect(['fts5', 'postgres']).toContain(found.backend)
    await w.email.emails.hide(found.items[0]?.email.id ?? '', ANN)
    expect((await w.email.search('wire capital')).items).toEqual([])
    await expect(w.email.search('   ')).rejects.toBeInstanceOf(ValidationError)
  })
})
