import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { IntegrationContext } from '../../src/context.js'
import { createBlobStore, type BlobStore } from '../../src/db/blob-store.js'
import type { EmailDatabase } from '../../src/db/database.js'
import { extractAttachmentTexts, extractTextsWith } from '../../src/extract/extract-texts.js'
import { resolveExtractionLimits } from '../../src/extract/limits.js'
import { workerExtractor } from '../../src/extract/runner.js'
import { mailWithAttachments, type AttachedFile } from '../helpers/attachment-mail.js'
import { testContext } from '../helpers/context.js'
import { describeEachDialect, type TestDatabase } from '../helpers/databases.js'
import { docxWithText, pdfWithText, pptxWithText, xlsxWithCells } from '../helpers/office-files.js'
import { syncWorld, TEAM, type SyncWorld } from '../helpers/sync/setup.js'

// The job on a real database and blob store, with attachments delivered by the Gmail emulator
// and captured by a real sync; the files are read by the real worker.

const [ANN] = TEAM as [string, ...string[]]

const FILES: readonly AttachedFile[] = [
  // Gmail labels office files octet-stream: the name decides.
  { name: 'plan.pdf', bytes: Buffer.from(pdfWithText('Term sheet\nThe quillbrook preference applies.')) },
  { name: 'scope.docx', bytes: Buffer.from(docxWithText('Scope of work\nzanthorp integration')) },
  { name: 'cap.xlsx', bytes: Buffer.from(xlsxWithCells([['Holder', 'Share'], ['marrowgate', '5%']])), type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  { name: 'deck.pptx', bytes: Buffer.from(pptxWithText(['Roadmap', 'brambleton launch'])) },
  { name: 'leads.csv', bytes: Buffer.from('name,city\nfenwhistle,Zürich\n'), type: 'text/csv' },
  { name: 'logo.png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), type: 'image/png' },
  { name: 'broken.pdf', bytes: Buffer.from('%PDF-1.4\nnot a document'), type: 'application/pdf' },
]

describeEachDialect('extractAttachmentTexts', (open) => {
  let t: TestDatabase
  let w: SyncWorld
  let context: IntegrationContext
  let blobs: BlobStore
  const db = () => t.db as unknown as Kysely<EmailDatabase>

  /** Delivers a CRM message with the files to Ann and captures it (bytes stored); its email id. */
  const deliver = async (messageId: string, files: readonly AttachedFile[]): Promise<number> => {
    w.emu.addMessage(ANN, mailWithAttachments({ to: ANN, messageId, date: new Date(Date.UTC(2026, 5, 2, 9)), subject: 'Files for review', files }))
    await w.email.sync.runAll()
    await w.email.attachments.downloadPending()
    return (await db().selectFrom('emails').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()).id
  }

  const texts = async () =>
    db()
      .selectFrom('email_attachment_texts as t')
      .innerJoin('email_attachments as a', 'a.id', 't.attachment_id')
      .select(['a.filename', 't.email_id', 't.status', 't.text', 't.error'])
      .orderBy('a.filename')
      .execute()

  beforeEach(async () => {
    t = await open()
    w = await syncWorld(t)
    context = testContext(t.db)
    blobs = createBlobStore(w.attachmentsDir)
  })
  afterEach(async () => {
    await w.close()
    await t.close()
  })

  it('reads each stored file once, records what became of it, and makes the email findable by its files', async () => {
    const emailId = await deliver('files@acme.vc', FILES)
    // The email has vectors already: reading its files must mark them for embedding again.
    await db().insertInto('email_vector_index').values({ email_id: emailId, store: 'embedded', model: 'm1', chunks: 1, indexed_at: new Date().toISOString() }).execute()

    expect(await extractAttachmentTexts(context, blobs)).toEqual({ extracted: 5, empty: 0, unsupported: 1, failed: 1, remaining: 0 })
    const rows = await texts()
    expect(rows.map((r) => [r.filename, r.status])).toEqual([
      ['broken.pdf', 'failed'],
      ['cap.xlsx', 'extracted'],
      ['deck.pptx', 'extracted'],
      ['leads.csv', 'extracted'],
      ['logo.png', 'unsupported'],
      ['plan.pdf', 'extracted'],
      ['scope.docx', 'extracted'],
    ])
    expect(rows.every((r) => r.email_id === emailId)).toBe(true)
    const byName = new Map(rows.map((r) => [r.filename, r]))
    expect(byName.get('plan.pdf')?.text).toBe('Term sheet\nThe quillbrook preference applies.')
    expect(byName.get('scope.docx')?.text).toContain('zanthorp integration')
    expect(byName.get('cap.xlsx')?.text).toBe('Holder Share\nmarrowgate 5%')
    expect(byName.get('deck.pptx')?.text).toBe('Roadmap\n\nbrambleton launch')
    expect(byName.get('leads.csv')?.text).toBe('name,city\nfenwhistle,Zürich')
    expect(byName.get('broken.pdf')).toMatchObject({ text: null, error: expect.stringMatching(/^not a readable PDF: /) as unknown })
    expect(byName.get('logo.png')).toMatchObject({ text: null, error: null })

    const vectors = await db().selectFrom('email_vector_index').select('model').where('email_id', '=', emailId).executeTakeFirstOrThrow()
    expect(vectors.model).toBe('')

    // The keyword index holds the files' words, and a hit names the file the word was in.
    for (const [word, file] of [['quillbrook', 'plan.pdf'], ['zanthorp', 'scope.docx']] as const) {
      const { items } = await w.email.search(word, { viewer: ANN })
      expect(items.map((i) => i.email.id)).toEqual([String(emailId)])
      expect(items[0]?.attachment?.filename).toBe(file)
    }

    // Nothing is read twice.
    expect(await extractAttachmentTexts(context, blobs)).toEqual({ extracted: 0, empty: 0, unsupported: 0, failed: 0, remaining: 0 })
  })

  it('reads `limit` files a run, oldest first, and says how many remain', async () => {
    await deliver('files@acme.vc', FILES)
    expect(await extractAttachmentTexts(context, blobs, { limit: 2 })).toEqual({ extracted: 2, empty: 0, unsupported: 0, failed: 0, remaining: 5 })
    expect((await texts()).map((r) => r.filename)).toEqual(['plan.pdf', 'scope.docx'])
    await expect(extractAttachmentTexts(context, blobs, { limit: 0 })).rejects.toThrow(/limit/)
    await expect(extractAttachmentTexts(context, blobs, { limits: { timeoutMs: 0 } })).rejects.toThrow(/timeoutMs/)
  })

  it('two runs at once record each file once', async () => {
    await deliver('files@acme.vc', FILES.slice(0, 3))
    const reports = await Promise.all([extractAttachmentTexts(context, blobs), extractAttachmentTexts(context, blobs)])
    expect(reports.reduce((sum, r) => sum + r.extracted, 0)).toBe(3)
    expect((await texts()).map((r) => [r.filename, r.status])).toEqual([
      ['cap.xlsx', 'extracted'],
      ['plan.pdf', 'extracted'],
      ['scope.docx', 'extracted'],
    ])
  })

  it('a reader that never answers is recorded failed in its bound, and the run goes on', async () => {
    await deliver('stuck@acme.vc', [
      { name: 'stuck.txt', bytes: Buffer.from('loop'), type: 'text/plain' },
      { name: 'after.txt', bytes: Buffer.from('read after it'), type: 'text/plain' },
    ])
    const script = { path: join(import.meta.dirname, 'misbehaving-worker.ts'), typescript: true }
    const report = await extractTextsWith(context, blobs, {}, workerExtractor(script, resolveExtractionLimits({ timeoutMs: 1_000 })))
    expect(report).toEqual({ extracted: 1, empty: 0, unsupported: 0, failed: 1, remaining: 0 })
    expect((await texts()).map((r) => [r.filename, r.status, r.text ?? r.error])).toEqual([
      ['after.txt', 'extracted', 'read after it'],
      ['stuck.txt', 'failed', 'took longer than 1 s'],
    ])
  })

  it('a file over the size cap is recorded failed unread, and so is a stored file missing from the blob store', async () => {
    await deliver('big@acme.vc', [{ name: 'big.csv', bytes: Buffer.alloc(3 * 1024 * 1024, 'a,b\n'), type: 'text/csv' }])
    expect(await extractAttachmentTexts(context, blobs, { limits: { maxBytes: 2 * 1024 * 1024 } })).toMatchObject({ failed: 1, remaining: 0 })
    expect((await texts())[0]).toMatchObject({ filename: 'big.csv', status: 'failed', text: null, error: 'larger than 2 MB' })

    await deliver('lost@acme.vc', [{ name: 'lost.txt', bytes: Buffer.from('gone soon'), type: 'text/plain' }])
    const other = createBlobStore(join(w.attachmentsDir, 'elsewhere'))
    expect(await extractAttachmentTexts(context, other)).toMatchObject({ failed: 1, remaining: 0 })
    expect((await texts())[1]).toMatchObject({ filename: 'lost.txt', status: 'failed', error: 'the stored file is missing' })
  })
})
