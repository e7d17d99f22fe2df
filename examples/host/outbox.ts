/**
 * The example host's digest delivery: each digest is written to an outbox folder as HTML and
 * text files. A real host would hand `digest.html` and `digest.text` to its mailer instead.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Digest } from 'crm-email-integration'

/** Where digests go unless `OUTBOX_DIR` says otherwise (`.data/` is git-ignored). */
export const DEFAULT_OUTBOX_DIR = '.data/outbox'

/** The folder digests are written to, from `OUTBOX_DIR`. */
export function outboxDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.OUTBOX_DIR ?? DEFAULT_OUTBOX_DIR)
}

/** Writes a file whole or not at all, so a reader of the outbox never sees half a digest. */
async function writeWhole(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content, 'utf8')
  await rename(`${path}.tmp`, path)
}

/**
 * A `deliverDigest` hook writing `digest-<window end>.html` and `.txt` into `dir`. A failure
 * rejects, so the integration records the day as failed and retries it later.
 */
export function outboxDelivery(dir: string): (digest: Digest) => Promise<void> {
  return async (digest) => {
    await mkdir(dir, { recursive: true })
    const base = join(dir, `digest-${digest.window.to.replace(/[:.]/g, '-')}`)
    await writeWhole(`${base}.html`, digest.html)
    await writeWhole(`${base}.txt`, digest.text)
  }
}
