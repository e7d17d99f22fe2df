import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScript, type ScriptProcess } from './helpers/script-process.js'

/** Debian's Chromium; `.ci/run` installs it. Without it the browser test says so and skips. */
const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const outputDir = resolve(import.meta.dirname, '../test-output')
if (!hasChromium) console.warn(`The browser test is skipped: ${CHROMIUM} is not installed (apt-get install chromium).`)

/** The first sync of the generated year of mail; generous for a loaded two-core machine. */
const FIRST_SYNC_MS = 150_000
/** Reading the attachments and embedding the year of mail through the stand-in, after the sync. */
const INDEXING_MS = 240_000

const dataDir = mkdtempSync(join(tmpdir(), 'email-demo-'))
let demo: ScriptProcess
let url: string

function startDemo(): ScriptProcess {
  // The embeddings stand-in: the page offers search by meaning with no model server.
  return runScript('examples/demo/main.ts', { PORT: '0', DEMO_DATA_DIR: dataDir, DEMO_EMBEDDINGS: 'standin' })
}

function syncRuns(): { kind: string; status: string; captured: number }[] {
  const db = new Database(join(dataDir, 'crm.sqlite'), { readonly: true })
  try {
    return db.prepare('SELECT kind, status, captured FROM email_sync_runs ORDER BY started_at, id').all() as { kind: string; status: string; captured: number }[]
  } finally {
    db.close()
  }
}

/** A route of the demo answered as `email`, who the demo's cookie signs in. */
async function apiAs(email: string, path: string): Promise<unknown> {
  const response = await fetch(new URL(path, url), { headers: { cookie: `demo-user=${encodeURIComponent(email)}` } })
  expect(response.status).toBe(200)
  return response.json()
}

/** Who the demo lets a visitor be: its admin and the team. */
async function demoPeople(): Promise<{ admin: string; team: string[] }> {
  const { people } = await (await fetch(new URL('/demo/people', url))).json() as { people: { email: string; isAdmin: boolean }[] }
  return { admin: people.find((p) => p.isAdmin)!.email, team: people.filter((p) => !p.isAdmin).map((p) => p.email) }
}

/**
 * A thread held by `address`'s mailbox alone (so its level alone decides what others see), and
 * the query of the page's filters that lists it on their first page: its newest email's day
 * and identity (both filters apply to one same email).
 */
async function soloThread(address: string): Promise<{ thread: string; subject: string; query: string }> {
  const page = await apiAs(address, '/api/email/threads?limit=50') as { items: { id: string; subject: string }[] }
  for (const line of page.items) {
    const detail = await apiAs(address, `/api/email/threads/${line.id}`) as { emails: { date: string; mailboxes: string[]; identities: { key: string }[] }[] }
    const newest = detail.emails.at(-1)
    if (newest === undefined || line.subject.trim() === '' || !detail.emails.every((e) => e.mailboxes.length === 1 && e.mailboxes[0] === address)) continue
    const day = newest.date.slice(0, 10)
    const query = new URLSearchParams({ ...(newest.identities[0] === undefined ? {} : { identity: newest.identities[0].key }), from: day, to: day }).toString()
    const listed = await apiAs(address, `/api/email/threads?${query}&limit=25`) as { items: { id: string }[] }
    if (listed.items.some((t) => t.id === line.id)) return { thread: line.id, subject: line.subject, query }
  }
  throw new Error(`no thread of the 50 newest is held by ${address}'s mailbox alone`)
}

beforeAll(async () => {
  demo = startDemo()
  const match = await demo.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+\/)/, FIRST_SYNC_MS)
  url = match[1]!
}, FIRST_SYNC_MS + 10_000)

