import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EmailConfigInput } from '../../src/config/index.js'
import type { IntegrationContext } from '../../src/context.js'
import { createDigestApi, type DigestApiOptions } from '../../src/digest/api.js'
import { escapeHtml } from '../../src/digest/render.js'
import type { Digest } from '../../src/digest/types.js'
import { parseDigestWindow } from '../../src/digest/window.js'
import { startOfZonedDay, zonedTime } from '../../src/digest/zone.js'
import { extractiveSummary } from '../../src/digest/summarizer.js'
import { ConflictError, ValidationError } from '../../src/errors.js'
import type { DirectoryEntry } from '../../src/hooks.js'
import { createRouter } from '../../src/http/router.js'
import { digestRoutes } from '../../src/http/routes/digest-routes.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { directoryCacheOf, testContext } from '../helpers/context.js'
import { startScriptedServer, type Reply, type ScriptedServer } from '../helpers/scripted-server.js'
import { DIRECTORY, mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string, ...string[]]
const day = (d: number, hour = 12) => new Date(Date.UTC(2026, 5, d, hour))
const NOW = day(7)
const XSS_SUBJECT = `<script>alert("pwn")</script> & 'deal'`

describe('digest windows, time zones and escaping', () => {
  const now = new Date('2026-06-06T18:00:00Z')

  it('reads { hours } and { since } (a date in the digest time zone, or a date-time)', () => {
    expect(parseDigestWindow({ hours: 24 }, now, 'UTC')).toEqual({ from: '2026-06-05T18:00:00.000Z', to: now.toISOString() })
    expect(parseDigestWindow({ hours: '6' }, now, 'UTC').from).toBe('2026-06-06T12:00:00.000Z')
    expect(parseDigestWindow({ since: '2026-06-06' }, now, 'UTC').from).toBe('2026-06-06T00:00:00.000Z')
    expect(parseDigestWindow({ since: '2026-06-06' }, now, 'America/New_York').from).toBe('2026-06-06T04:00:00.000Z')
    expect(parseDigestWindow({ since: '2026-06-06T10:00:00+02:00' }, now, 'UTC').from).toBe('2026-06-06T08:00:00.000Z')
  })

  it('refuses anything else with a ValidationError naming the field', () => {
    const cases: [unknown, string][] = [
      [{}, 'hours or since'],
      [null, 'window'],
      [{ hours: 0 }, 'hours'],
      [{ hours: 721 }, 'hours'],
      [{ hours: 1.5 }, 'hours'],
      [{ hours: Number.NaN }, 'hours'],
      [{ hours: 'abc' }, 'hours'],
      [{ hours: true }, 'hours'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2026-02-30' }, 'since'],
      [{ since: 20260601 }, 'since'],
      [{ since: '2026-06-07' }, 'since'],
      [{ since: '2026-06-06T19:00:00Z' }, 'since'],
      [{ hours: 1, since: '2026-06-01' }, 'hours, since'],
    ]
    for (const [input, field] of cases) {
      let caught: unknown
      try {
        parseDigestWindow(input, now, 'UTC')
      } catch (error) {
        caught = error
      }
      expect(caught, JSON.stringify(input)).toBeInstanceOf(ValidationError)
      expect((caught as ValidationError).message.startsWith(`${field}:`), (caught as ValidationError).message).toBe(true)
      expect((caught as ValidationError).status).toBe(400)
    }
  })

  it('knows the local date and hour, and local midnight, across zones', () => {
    expect(zonedTime(new Date('2026-06-01T22:30:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-06-02', hour: 0 })
    expect(zonedTime(new Date('2026-06-01T22:30:00Z'), 'UTC')).toEqual({ date: '2026-06-01', hour: 22 })
    expect(startOfZonedDay('2026-06-02', 'Europe/Berlin').toISOString()).toBe('2026-06-01T22:00:00.000Z')
    expect(startOfZonedDay('2026-01-02', 'Europe/Berlin').toISOString()).toBe('2026-01-01T23:00:00.000Z')
    expect(startOfZonedDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z')
  })

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;')
  })

  it('summarizes extractively from the first sentences, bounded', () => {
    const threads = [{ subject: 's', lastAt: now.toISOString(), messageCount: 2, participants: [] }]
    expect(extractiveSummary({ threads, excerpts: ['Please wire it by Friday. Thanks!', 'Second one? Yes.'] })).toBe('Please wire it by Friday. Second one?')
    expect(extractiveSummary({ threads, excerpts: [] })).toBe('2 emails in 1 thread.')
    expect(extractiveSummary({ threads, excerpts: ['x'.repeat(10_000)] }).length).toBeLessThanOrEqual(1_200)
  })
})

describeEachDialect('the digest', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let model: ScriptedServer | null = null
  let reply: () => Reply = () => ({ status: 200, body: { choices: [{ message: { content: 'Model summary.' } }] } })

  beforeAll(async () => {
    t = await open()
    w = await syncWorld(t)
    const fund = mail({ from: 'partner@acme.vc', to: [ANN, BOB], subject: 'Fund update', date: day(1) })
    const messages = [
      [fund, [ANN, BOB]],
      [mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Re: Fund update', date: day(2), inReplyTo: fund.messageId }), [ANN]],
      [mail({ from: 'ceo@globex.example', to: [ANN], subject: XSS_SUBJECT, date: day(3), body: `<img src=x onerror="alert(1)"> is the deck. More later.` }), [ANN]],
      [mail({ from: 'dana@gmail.com', to: [BOB], subject: 'Coffee?', date: day(4) }), [BOB]],
      [mail({ from: 'dana@gmail.com', to: [ANN, 'partner@acme.vc'], subject: 'Dana and Acme', date: day(5) }), [ANN]],
      [mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Secret terms', date: day(5, 13) }), [ANN]],
      [mail({ from: 'ops@acme.vc', to: [BOB], subject: 'Capital call', date: day(6), body: 'Please wire the capital call by Friday. Thanks, Ops.' }), [BOB]],
    ] as const
    for (const [m, boxes] of messages) for (const box of boxes) w.emu.addMessage(box, m.raw)
    await w.email.sync.runAll()
    const page = await w.email.threads.list({ identity: 'fund:7', limit: 100 })
    const secret = page.items.find((th) => th.subject === 'Secret terms')
    const detail = await w.email.threads.get(secret?.id ?? '')
    await w.email.emails.hide(detail.emails.at(0)?.id ?? '', 'admin@fund.example')
    model = await startScriptedServer(() => reply())
  })
  afterAll(async () => {
    await model?.close()
    await w.close()
    await t.close()
  })
  beforeEach(async () => {
    await t.db.deleteFrom('email_digest_runs' as never).execute()
    model?.requests.splice(0)
    reply = () => ({ status: 200, body: { choices: [{ message: { content: 'Model summary.' } }] } })
  })

  const contextAt = (now: () => Date, config: EmailConfigInput = {}, directory: readonly DirectoryEntry[] = DIRECTORY): IntegrationContext => ({
    ...testContext(t.db, config, now),
    directory: () => Promise.resolve(directory),
  })
  const withModel: () => EmailConfigInput = () => ({ summarizer: { url: `${model?.url ?? ''}/v1`, model: 'test-model' } })
  const api = (options: DigestApiOptions = {}, config: EmailConfigInput = {}, now = () => NOW) => {
    const context = contextAt(now, config)
    return createDigestApi(context, directoryCacheOf(context), options)
  }
  const runCount = async () => (await t.db.selectFrom('email_digest_runs' as never).selectAll().execute()).length

  it('groups the CRM mail of the window by identity, by precedence then activity, without hidden mail', async () => {
    const digest = await api().preview({ since: '2026-06-01' })
    expect(digest.window).toEqual({ from: '2026-06-01T00:00:00.000Z', to: NOW.toISOString() })
    expect(digest.groups.map((g) => [g.identity.key, g.identity.name, g.emailCount])).toEqual([
      ['fund:7', 'Acme Ventures', 4],
      ['org:o-1', 'Globex', 1],
      ['contact:c-1', 'Dana Diaz', 2],
    ])
    const fund = digest.groups[0]!
    expect(fund.threads.map((th) => [th.subject, th.messageCount, th.lastAt])).toEqual([
      ['Capital call', 1, day(6).toISOString()],
      ['Dana and Acme', 1, day(5).toISOString()],
      ['Fund update', 2, day(2).toISOString()],
    ])
    expect(fund.threads[2]!.participants.map((p) => p.address)).toEqual(['partner@acme.vc', ANN, BOB])
    expect(digest.groups[2]!.threads.map((th) => th.subject)).toEqual(['Dana and Acme', 'Coffee?'])
    expect(digest.emailCount).toBe(6)
    expect(digest.summarizer).toBe('extractive')
    expect(fund.summary).toContain('Please wire the capital call by Friday.')
    expect(fund.summary).not.toContain('Thanks, Ops')
    expect(digest.summary).toContain('Acme Ventures (4)')
    for (const rendered of [digest.text, digest.html, JSON.stringify(digest)]) expect(rendered).not.toContain('Secret terms')
    expect(digest.text).toContain('Acme Ventures (fund), 4 emails')
  })

  it('counts threads within the window, and an identity gone from the directory falls back to its address, last', async () => {
    const cut = await api().preview({ since: '2026-06-02' })
    expect(cut.groups[0]!.threads.find((th) => th.subject === 'Fund update')?.messageCount).toBe(1)
    const noGlobexContext = contextAt(() => NOW, {}, DIRECTORY.filter((d) => d.id !== 'o-1'))
    const noGlobex = createDigestApi(noGlobexContext, directoryCacheOf(noGlobexContext))
    const digest = await noGlobex.preview({ hours: 720 })
    expect(digest.groups.map((g) => g.identity.key)).toEqual(['fund:7', 'contact:c-1', 'addr:ceo@globex.example'])
  })

  it('reads both window forms: the last hours, and since a date-time', async () => {
    const evening = () => day(6, 18)
    const byHours = await api({}, {}, evening).preview({ hours: 24 })
    expect(byHours.window.from).toBe(day(5, 18).toISOString())
    expect(byHours.groups.map((g) => [g.identity.key, g.threads.map((th) => th.subject)])).toEqual([['fund:7', ['Capital call']]])
    const bySince = await api({}, {}, evening).preview({ since: '2026-06-04T00:00:00Z' })
    expect(bySince.groups.map((g) => g.identity.key)).toEqual(['fund:7', 'contact:c-1'])
    await expect(api().preview({ hours: 0 })).rejects.toBeInstanceOf(ValidationError)
    await expect(api().preview({ since: '2026-06-08' })).rejects.toBeInstanceOf(ValidationError)
  })

  it('builds a quiet window without asking the model', async () => {
    const digest = await api({}, withModel()).preview({ since: '2026-06-07T00:00:00Z' })
    expect(digest.groups).toEqual([])
    expect(digest.emailCount).toBe(0)
    expect(digest.summary).toMatch(/quiet/i)
    expect(digest.text).toMatch(/quiet/i)
    expect(digest.summarizer).toBe('extractive')
    expect(model?.requests).toHaveLength(0)
  })

  it('asks the configured OpenAI-compatible endpoint for every summary', async () => {
    const digest = await api({}, withModel()).preview({ since: '2026-06-01' })
    expect(digest.summarizer).toBe('llm')
    expect(digest.summary).toBe('Model summary.')
    expect(digest.groups.map((g) => [g.summary, g.summarizer])).toEqual(Array(3).fill(['Model summary.', 'llm']))
    const requests = model?.requests ?? []
    expect(requests).toHaveLength(4)
    for (const r of requests) {
      expect([r.method, r.path, r.headers['content-type']]).toEqual(['POST', '/v1/chat/completions', 'application/json'])
      const body = JSON.parse(r.body) as { model: string; messages: { role: string; content: string }[] }
      expect(body.model).toBe('test-model')
      expect(body.messages.map((m) => m.role)).toEqual(['system', 'user'])
    }
    const first = JSON.parse(requests[0]!.body) as { messages: { content: string }[] }
    expect(first.messages[1]!.content).toContain('Acme Ventures')
    expect(first.messages[1]!.content).toContain('Capital call')
    expect(first.messages[1]!.content).toContain('Please wire the capital call by Friday.')
  })

  it('falls back to extractive summaries when the model fails, without asking again', async () => {
    reply = () => ({ status: 500, body: { error: 'boom' } })
    const digest = await api({}, withModel()).preview({ since: '2026-06-01' })
    expect(digest.summarizer).toBe('extractive')
    expect(digest.groups[0]!.summary).toContain('Please wire the capital call by Friday.')
    expect(model?.requests).toHaveLength(1)
    reply = () => ({ status: 200, body: { choices: [] } })
    expect((await api({}, withModel()).preview({ since: '2026-06-01' })).summarizer).toBe('extractive')
  })

  it('falls back when the model never answers, after the timeout', async () => {
    reply = () => ({ hang: true })
    const started = Date.now()
    const digest = await api({ summarizerTimeoutMs: 150 }, withModel()).preview({ since: '2026-06-01' })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(digest.summarizer).toBe('extractive')
    expect(digest.groups.every((g) => g.summarizer === 'extractive')).toBe(true)
  })

  it("uses the host's summarizer, and says which parts fell back", async () => {
    const digest = await api({
      summarizer: {
        summarize: ({ identity }) => (identity?.type === 'org' ? Promise.reject(new Error('no')) : Promise.resolve(`hook ${identity?.name ?? 'all'}`)),
      },
    }).preview({ since: '2026-06-01' })
    expect(digest.groups.map((g) => [g.identity.key, g.summarizer])).toEqual([
      ['fund:7', 'llm'],
      ['org:o-1', 'extractive'],
      ['contact:c-1', 'extractive'],
    ])
    expect(digest.groups[0]!.summary).toBe('hook Acme Ventures')
    expect(digest.summarizer).toBe('extractive')
  })

  it('escapes mail content in the HTML', async () => {
    const digest = await api().preview({ since: '2026-06-01' })
    expect(digest.groups[1]!.threads[0]!.subject).toBe(XSS_SUBJECT)
    expect(digest.groups[1]!.summary).toContain('<img src=x')
    expect(digest.html).not.toMatch(/<script|<img|onerror="/)
    expect(digest.html).toContain('&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt; &amp; &#39;deal&#39;')
    expect(digest.html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;')
    expect(digest.text).toContain(XSS_SUBJECT)
  })

  it('previews and sends without touching the daily runs; send needs the hook', async () => {
    const delivered: Digest[] = []
    await api().preview({ hours: 24 })
    await expect(api().send({ hours: 24 })).rejects.toBeInstanceOf(ConflictError)
    await expect(api({ deliverDigest: (d) => Promise.resolve(void delivered.push(d)) }).send({ hours: 0 })).rejects.toBeInstanceOf(ValidationError)
    const sent = await api({ deliverDigest: (d) => Promise.resolve(void delivered.push(d)) }).send({ since: '2026-06-01' })
    expect(sent.sent).toBe(true)
    expect(delivered).toEqual([sent.digest])
    expect(await runCount()).toBe(0)
    const scheduled = await api({ deliverDigest: (d) => Promise.resolve(void delivered.push(d)) }).runScheduled({ now: day(7, 8) })
    expect(scheduled.sent).toBe(true)
  })

  describe('the scheduled daily digest', () => {
    const config = { digest: { hour: 7, timeZone: 'UTC' } }
    const delivering = (delivered: Digest[], owner?: string): DigestApiOptions => ({
      deliverDigest: (d) => Promise.resolve(void delivered.push(d)),
      ...(owner === undefined ? {} : { owner }),
    })

    it('waits for the hour, sends once per day, and starts the next window where the last ended', async () => {
      const delivered: Digest[] = []
      const digest = api(delivering(delivered), config)
      expect(await digest.runScheduled({ now: new Date('2026-06-06T06:59:00Z') })).toMatchObject({ sent: false, reason: 'before digest hour' })
      expect(await runCount()).toBe(0)
      const first = await digest.runScheduled({ now: new Date('2026-06-06T07:05:00Z') })
      expect(first).toMatchObject({ sent: true, period: '2026-06-06' })
      expect(delivered[0]?.window).toEqual({ from: '2026-06-05T07:05:00.000Z', to: '2026-06-06T07:05:00.000Z' })
      expect(delivered[0]?.groups.map((g) => g.identity.key)).toEqual(['fund:7', 'contact:c-1'])
      expect(await digest.runScheduled({ now: new Date('2026-06-06T09:00:00Z') })).toMatchObject({ sent: false, reason: 'already sent' })
      expect(await api(delivering(delivered), config).runScheduled({ now: new Date('2026-06-06T23:00:00Z') })).toMatchObject({ sent: false })
      expect(delivered).toHaveLength(1)
      const second = await digest.runScheduled({ now: new Date('2026-06-07T07:00:00Z') })
      expect(second).toMatchObject({ sent: true, period: '2026-06-07' })
      expect(delivered[1]?.window).toEqual({ from: '2026-06-06T07:05:00.000Z', to: '2026-06-07T07:00:00.000Z' })
      expect(delivered[1]?.groups.map((g) => g.threads.map((th) => th.subject))).toEqual([['Capital call']])
      const rows = await t.db.selectFrom('email_digest_runs' as never).selectAll().orderBy('period' as never).execute()
      expect(rows.map((r) => [(r as { period: string }).period, (r as { status: string }).status])).toEqual([
        ['2026-06-06', 'sent'],
        ['2026-06-07', 'sent'],
      ])
    })

    it('goes out exactly once when two integrations on one database run it at the same time', async () => {
      const delivered: Digest[] = []
      const now = new Date('2026-06-06T08:00:00Z')
      const apis = ['p1', 'p2', 'p3'].map((owner) => api(delivering(delivered, owner), config))
      const results = await Promise.all(apis.map((a) => a.runScheduled({ now })))
      expect(results.filter((r) => r.sent)).toHaveLength(1)
      for (const r of results) if (!r.sent) expect(['already claimed', 'already sent']).toContain(r.reason)
      expect(delivered).toHaveLength(1)
      expect(await runCount()).toBe(1)
    })

    it('follows the configured time zone', async () => {
      const delivered: Digest[] = []
      const tokyo = api(delivering(delivered), { digest: { hour: 7, timeZone: 'Asia/Tokyo' } })
      expect(await tokyo.runScheduled({ now: new Date('2026-06-05T21:59:00Z') })).toMatchObject({ sent: false, reason: 'before digest hour', period: '2026-06-06' })
      expect(await tokyo.runScheduled({ now: new Date('2026-06-05T22:00:00Z') })).toMatchObject({ sent: true, period: '2026-06-06' })
    })

    it('still sends a quiet day, so a quiet day is told apart from a broken digest', async () => {
      const delivered: Digest[] = []
      const result = await api(delivering(delivered), config).runScheduled({ now: new Date('2026-06-20T07:00:00Z') })
      expect(result.sent).toBe(true)
      expect(delivered[0]?.groups).toEqual([])
      expect(delivered[0]?.summary).toMatch(/quiet/i)
    })

    it('records a failed delivery, retries it later the same day, and never sends without the hook', async () => {
      expect(await api({}, config).runScheduled({ now: new Date('2026-06-06T08:00:00Z') })).toMatchObject({ sent: false, reason: 'no deliverDigest hook' })
      expect(await runCount()).toBe(0)
      let fail = true
      const delivered: Digest[] = []
      const flaky = api({ deliverDigest: (d) => (fail ? Promise.reject(new Error('smtp down')) : Promise.resolve(void delivered.push(d))) }, config)
      expect(await flaky.runScheduled({ now: new Date('2026-06-06T08:00:00Z') })).toMatchObject({ sent: false, reason: 'delivery failed', error: 'smtp down' })
      const row = await t.db.selectFrom('email_digest_runs' as never).selectAll().executeTakeFirst()
      expect(row).toMatchObject({ status: 'failed', error: 'smtp down' })
      fail = false
      expect(await flaky.runScheduled({ now: new Date('2026-06-06T08:05:00Z') })).toMatchObject({ sent: false, reason: 'already claimed' })
      const retried = await flaky.runScheduled({ now: new Date('2026-06-06T08:20:00Z') })
      expect(retried).toMatchObject({ sent: true, period: '2026-06-06' })
      expect(delivered[0]?.window.from).toBe('2026-06-05T08:20:00.000Z')
      expect(await runCount()).toBe(1)
    })
  })

  it('answers the admin routes: preview, send, 400 for a bad window, 409 without the hook', async () => {
    const delivered: Digest[] = []
    const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
    const route = (options: DigestApiOptions, isAdmin = true) =>
      createRouter({
        routes: digestRoutes(api(options)),
        enabled: true,
        authenticate: () => Promise.resolve({ userId: 'u', email: ANN, isAdmin }),
        logger: silent,
      })
    const post = (handler: ReturnType<typeof route>, path: string, body: unknown) =>
      handler(new Request(`http://crm.test${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }))
    const preview = await post(route({}), '/api/admin/digest/preview', { since: '2026-06-01' })
    expect(preview?.status).toBe(200)
    const digest = (await preview?.json()) as Digest
    expect(digest.groups.map((g) => g.identity.key)).toEqual(['fund:7', 'org:o-1', 'contact:c-1'])
    const bad = await post(route({}), '/api/admin/digest/preview', { hours: 'many' })
    expect(bad?.status).toBe(400)
    expect(((await bad?.json()) as { error: { message: string } }).error.message).toMatch(/^hours:/)
    expect((await post(route({}), '/api/admin/digest/preview', {}))?.status).toBe(400)
    expect((await post(route({}), '/api/admin/digest/send', { hours: 24 }))?.status).toBe(409)
    expect((await post(route({}, false), '/api/admin/digest/preview', { hours: 24 }))?.status).toBe(403)
    const sent = await post(route({ deliverDigest: (d) => Promise.resolve(void delivered.push(d)) }), '/api/admin/digest/send', { hours: 48 })
    expect(sent?.status).toBe(200)
    expect(((await sent?.json()) as { sent: boolean }).sent).toBe(true)
    expect(delivered).toHaveLength(1)
    expect(await runCount()).toBe(0)
  })
})
