import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import {
  createEmailIntegration,
  loadConfig,
  type Digest,
  type EmailDatabase,
  type EmailIntegration,
  type Principal,
  type SummaryInput,
} from '../../src/index.js'
import { cliEnvironment } from '../helpers/cli-process.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { call } from '../helpers/http.js'
import { SHARED_NAMES, sharingWorld, TEAM_ACCESS, type SharedName, type SharingWorld } from '../helpers/sharing-world.js'
import { DIRECTORY, mail } from '../helpers/sync/setup.js'
import { ANN, BOB, CAT } from '../helpers/team.js'

// The digest is built for the team (SPEC §10, §12): its groups, thread subjects, summaries and
// renderings, and everything its summarizer is given, show each email of the sharing world as
// every teammate may see it, whoever asks for it.

const WINDOW = { since: '2026-06-01' }

/** The words of the world the team may not see: withheld subjects, and bodies and files not shared in full. */
function withheldWords(access: Readonly<Record<SharedName, string>>): string[] {
  return SHARED_NAMES.flatMap((name) => [
    ...(access[name] === 'metadata' ? [`${name}subj`] : []),
    ...(access[name] === 'everything' ? [] : [`${name}body`, `${name}file`]),
  ])
}

/** Every word of `words` that occurs in `text`. */
const found = (text: string, words: readonly string[]) => words.filter((word) => text.includes(word))

