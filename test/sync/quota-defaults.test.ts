import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { QUOTA_COSTS_2026, QUOTA_COSTS_LEGACY } from '../../src/config/index.js'
import { quotaRegimeOf } from '../../src/config/quota.js'
import type { EmailDatabase } from '../../src/index.js'
import { openSqlite, type TestDatabase } from '../helpers/databases.js'
import { mail, syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

const [ANN, BOB] = TEAM as [string, string]
/** A fund by domain: every message from it is CRM mail. */
const FUND = 'dana@acme.vc'
/**
 * CRM messages per busy mailbox. Enough that one page asks for more metadata than Gmail serves
 * in a second (60 x 20 units against 100 at the 2026 table), few enough that the run takes
 * seconds: at the 2026 default of 90 units/s each mailbox needs 60 x 40 units, about 26 s, in
 * parallel; at the legacy default of 225 units/s, 60 x 10 units, about 3 s. Minutes of quota
 * are crossed on virtual time in gmail-quota-regimes.test.ts.
 */
const MESSAGES = 60
/** About 26 s of paced requests at the 2026 table; room for a loaded machine. */
const RUN_TIMEOUT_MS = 150_000

/**
 * The library against Gmail's quota as Gmail sets it under each cost table: the emulator at
 * the table's per-user limit (6,000 units a minute at 2026, 15,000 at legacy), a minute's
 * budget with no burst above its average, and the library at its defaults for that table (the
 * table's default rate, five retries, 500-message pages). Only the backfill window
 * (`backfillDays: 0`, everything) and the retry backoff (milliseconds) are the sync world's
 * own, as in every sync test.
 */
describe.each(['2026', 'legacy'] as const)('sync at the default rate of the %s cost table', (table) => {
  const costs = table === '2026' ? QUOTA_COSTS_2026 : QUOTA_COSTS_LEGACY
  const regime = quotaRegimeOf(costs)
  let t: TestDatabase
  let w: SyncWorld
  let db: Kysely<EmailDatabase>
  beforeEach(async () => {
    t = await openSqlite()
    w = await syncWorld(t, { emulator: { costs: table, quota: regime.limitUnitsSec, quotaPerMinute: regime.limitUnitsMin }, config: { quotaCosts: table } })
    db = t.db as unknown as Kysely<EmailDatabase>
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('captures every message with each get paid once, never refused by Gmail', async () => {
    for (const mailbox of [ANN, BOB]) {
      for (let i = 0; i < MESSAGES; i++) w.emu.addMessage(mailbox, mail({ from: FUND, to: [mailbox], subject: `Update ${i}` }).raw)
    }

    const reports = await w.email.sync.runAll()

    expect(reports.map((r) => [r.account, r.status, r.failed]).sort()).toEqual(TEAM.map((a) => [a, 'ok', 0]).sort())
    const captured = Object.fromEntries(reports.map((r) => [r.account, r.captured]))
    expect(captured).toMatchObject({ [ANN]: MESSAGES, [BOB]: MESSAGES })
    expect(await db.selectFrom('email_copies').select('gmail_id').execute()).toHaveLength(2 * MESSAGES)
    expect(await db.selectFrom('email_sync_failures').selectAll().execute()).toEqual([])
    // Gmail never refused a call for the user's rate (403) or for too many at once (429).
    expect(Object.keys(w.emu.stats.responses).filter((key) => / (403|429)$/.test(key))).toEqual([])

    // What the cost table says the run needs: per mailbox a profile read and one list page (the
    // mailbox fits one default page), then a metadata get and a content get per message. A part
    // Gmail refused and the client sent again would be paid twice and show up here.
    const needed = (messages: number): number => costs.profile + costs.list + messages * 2 * costs.get
    const spent = Object.fromEntries(reports.map((r) => [r.account, r.unitsSpent]))
    expect(spent[ANN]).toBeLessThanOrEqual(needed(MESSAGES))
    expect(spent[BOB]).toBeLessThanOrEqual(needed(MESSAGES))
    // Every unit the client paid, Gmail charged: no part was refused, paid for and sent again.
    expect(w.emu.stats.unitsSpent[ANN]).toBe(spent[ANN])
    expect(w.emu.stats.unitsSpent[BOB]).toBe(spent[BOB])
  }, RUN_TIMEOUT_MS)
})
