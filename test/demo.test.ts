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

const dataDir = mkdtempSync(join(tmpdir(), 'email-demo-'))
let demo: ScriptProcess
let url: string

function startDemo(): ScriptProcess {
  return runScript('examples/demo/main.ts', { PORT: '0', DEMO_DATA_DIR: dataDir })
}

function syncRuns(): { kind: string; status: string; captured: number }[] {
  const db = new Database(join(dataDir, 'crm.sqlite'), { readonly: true })
  try {
    return db.prepare('SELECT kind, status, captured FROM email_sync_runs ORDER BY started_at, id').all() as { kind: string; status: string; captured: number }[]
  } finally {
    db.close()
  }
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