describeEachDialect('the digest under sharing levels', (open) => {
  let t: TestDatabase
  let w: SharingWorld
  let inputs: SummaryInput[]
  let made: EmailIntegration[]

  const db = () => t.db as unknown as Kysely<EmailDatabase>
  /** An integration on the world whose summarizer records its input and echoes all of it. */
  const integration = (principal: Principal | null = null): EmailIntegration => {
    const { env } = cliEnvironment(w.emu, w.attachmentsDir, DIRECTORY)
    const email = createEmailIntegration({
      db: t.db,
      config: loadConfig(env),
      directory: () => Promise.resolve(DIRECTORY),
      authenticate: () => Promise.resolve(principal),
      summarizer: {
        summarize: (input) => {
          inputs.push(input)
          return Promise.resolve(`Read: ${input.threads.map((th) => th.subject).join('; ')} / ${input.excerpts.join(' / ')}`)
        },
      },
    })
    made.push(email)
    return email
  }
  /** Everything a digest shows, and everything its summarizer was given, as one text. */
  const seen = (digest: Digest) => `${JSON.stringify(digest)}\n${JSON.stringify(inputs)}`

  beforeEach(async () => {
    inputs = []
    made = []
    t = await open()
    w = await sharingWorld(t)
  })
  afterEach(async () => {
    for (const email of made) await email.close()
    await w.close()
    await t.close()
  })

  it('groups the mail as before, with subjects by the rule, and gives the summarizer no withheld word', async () => {
    const digest = await integration().digest.preview(WINDOW)
    expect(digest.groups.map((g) => [g.identity.key, g.emailCount])).toEqual([['fund:7', 5]])
    const [group] = digest.groups
    expect(group?.threads.map((th) => [th.id, th.subject, th.messageCount])).toEqual([
      [w.emails.epsilon.threadId, 'Update epsilonsubj', 1],
      [w.emails.delta.threadId, 'Update deltasubj', 1],
      [w.emails.gamma.threadId, '(private)', 1],
      [w.emails.beta.threadId, 'Update betasubj', 1],
      [w.emails.alpha.threadId, 'Update alphasubj', 1],
    ])
    // Participants and dates are metadata: every level shows them.
    expect(group?.threads[2]?.participants.map((p) => p.address)).toEqual(['dana@acme.vc', CAT])
    expect(digest.summarizer).toBe('llm')

    // The group's summary is quoted from the two emails shared in full, newest first.
    const groupInput = inputs.find((i) => i.identity?.key === 'fund:7')
    expect(groupInput?.excerpts.map((e) => found(e, ['epsilonbody', 'alphabody']))).toEqual([['epsilonbody'], ['alphabody']])
    expect(inputs).toHaveLength(2)
    expect(found(seen(digest), withheldWords(TEAM_ACCESS))).toEqual([])
    for (const rendered of [digest.text, digest.html]) {
      expect(found(rendered, withheldWords(TEAM_ACCESS))).toEqual([])
      expect(found(rendered, ['epsilonbody', 'alphabody', 'betasubj', 'deltasubj'])).toEqual(['epsilonbody', 'alphabody', 'betasubj', 'deltasubj'])
      expect(rendered).toContain('(private)')
    }
  })

  it('quotes nothing but subjects and participants when nothing is shared in full, extractive or not', async () => {
    for (const address of [ANN, BOB]) await w.setLevel(address, 'subject')
    const llm = await integration().digest.preview(WINDOW)
    const everythingWithheld = Object.fromEntries(SHARED_NAMES.map((name) => [name, name === 'gamma' ? 'metadata' : 'subject'])) as Record<SharedName, string>
    expect(inputs.find((i) => i.identity !== undefined)?.excerpts).toEqual([])
    expect(found(seen(llm), withheldWords(everythingWithheld))).toEqual([])

    const extractive = await w.email.digest.preview(WINDOW)
    expect(extractive.groups[0]?.summary).toBe('5 emails in 5 threads.')
    expect(found(JSON.stringify(extractive), withheldWords(everythingWithheld))).toEqual([])
  })

  it('follows a level change and a private thread on the next digest', async () => {
    const email = integration()
    await w.setLevel(CAT, 'everything')
    const opened = await email.digest.preview(WINDOW)
    expect(opened.groups[0]?.threads.map((th) => th.subject)).toContain('Update gammasubj')
    expect(found(opened.text, ['gammabody'])).toEqual(['gammabody'])

    inputs = []
    await db().insertInto('email_private_threads').values({ thread_id: Number(w.emails.epsilon.threadId), marked_by: ANN, marked_at: new Date().toISOString() }).execute()
    const marked = await email.digest.preview(WINDOW)
    expect(marked.groups[0]?.threads[0]).toMatchObject({ id: w.emails.epsilon.threadId, subject: '(private)' })
    expect(found(seen(marked), ['epsilonsubj', 'epsilonbody'])).toEqual([])
  })

  it("titles a thread with the oldest email whose subject the team may see, and never quotes a reply that is not shared in full", async () => {
    const reply = mail({ from: 'dana@acme.vc', to: [BOB], subject: 'Follow-up zetasubj', date: new Date(Date.UTC(2026, 5, 6, 12)), inReplyTo: w.emails.gamma.messageId, body: 'More zetabody.' })
    w.emu.addMessage(BOB, reply.raw)
    await w.email.sync.runAll()
    const digest = await integration().digest.preview(WINDOW)
    expect(digest.groups[0]?.threads[0]).toMatchObject({ id: w.emails.gamma.threadId, subject: 'Follow-up zetasubj', messageCount: 2 })
    expect(found(seen(digest), ['gammasubj', 'gammabody', 'zetabody'])).toEqual([])
    // Bob, its owner, asks as an admin: the digest is still the team's.
    const asBob = integration({ userId: 'u-bob', email: BOB, isAdmin: true })
    const answer = await call(asBob, 'POST', '/api/admin/digest/preview', { json: WINDOW })
    expect(answer.status, answer.text).toBe(200)
    const routed = answer.body as Digest
    expect(routed.groups).toEqual(digest.groups)
    expect(found(answer.text, ['gammasubj', 'gammabody', 'zetabody', 'betabody', 'deltabody'])).toEqual([])
  })

  it('answers the preview route for the team whoever the admin is, with no withheld word in the answer', async () => {
    const asCat = integration({ userId: 'u-cat', email: CAT, isAdmin: true })
    const answer = await call(asCat, 'POST', '/api/admin/digest/preview', { json: WINDOW })
    expect(answer.status, answer.text).toBe(200)
    expect(found(`${answer.text}\n${JSON.stringify(inputs)}`, withheldWords(TEAM_ACCESS))).toEqual([])
    expect((answer.body as Digest).groups[0]?.threads.find((th) => th.id === w.emails.gamma.threadId)?.subject).toBe('(private)')
  })
})
