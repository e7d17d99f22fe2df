import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParsedEmail } from '../../../src/capture/parse/parsed-email.js'
import { parseFullMessage } from '../../../src/capture/parse/full.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { QUOTA_COSTS_2026, resolveConfig } from '../../../src/config/index.js'
import { createGmailClient } from '../../../src/gmail/client.js'
import type { GmailClient } from '../../../src/gmail/client-types.js'
import { createDwdCredentials } from '../../../src/gmail/credentials/dwd.js'
import { createQuotaLimiter } from '../../../src/gmail/quota.js'
import { startGmailEmulator, type GmailEmulator } from '../../../src/testing/index.js'
import { loadMailFixture } from '../../helpers/fixtures.js'

/*
 * Three ways real-world mail breaks a strict reading, one fixture each (exact bytes, CRLF line
 * ends, in test/fixtures/mail/), read both ways: raw through postal-mime, and as the `full` part
 * tree the Gmail emulator serves over HTTP, with attachment bytes from attachments.get.
 */

const ANN = 'ann@fund.example'
const INTERNAL_DATE = '1057049557000'

/** One reading of a fixture: the email, and each attachment's bytes as text (latin1 for exactness). */
interface Reading {
  readonly email: ParsedEmail
  readonly files: Record<string, string>
}

let emu: GmailEmulator
let gmail: GmailClient

beforeAll(async () => {
  emu = await startGmailEmulator({ seed: 8, quota: Infinity })
  emu.addMailbox(ANN)
  const { serviceAccount } = resolveConfig({ serviceAccountKey: emu.serviceAccountKey, enabled: true, workspaceDomains: ['fund.example'] })
  if (serviceAccount === null) throw new Error('the emulator key gave no service account')
  gmail = createGmailClient({
    baseUrl: emu.url,
    mailbox: ANN,
    credentials: createDwdCredentials({ serviceAccount, tokenUrl: emu.tokenUrl }),
    limiter: createQuotaLimiter({ rateUnitsSec: 1_000_000 }),
    costs: QUOTA_COSTS_2026,
    retryMax: 2,
    backoff: { minDelayMs: 1, maxDelayMs: 5 },
  })
})

afterAll(async () => {
  await emu.close()
})

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')

async function readRaw(name: string): Promise<Reading> {
  const result = await parseRawMessage(loadMailFixture(name), { internalDate: INTERNAL_DATE })
  if (!result.ok) throw new Error(`${name}: ${result.reason}`)
  const files = Object.fromEntries(result.value.attachments.map((a) => [a.filename, latin1(a.content ?? new Uint8Array())]))
  return { email: result.value, files }
}

async function readFull(name: string): Promise<Reading> {
  const { id } = emu.addMessage(ANN, Buffer.from(loadMailFixture(name)))
  const result = parseFullMessage(await gmail.getMessage(id, { format: 'full' }))
  if (!result.ok) throw new Error(`${name}: ${result.reason}`)
  const files: Record<string, string> = {}
  for (const a of result.value.attachments) {
    const bytes = a.content ?? (a.gmailAttachmentId === null ? null : (await gmail.getAttachment(id, a.gmailAttachmentId)).data)
    files[a.filename] = bytes === null ? '(no bytes)' : latin1(bytes)
  }
  return { email: result.value, files }
}

const readings = [
  ['raw', readRaw],
  ['full', readFull],
] as const

describe.each(readings)('real-world mail, read %s', (_format, read) => {
  it('reads a part whose Content-Type has no subtype as the text/plain body (RFC 2045 §5.2)', async () => {
    const { email, files } = await read('content-type-no-subtype.eml')
    expect(email.text).toBe('Our notes from the call are below.\nRevenue grew 40% this quarter.')
    expect(email.snippet).toBe('Our notes from the call are below. Revenue grew 40% this quarter.')
    expect(email.attachments.map((a) => [a.filename, a.mimeType])).toEqual([['terms.pdf', 'application/pdf']])
    expect(files).toEqual({ 'terms.pdf': '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n' })
  })

  it('reads a message whose own Content-Type has no subtype as text in its named charset', async () => {
    const { email } = await read('content-type-invalid-top.eml')
    expect(email.text).toBe('Café at noon?\nLuc')
    expect(email.attachments).toEqual([])
  })

  it('ends a message header at its first non-header line, which starts the body (RFC 5322)', async () => {
    const { email } = await read('no-blank-line.eml')
    expect(email.messageId).toBe('no-blank@client.example')
    expect(email.from).toEqual({ address: 'ivo@client.example', name: 'Ivo Petrov' })
    expect(email.subject).toBe('Quick question')
    // The second line looks like a header field, but the header has already ended.
    expect(email.text).toBe('Are we still on for Thursday?\nNote: I will bring the deck.\nIvo')
  })

  it('ends a part header at its first non-header line, for the body and for an attachment', async () => {
    const { email, files } = await read('no-blank-line-part.eml')
    expect(email.text).toBe('Hello Ann,\nthe figures are in the sheet.')
    expect(email.attachments.map((a) => [a.filename, a.mimeType, a.size])).toEqual([['figures.csv', 'text/csv', 23]])
    expect(files).toEqual({ 'figures.csv': 'month,revenue\r\nJune,120' })
  })

  it('keeps the exact bytes of attachments sent 7bit, 8bit, without an encoding and quoted-printable', async () => {
    const { email, files } = await read('attachments-text-encodings.eml')
    expect(email.text).toBe('The board pack, five files.')
    expect(files).toEqual({
      // 7bit, ending in CRLF: one line break, not two, and not LF.
      'minutes.txt': 'Minutes\r\n\r\n1. Budget approved.\r\n2. Next call on Friday.\r\n',
      // 8bit UTF-8 without a final line break: the CRLF before the boundary is the boundary's.
      'summary.txt': Buffer.from('Résumé: déjà vu\r\nNo newline at the end').toString('latin1'),
      // No Content-Transfer-Encoding, bare LF line ends: kept bare.
      'unix.txt': 'first\nsecond\n',
      // Quoted-printable: hard breaks stay CRLF, soft breaks join, =C3=A9 is two bytes.
      'report.csv': Buffer.from(
        'name,amount\r\nCafé,12\r\nA long description line that goes on and on past the seventy-six character limit\r\n',
      ).toString('latin1'),
      // Quoted-printable of a file with bare LF (=0A) and a final space (=20).
      'data.txt': 'a=b\nc\ntrailing space ',
    })
    expect(email.attachments.map((a) => a.size)).toEqual([57, 42, 13, 105, 21])
  })
})