afterAll(async () => {
  await demo.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('npm run demo', () => {
  it('backfills every teammate and serves the page on 127.0.0.1', async () => {
    expect(demo.output()).toContain('First run: backfilling every mailbox.')
    const runs = syncRuns()
    expect(runs.length).toBe(5)
    expect(runs.every((r) => r.kind === 'backfill' && r.status === 'ok')).toBe(true)
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const threads = await fetch(new URL('/api/email/threads?limit=5', url))
    const body = await threads.json() as { items: unknown[] }
    expect(body.items).toHaveLength(5)
  })

  it('signs a visitor in as its admin by default, or as a teammate they choose, and never as anyone else', async () => {
    const { admin, team } = await demoPeople()
    expect(admin).toMatch(/^admin@/)
    expect(team).toHaveLength(5)
    const signIn = (email: string) => fetch(new URL('/demo/sign-in', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) })
    const chosen = await signIn(team[0]!)
    expect(chosen.status).toBe(200)
    expect(chosen.headers.get('set-cookie')).toContain(`demo-user=${encodeURIComponent(team[0]!)}`)
    expect((await signIn('stranger@elsewhere.example')).status).toBe(400)
    const asStranger = await fetch(new URL('/api/email/threads', url), { headers: { cookie: 'demo-user=stranger%40elsewhere.example' } })
    expect(asStranger.status).toBe(401)
    // A teammate reads, and may not run what only an admin may.
    const { items } = await apiAs(team[1]!, '/api/email/threads?limit=1') as { items: unknown[] }
    expect(items).toHaveLength(1)
    const runNow = await fetch(new URL('/api/email/sync/run-now', url), {
      method: 'POST',
      headers: { cookie: `demo-user=${encodeURIComponent(team[1]!)}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(runNow.status).toBe(403)
  })

  describe.runIf(hasChromium)('the Communications page in Chromium', () => {
    let browser: Browser
    let page: Page
    const problems: string[] = []

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      })
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()) })
      page.on('pageerror', (error) => problems.push(error.message))
      await page.goto(url)
    }, 60_000)

    afterAll(async () => {
      await browser.close()
    })

    it('lists threads, filters by an identity, expands an email, searches and previews the digest', async () => {
      await page.locator('#thread-list .thread').first().waitFor()
      expect(await page.locator('#thread-list .thread').count()).toBeGreaterThan(0)

      const fund = page.locator('#identity option[value^="fund:"]').first()
      const fundKey = await fund.getAttribute('value')
      const fundLabel = (await fund.textContent()) ?? ''
      expect(fundKey).not.toBeNull()
      const filtered = page.waitForResponse((r) => r.url().includes('/api/email/threads?') && r.url().includes(encodeURIComponent(fundKey!)))
      await page.selectOption('#identity', fundKey ?? '')
      const listed = await (await filtered).json() as { items: { identities: { key: string }[] }[] }
      expect(listed.items.length).toBeGreaterThan(0)
      for (const thread of listed.items) expect(thread.identities.map((i) => i.key)).toContain(fundKey)
      const fundName = fundLabel.split('·')[0]!.trim()
      await expect.poll(async () => page.locator('#thread-list .thread').first().textContent()).toContain(fundName)

      await page.locator('#thread-list .thread .thread-toggle').first().click()
      await page.locator('#thread-list .email').first().waitFor()
      await page.locator('#thread-list .email .show-body').first().click()
      const body = page.locator('#thread-list .email-body').first()
      await body.waitFor()
      expect(((await body.textContent()) ?? '').trim().length).toBeGreaterThan(10)

      await page.click('#mode-search')
      await page.fill('#search-input', 'term sheet')
      await page.click('#search-submit')
      await page.locator('#search-results .search-result').first().waitFor()
      expect(await page.locator('#search-results .search-result mark').count()).toBeGreaterThan(0)

      await page.check('#digest-hours')
      await page.click('#digest-preview')
      await page.locator('#digest-result .digest-group').first().waitFor()
      await page.check('#digest-since')
      await page.fill('#digest-since-date', new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10))
      await page.click('#digest-preview')
      await page.locator('#digest-result .digest-group').first().waitFor()

      await page.click('#mode-threads')
      await page.locator('#accounts .account').first().waitFor()
      expect(await page.locator('#accounts .account').count()).toBe(5)
      mkdirSync(outputDir, { recursive: true })
      await page.screenshot({ path: join(outputDir, 'demo-page.png') })
      await page.screenshot({ path: join(outputDir, 'demo-page-full.png'), fullPage: true })
      expect(problems).toEqual([])
    }, 60_000)

    /** Runs a search from the page in `mode` and waits for its answer. */
    async function searchFor(q: string, mode: string): Promise<{ mode: string; items: { attachment?: { filename: string } }[] }> {
      await page.selectOption('#search-mode', mode)
      await page.fill('#search-input', q)
      const answered = page.waitForResponse((r) => r.url().includes('/api/email/search?') && r.url().includes(`mode=${mode}`))
      await page.click('#search-submit')
      const response = await answered
      expect(response.status()).toBe(200)
      await expect.poll(async () => page.locator('#search-status .search-mode').textContent()).toBe(`mode: ${mode}`)
      return await response.json() as { mode: string; items: { attachment?: { filename: string } }[] }
    }

    it('finds mail by a word inside an attached PDF or DOCX, names and links the file, and searches by meaning', async () => {
      // The demo reads attachments and embeds the mail after it prints the page's address.
      await demo.waitFor(/Search index: [\d,]+ emails embedded/, INDEXING_MS)
      await page.goto(url)
      await page.click('#mode-search')
      // The stand-in is configured: the mode selector shows, the library's default (hybrid) first.
      await page.locator('#search-mode:not([hidden])').waitFor()
      const options = page.locator('#search-mode option')
      const values = await Promise.all(Array.from({ length: await options.count() }, (_, i) => options.nth(i).getAttribute('value')))
      expect(values).toEqual(['hybrid', 'keyword', 'semantic'])

      for (const [word, file] of [['quillfeather', 'valuation-memo.pdf'], ['zephyrlock', 'side-letter.docx']] as const) {
        const answer = await searchFor(word, 'keyword')
        expect(answer.items.map((i) => i.attachment?.filename)).toEqual([file])
        const link = page.locator('#search-results .search-result .match-attachment a')
        await link.waitFor()
        expect(await link.textContent()).toBe(file)
        const href = (await link.getAttribute('href')) ?? ''
        expect(href).toMatch(/^\/api\/email\/attachments\/\d+$/)
        // The link serves the very file the words were read from.
        const admin = (await demoPeople()).admin
        const download = await fetch(new URL(href, url), { headers: { cookie: `demo-user=${encodeURIComponent(admin)}` } })
        expect(download.status).toBe(200)
        const head = Buffer.from(await download.arrayBuffer()).subarray(0, 4).toString('latin1')
        expect(head).toBe(file.endsWith('.pdf') ? '%PDF' : 'PK\u0003\u0004')
      }

      const byMeaning = await searchFor('most favoured nation rights on fees', 'semantic')
      expect(byMeaning.mode).toBe('semantic')
      expect(byMeaning.items.length).toBeGreaterThan(0)
      expect(await page.locator('#search-results .search-result').count()).toBe(byMeaning.items.length)
      const hybrid = await searchFor('valuation memo', 'hybrid')
      expect(hybrid.items.length).toBeGreaterThan(0)
      expect(await page.locator('#search-status .degraded').count()).toBe(0)
      await page.screenshot({ path: join(outputDir, 'demo-search.png') })
      expect(problems).toEqual([])
    }, INDEXING_MS + 60_000)

    /** Signs the page in as `email` through the "Signed in as" selector (the page reloads as them). */
    async function signInAs(email: string): Promise<void> {
      const reloaded = page.waitForEvent('load')
      await page.selectOption('#signed-in-as', email)
      await reloaded
      await page.locator(`body[data-signed-in-as="${email}"]`).waitFor()
    }

    /** Sets a mailbox's level with its select in the Mailboxes panel, as the signed-in person. */
    async function chooseLevel(address: string, level: string): Promise<void> {
      const stored = page.waitForResponse((r) => r.url().endsWith('/api/email/accounts/sharing') && r.request().method() === 'POST')
      await page.selectOption(`#accounts .account[data-address="${address}"] select.sharing-select`, level)
      expect((await stored).status()).toBe(200)
      await expect.poll(async () => page.locator(`#accounts .account[data-address="${address}"] select.sharing-select`).inputValue()).toBe(level)
    }

    it('shows each reader what sharing levels and private threads allow, and lets owners change them', async () => {
      const { admin, team: [owner, teammate] } = await demoPeople()
      if (owner === undefined || teammate === undefined) throw new Error('the demo has fewer than two teammates')
      const { thread, subject, query } = await soloThread(owner)
      const row = page.locator(`#thread-list .thread[data-thread-id="${thread}"]`)
      const mailbox = (address: string) => page.locator(`#accounts .account[data-address="${address}"]`)

      // The owner sets their mailbox to metadata; they may change only their own level.
      await signInAs(owner)
      await mailbox(owner).locator('select.sharing-select').waitFor()
      expect(await page.locator('#accounts select.sharing-select').count()).toBe(1)
      expect(await mailbox(teammate).locator('.sharing-level').textContent()).toBe('Everything')
      expect(await page.locator('#accounts .run-now').count()).toBe(0)
      expect(await page.locator('#digest').isHidden()).toBe(true)
      await chooseLevel(owner, 'metadata')
      const status = await apiAs(teammate, '/api/email/status') as { accounts: { address: string; sharing: string; sharingIsDefault: boolean }[] }
      expect(status.accounts.find((a) => a.address === owner)).toMatchObject({ sharing: 'metadata', sharingIsDefault: false })

      // A teammate sees the thread as private: who and when, every other field marked withheld.
      await signInAs(teammate)
      await page.goto(`${url}?${query}`)
      await row.waitFor()
      const withheldBy = `withheld by ${owner.split('@')[0]!}'s sharing level`
      await expect.poll(async () => row.locator('.thread-subject').textContent()).toContain('Subject withheld')
      expect(await row.locator('[data-withheld="snippet"]').isVisible()).toBe(true)
      expect(await row.textContent()).not.toContain(subject)
      expect(await mailbox(owner).locator('.sharing-level').textContent()).toBe('Who and when only')
      expect(await mailbox(owner).locator('select').count()).toBe(0)
      await row.locator('.thread-toggle').click()
      const card = row.locator('.email').first()
      await card.waitFor()
      for (const field of ['subject', 'snippet', 'attachments', 'body']) {
        expect(await card.locator(`[data-withheld="${field}"]`).textContent()).toContain(withheldBy)
      }
      expect(await row.locator('.show-body, .hide-email, .privacy-toggle').count()).toBe(0)

      // The owner sees it in full, marks it private, and shares their mailbox fully again.
      await signInAs(owner)
      await row.waitFor()
      expect(await row.locator('.thread-subject').textContent()).toBe(subject)
      expect(await row.locator('.withheld').count()).toBe(0)
      await row.locator('.thread-toggle').click()
      await row.locator('.email .show-body').first().waitFor()
      const marked = page.waitForResponse((r) => r.url().endsWith(`/api/email/threads/${thread}/private`))
      await row.locator('.privacy-toggle').click()
      expect((await marked).status()).toBe(200)
      await row.locator('.thread-toggle .private-badge').waitFor()
      expect(await row.locator('.privacy-toggle').textContent()).toBe('Share again')
      await chooseLevel(owner, 'everything')

      // The thread stays private to the teammate whatever the mailbox's level.
      await signInAs(teammate)
      await row.waitFor()
      expect(await row.locator('.private-badge').isVisible()).toBe(true)
      expect(await row.locator('[data-withheld="subject"]').textContent()).toContain('the thread is private')
      expect(await mailbox(owner).locator('.sharing-level').textContent()).toBe('Everything')
      // Bodies are open to teammates (detail access shared) as far as their access allows.
      await page.goto(url)
      const readable = page.locator('#thread-list .thread:not(:has(.withheld))').first()
      await readable.locator('.thread-toggle').click()
      await readable.locator('.email .show-body').first().click()
      await expect.poll(async () => ((await readable.locator('.email-body').first().textContent()) ?? '').trim().length).toBeGreaterThan(10)

      // The admin may set every mailbox's level.
      await signInAs(admin)
      await expect.poll(async () => page.locator('#accounts select.sharing-select').count()).toBe(5)
      await page.screenshot({ path: join(outputDir, 'demo-sharing.png') })
      expect(problems).toEqual([])
    }, 90_000)
  })

  it('stops cleanly on Ctrl-C, then syncs only the new mail when run again', async () => {
    expect(await demo.stop('SIGINT')).toBe(0)
    const before = syncRuns().length
    demo = startDemo()
    await demo.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000)
    expect(demo.output()).toContain('Database found: syncing what arrived since the last run.')
    const runs = syncRuns().slice(before)
    expect(runs).toHaveLength(5)
    expect(runs.every((r) => r.kind === 'incremental' && r.status === 'ok')).toBe(true)
    expect(runs.reduce((sum, r) => sum + r.captured, 0)).toBeGreaterThan(0)
    expect(await demo.stop('SIGINT')).toBe(0)
  }, 90_000)
})
