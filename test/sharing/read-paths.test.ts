import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { EmailDatabase, EmailDetail, HiddenPage, IdentityFacet, ThreadDetail, ThreadPage } from '../../src/index.js'
import { mayRead, PRIVATE_SUBJECT, withheldBy, type Access } from '../../src/sharing/levels.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { expectError, messageOf, routerIntegration, type RouterIntegration } from '../helpers/http.js'
import { callAs, expectOnlyReadable, worldAccess, type ReaderName } from '../helpers/sharing-http.js'
import { SHARED_NAMES, sharingWorld, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { mail } from '../helpers/sync/setup.js'
import { ANN, BOB, CAT } from '../helpers/team.js'

// Every mail read path through its route, as an owner (ann, cat), a teammate who owns nothing
// (dee) and an admin who owns nothing (eve), over mail held by one mailbox and by two at
// different levels: exact withheld fields, and no withheld word anywhere in an answer.

/** The readers of each path: two owners, a teammate, an admin. */
const READ_AS: readonly ReaderName[] = ['ann', 'cat', 'dee', 'eve']

/** What a one-email thread's summary withholds at an access. */
const threadWithheld = (access: Access) => withheldBy(access).filter((f) => f === 'subject' || f === 'snippet')

describeEachDialect('the sharing rule on every mail read path', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let r: RouterIntegration
  const extra: RouterIntegration[] = []

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  const nameOfThread = (id: string): SharedName => {
    const name = SHARED_NAMES.find((n) => w.emails[n].threadId === id)
    if (name === undefined) throw new Error(`thread ${id} is none of the world's`)
    return name
  }
  /** An integration on the same world with CRM_GMAIL_DETAIL_ACCESS=shared. */
  const sharedDetail = () => {
    const made = routerIntegration(t, w, { config: { detailAccess: 'shared' } })
    extra.push(made)
    return made
  }
  const attachmentIds = async (): Promise<Record<SharedName, string>> => {
    const rows = await db().selectFrom('email_attachments').select(['id', 'email_id']).execute()
    return Object.fromEntries(
      SHARED_NAMES.map((name) => [name, String(rows.find((a) => String(a.email_id) === w.emails[name].emailId)?.id ?? '')]),
    ) as Record<SharedName, string>
  }

  beforeEach(async () => {
    t = await open()
    w = await sharingWorld(t)
    r = routerIntegration(t, w)
  })
  afterEach(async () => {
    for (const made of [r, ...extra.splice(0)]) {
      expect(made.errors).toEqual([])
      await made.email.close()
    }
    await w.close()
    await t.close()
  })

  it('thread list: every reader lists every thread, with the subject and snippet their access allows, and names what it withholds', async () => {
    for (const reader of READ_AS) {
      const answer = await callAs(r.email, reader, 'GET', '/api/email/threads?limit=100')
      expect(answer.status, answer.text).toBe(200)
      const { items } = answer.body as ThreadPage
      const access = worldAccess(reader)
      expect(items.map((th) => nameOfThread(th.id)).sort()).toEqual([...SHARED_NAMES].sort())
      for (const th of items) {
        const name = nameOfThread(th.id)
        const a = access[name]
        const subject = mayRead(a, 'subject') ? `Update ${name}subj` : PRIVATE_SUBJECT
        expect([reader, name, th.subject, th.withheld, th.private]).toEqual([reader, name, subject, threadWithheld(a), false])
        expect([reader, name, th.snippet.includes(w.emails[name].bodyWord)]).toEqual([reader, name, mayRead(a, 'snippet')])
        if (!mayRead(a, 'snippet')) expect(th.snippet).toBe('')
        // Participants, dates, counts and identities are metadata: every level shows them.
        expect(th.participants.map((p) => p.address)).toContain('dana@acme.vc')
        expect(th.identities.map((i) => i.key)).toEqual(['fund:7'])
        expect(th.messageCount).toBe(1)
        expect(th.firstAt).not.toBe('')
      }
      expectOnlyReadable(answer.text, access, w, SHARED_NAMES)
    }
  })

  it('thread detail: the subject and each email as the reader may see them, with exact withheld fields', async () => {
    for (const reader of READ_AS) {
      const access = worldAccess(reader)
      for (const name of SHARED_NAMES) {
        const answer = await callAs(r.email, reader, 'GET', `/api/email/threads/${w.emails[name].threadId}`)
        expect(answer.status, answer.text).toBe(200)
        const thread = answer.body as ThreadDetail
        const a = access[name]
        const where = `${reader} ${name}`
        expect(thread, where).toMatchObject({ id: w.emails[name].threadId, private: false, withheld: mayRead(a, 'subject') ? [] : ['subject'] })
        expect(thread.subject, where).toBe(mayRead(a, 'subject') ? `Update ${name}subj` : PRIVATE_SUBJECT)
        const [email] = thread.emails
        expect(thread.emails).toHaveLength(1)
        expect({ access: email?.access, withheld: email?.withheld }, where).toEqual({ access: a, withheld: withheldBy(a) })
        expect(email?.attachments.map((f) => f.filename), where).toEqual(mayRead(a, 'attachments') ? [`${name}file.pdf`] : [])
        expect(email?.snippet.includes(w.emails[name].bodyWord), where).toBe(mayRead(a, 'snippet'))
        expect(email?.from.address, where).toBe('dana@acme.vc')
        expectOnlyReadable(answer.text, access, w, [name])
      }
    }
  })

  it('a thread of mixed access takes its subject from the oldest email the reader may read and its snippet from the newest', async () => {
    // A reply to gamma (metadata) from ann's mailbox (everything), and a reply to alpha
    // (everything) from bob's (subject).
    const toGamma = mail({ from: ANN, to: ['dana@acme.vc'], subject: 'Follow-up gammareplysubj', body: 'gammareplybody here', date: new Date(Date.UTC(2026, 5, 20, 12)), inReplyTo: 'gamma@acme.vc' })
    const toAlpha = mail({ from: BOB, to: ['dana@acme.vc'], subject: 'Re: alphareplysubj', body: 'alphareplybody here', date: new Date(Date.UTC(2026, 5, 21, 12)), inReplyTo: 'alpha@acme.vc' })
    w.emu.addMessage(ANN, toGamma.raw)
    w.emu.addMessage(BOB, toAlpha.raw)
    await w.email.sync.runAll()
    const thread = async (reader: ReaderName, name: SharedName) => {
      const list = (await callAs(r.email, reader, 'GET', '/api/email/threads?limit=100')).body as ThreadPage
      const detail = (await callAs(r.email, reader, 'GET', `/api/email/threads/${w.emails[name].threadId}`)).body as ThreadDetail
      return { summary: list.items.find((th) => th.id === w.emails[name].threadId), detail }
    }

    const deeGamma = await thread('dee', 'gamma')
    expect(deeGamma.summary).toMatchObject({ subject: 'Follow-up gammareplysubj', withheld: [], messageCount: 2 })
    expect(deeGamma.summary?.snippet).toContain('gammareplybody')
    expect(deeGamma.detail.subject).toBe('Follow-up gammareplysubj')
    expect(deeGamma.detail.emails.map((e) => [e.subject, e.access])).toEqual([[PRIVATE_SUBJECT, 'metadata'], ['Follow-up gammareplysubj', 'everything']])
    expect(JSON.stringify(deeGamma)).not.toMatch(/gammasubj|gammabody|gammafile/)
    // Cat owns gamma: its own subject comes first, the reply's snippet is the newest.
    const catGamma = await thread('cat', 'gamma')
    expect(catGamma.summary).toMatchObject({ subject: 'Update gammasubj', withheld: [] })
    expect(catGamma.summary?.snippet).toContain('gammareplybody')
    expect(catGamma.detail.subject).toBe('Update gammasubj')

    // Bob's reply shows its subject to dee, not its snippet: alpha's snippet stands.
    const deeAlpha = await thread('dee', 'alpha')
    expect(deeAlpha.summary).toMatchObject({ subject: 'Update alphasubj', withheld: [] })
    expect(deeAlpha.summary?.snippet).toContain('alphabody')
    expect(JSON.stringify(deeAlpha)).not.toContain('alphareplybody')
    const bobAlpha = await thread('bob', 'alpha')
    expect(bobAlpha.summary?.snippet).toContain('alphareplybody')
  })

  it('email detail: admins only by default, every user with CRM_GMAIL_DETAIL_ACCESS=shared, and either way the body the access allows', async () => {
    const access = worldAccess('eve')
    for (const name of SHARED_NAMES) {
      const answer = await callAs(r.email, 'eve', 'GET', `/api/email/detail?id=${w.emails[name].emailId}`)
      expect(answer.status, answer.text).toBe(200)
      const detail = answer.body as EmailDetail
      expect({ name, access: detail.access, withheld: detail.withheld }).toEqual({ name, access: access[name], withheld: withheldBy(access[name]) })
      expect([name, detail.bodyText.includes(w.emails[name].bodyWord)]).toEqual([name, mayRead(access[name], 'body')])
      if (!mayRead(access[name], 'body')) expect(detail.bodyText).toBe('')
      expectOnlyReadable(answer.text, access, w, [name])
    }
    // Without the admin role the default gate refuses, owners included.
    for (const reader of ['ann', 'cat', 'dee'] as const) {
      expectError(await callAs(r.email, reader, 'GET', `/api/email/detail?id=${w.emails.epsilon.emailId}`), 403, 'forbidden')
    }

    const shared = sharedDetail()
    expect(shared.email.routes.find((route) => route.pattern === '/api/email/detail')?.access).toBe('user')
    expect(r.email.routes.find((route) => route.pattern === '/api/email/detail')?.access).toBe('admin')
    const deeEpsilon = await callAs(shared.email, 'dee', 'GET', `/api/email/detail?id=${w.emails.epsilon.emailId}`)
    expect(deeEpsilon.status).toBe(200)
    expect((deeEpsilon.body as EmailDetail).bodyText).toContain('epsilonbody')
    const deeGamma = await callAs(shared.email, 'dee', 'GET', `/api/email/detail?id=${w.emails.gamma.emailId}`)
    expect(deeGamma.status).toBe(200)
    expect(deeGamma.body).toMatchObject({ subject: PRIVATE_SUBJECT, bodyText: '', snippet: '', attachments: [], access: 'metadata', withheld: ['subject', 'snippet', 'body', 'attachments'] })
    expectOnlyReadable(deeGamma.text, worldAccess('dee'), w)
    const catGamma = await callAs(shared.email, 'cat', 'GET', `/api/email/detail?id=${w.emails.gamma.emailId}`)
    expect(catGamma.body).toMatchObject({ subject: 'Update gammasubj', access: 'owner', withheld: [] })
    expect((catGamma.body as EmailDetail).bodyText).toContain('gammabody')
  })

  it('attachments: a withheld one answers as an unknown one, for an admin too; the detail gate applies', async () => {
    const ids = await attachmentIds()
    const unknown = await callAs(r.email, 'eve', 'GET', '/api/email/attachments/999999')
    expectError(unknown, 404, 'not_found')
    const check = async (email: RouterIntegration, reader: ReaderName) => {
      const access = worldAccess(reader)
      for (const name of SHARED_NAMES) {
        const answer = await callAs(email.email, reader, 'GET', `/api/email/attachments/${ids[name]}`)
        if (mayRead(access[name], 'attachments')) {
          expect([reader, name, answer.status]).toEqual([reader, name, 200])
          expect(answer.text).toBe(`%PDF-1.4 ${name} bytes`)
        } else {
          expectError(answer, 404, 'not_found')
          expect(messageOf(answer)).toBe(`attachment ${ids[name]} not found`)
          expectOnlyReadable(answer.text, access, w)
        }
      }
    }
    await check(r, 'eve')
    for (const reader of ['cat', 'dee'] as const) expectError(await callAs(r.email, reader, 'GET', `/api/email/attachments/${ids.alpha}`), 403, 'forbidden')
    const shared = sharedDetail()
    for (const reader of ['ann', 'cat', 'dee'] as const) await check(shared, reader)
    // The programmatic API applies the same rule.
    await expect(w.email.attachments.open(ids.gamma, { viewer: BOB })).rejects.toMatchObject({ code: 'not_found' })
    await expect(w.email.attachments.open(ids.gamma, { viewer: CAT })).resolves.toMatchObject({ filename: 'gammafile.pdf' })
  })

  it('identity facet: identities are metadata, so every reader gets the same counts, and they agree with the list', async () => {
    const facets: IdentityFacet[] = []
    for (const reader of READ_AS) {
      const answer = await callAs(r.email, reader, 'GET', '/api/email/identities')
      expect(answer.status, answer.text).toBe(200)
      const facet = answer.body as IdentityFacet
      facets.push(facet)
      expectOnlyReadable(answer.text, worldAccess(reader), w)
      for (const identity of facet.items) {
        const list = (await callAs(r.email, reader, 'GET', `/api/email/threads?limit=100&identity=${encodeURIComponent(identity.key)}`)).body as ThreadPage
        // Every thread of the world holds one email, so the threads listed are the emails counted.
        expect([reader, identity.key, list.items.reduce((sum, th) => sum + th.messageCount, 0)]).toEqual([reader, identity.key, identity.count])
      }
    }
    expect(facets[0]?.items).toEqual([{ key: 'fund:7', type: 'fund', id: '7', name: 'Acme Ventures', count: SHARED_NAMES.length }])
    for (const facet of facets) expect(facet).toEqual(facets[0])
  })

  it('hidden list: the admin sees each subject at her own access, not past it', async () => {
    for (const name of SHARED_NAMES) {
      expect((await callAs(r.email, 'eve', 'POST', `/api/email/${w.emails[name].emailId}/hide`)).status).toBe(200)
    }
    const answer = await callAs(r.email, 'eve', 'GET', '/api/email/hidden?limit=100')
    expect(answer.status, answer.text).toBe(200)
    const { items } = answer.body as HiddenPage
    const access = worldAccess('eve')
    expect(items).toHaveLength(SHARED_NAMES.length)
    for (const item of items) {
      const name = SHARED_NAMES.find((n) => w.emails[n].emailId === item.id) ?? 'alpha'
      const readable = mayRead(access[name], 'subject')
      expect([name, item.subject, item.withheld]).toEqual([name, readable ? `Update ${name}subj` : PRIVATE_SUBJECT, readable ? [] : ['subject']])
      expect(item.from.address).toBe('dana@acme.vc')
    }
    expectOnlyReadable(answer.text, access, w, SHARED_NAMES)
    expectError(await callAs(r.email, 'dee', 'GET', '/api/email/hidden'), 403, 'forbidden')
    // Its owner reads gamma's subject; the programmatic list without a viewer is the team's view.
    const asCat = await w.email.emails.listHidden({ limit: 100, viewer: CAT })
    expect(asCat.items.find((i) => i.id === w.emails.gamma.emailId)).toMatchObject({ subject: 'Update gammasubj', withheld: [] })
    const asTeam = await w.email.emails.listHidden({ limit: 100 })
    expect(asTeam.items.find((i) => i.id === w.emails.gamma.emailId)).toMatchObject({ subject: PRIVATE_SUBJECT, withheld: ['subject'] })
  })
})
