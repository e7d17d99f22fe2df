import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

describe('the content-addressed blob store', () => {
  let dir: string
  let store: BlobStore
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'email-blobs-'))
    store = createBlobStore(join(dir, 'attachments'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes each content once, at ab/cd/<sha256>, and reads it back', async () => {
    const bytes = new TextEncoder().encode('term sheet v2')
    const sha = createHash('sha256').update(bytes).digest('hex')
    expect(await store.put(bytes)).toEqual({ sha256: sha, size: bytes.byteLength })
    await Promise.all([store.put(bytes), store.put(bytes), store.put(bytes)])
    expect(allFiles(join(dir, 'attachments'))).toEqual([join(sha.slice(0, 2), sha.slice(2, 4), sha)])
    expect(readFileSync(store.pathOf(sha), 'utf8')).toBe('term sheet v2')
    expect(await store.has(sha)).toBe(true)
    const chunks: Buffer[] = []
    for await (const chunk of store.read(sha)) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('term sheet v2')
  })

  it('never turns anything but a hash into a path', () => {
    for (const evil of ['../../etc/passwd', 'a'.repeat(63), `${'a'.repeat(64)}/..`, 'A'.repeat(64), '']) {
      expect(() => store.pathOf(evil)).toThrow(/sha256/)
    }
  })

  it('leaves no temporary file behind', async () => {
    await store.put(new Uint8Array(1024 * 1024).fill(7))
    expect(allFiles(join(dir, 'attachments')).some((f) => f.includes('.tmp-'))).toBe(false)
  })
})
