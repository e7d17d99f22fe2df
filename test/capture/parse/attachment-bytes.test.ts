import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { downloadPendingAttachments } from '../../../src/capture/attachments-worker.js'
import { startCaptureSetup, type CaptureSetup } from '../../helpers/capture-setup.js'
import { ANN } from '../../helpers/team.js'
import { openSqlite } from '../../helpers/databases.js'

/*
 * Attachment bytes are the sender's file, byte for byte, whatever the transfer encoding: every
 * file below is sent in every encoding that can carry it, captured through the pipeline from the
 * Gmail emulator over HTTP (small messages `raw`, large ones `full` with the download worker),
 * and the sha256 of the bytes in the blob store must be the sha256 of the file.
 */

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** Deterministic bytes covering every value, with CR, LF and NUL in odd places, ending in a bare CR. */
function binaryFile(): Buffer {
  const bytes: number[] = Array.from({ length: 256 }, (_, i) => i)
  let state = 0x2f6b_1d33
  for (let i = 0; i < 3000; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    bytes.push(state >>> 24)
  }
  bytes.push(0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0d, 0x0a, 0x0d)
  return Buffer.from(bytes)
}

const TEXT_FILES: Readonly<Record<string, Buffer>> = {
  'crlf-ending.txt': Buffer.from('Line one\r\nLine two\r\n'),
  'crlf-no-ending.txt': Buffer.from('Line one\r\nLine two'),
  'lf-ending.txt': Buffer.from('line one\nline two\n'),
  'lf-no-ending.txt': Buffer.from('line one\nline two'),
  'blank-lines-at-end.txt': Buffer.from('Totals\r\n\r\n\r\n'),
  'trailing-blanks.txt': Buffer.from('spaces after   \r\n\ttab after\t\r\nend '),
  'dashes.txt': Buffer.from('--\r\n-- signature\r\n---\r\n'),
  'long-line.txt': Buffer.from(`${'0123456789'.repeat(30)}\r\n`),
  'empty.txt': Buffer.alloc(0),
}
const EIGHT_BIT_FILES: Readonly<Record<string, Buffer>> = {
  ...TEXT_FILES,
  'utf8.txt': Buffer.from('Résumé: déjà vu — 日本語\r\nNo newline at the end'),
  'binary.bin': binaryFile(),
}

/** The transfer encodings, and quoted-printable with blanks a transport added at each line end. */
type Encoding = 'base64' | 'quoted-printable' | 'quoted-printable-padded' | '7bit' | '8bit' | 'binary' | 'absent'

/** Which files each encoding can carry: 7-bit ones only ASCII text. */
const TABLE: Readonly<Record<Encoding, Readonly<Record<string, Buffer>>>> = {
  base64: EIGHT_BIT_FILES,
  'quoted-printable': EIGHT_BIT_FILES,
  'quoted-printable-padded': EIGHT_BIT_FILES,
  '7bit': TEXT_FILES,
  '8bit': EIGHT_BIT_FILES,
  binary: EIGHT_BIT_FILES,
  absent: TEXT_FILES,
}

const hex = (byte: number): string => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`

/** RFC 2045 quoted-printable as a careful mailer writes it: CRLF as a hard break, lines of at most 76. */
function quotedPrintable(bytes: Buffer): string {
  const lines: string[] = []
  let line = ''
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0
    if (byte === 0x0d && bytes[i + 1] === 0x0a) {
      lines.push(line)
      line = ''
      i++
      continue
    }
    const lineEnds = i + 1 === bytes.length || (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a)
    const literal = (byte >= 33 && byte <= 126 && byte !== 0x3d) || ((byte === 0x20 || byte === 0x09) && !lineEnds)
    const token = literal ? String.fromCharCode(byte) : hex(byte)
    if (line.length + token.length > 75) {
      lines.push(`${line}=`)
      line = ''
    }
    line += token
  }
  lines.push(line)
  return lines.join('\r\n')
}

function encodeBody(bytes: Buffer, encoding: Encoding): string {
  if (encoding === 'base64') return bytes.toString('base64').replace(/.{76}(?=.)/g, '$&\r\n')
  if (encoding === 'quoted-printable') return quotedPrintable(bytes)
  // RFC 2045 6.7 (3): blanks at the end of an encoded line were added in transport; decoding drops them.
  if (encoding === 'quoted-printable-padded') return quotedPrintable(bytes).replace(/\r\n/g, ' \t\r\n')
  return bytes.toString('latin1')
}

const BOUNDARY = '=_part_8f3a1c55e2'

/** A message from the fund's partner with every file of one encoding, and optional base64 padding. */
function message(encoding: Encoding, padding: Buffer | null): Buffer {
  const parts = Object.entries(TABLE[encoding]).map(([name, bytes]) => [
    `--${BOUNDARY}`,
    `Content-Type: ${name.endsWith('.bin') ? 'application/octet-stream' : 'text/plain; charset=utf-8'}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    ...(encoding === 'absent' ? [] : [`Content-Transfer-Encoding: ${encoding.replace('-padded', '')}`]),
    '',
    encodeBody(bytes, encoding),
  ])
  const pad = padding === null ? [] : [
    `--${BOUNDARY}`,
    'Content-Type: application/octet-stream; name="padding.bin"',
    'Content-Disposition: attachment; filename="padding.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    padding.toString('base64').replace(/.{76}(?=.)/g, '$&\r\n'),
  ]
  const text = [
    'From: Dana <dana@acme.vc>',
    `To: ${ANN}`,
    `Subject: Files sent ${encoding}`,
    'Date: Mon, 1 Jun 2026 10:00:00 +0000',
    `Message-ID: <files-${encoding}${padding === null ? '' : '-large'}@acme.vc>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The files, sent ${encoding}.`,
    ...parts.flat(),
    ...pad,
    `--${BOUNDARY}--`,
    '',
  ].join('\r\n')
  return Buffer.from(text, 'latin1')
}

/** `encoding/file` -> sha256 of the file, for every file the table sends. */
function expected(extra: Readonly<Record<string, Buffer>> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [encoding, files] of Object.entries(TABLE)) {
    for (const [name, bytes] of Object.entries({ ...files, ...extra })) out[`${encoding}/${name}`] = sha256(bytes)
  }
  return out
}

/** `encoding/file` -> sha256 of the bytes in the blob store, for every attachment row. */
async function stored(s: CaptureSetup): Promise<Record<string, string>> {
  const rows = await s.db
    .selectFrom('email_attachments')
    .innerJoin('emails', 'emails.id', 'email_attachments.email_id')
    .select(['emails.subject', 'email_attachments.filename', 'email_attachments.status', 'email_attachments.sha256'])
    .execute()
  const out: Record<string, string> = {}
  for (const row of rows) {
    const encoding = row.subject.replace('Files sent ', '')
    // The sha256 of the file on disk, not the column: the bytes are what must be right.
    out[`${encoding}/${row.filename}`] = row.sha256 === null ? `${row.status} without bytes` : sha256(readFileSync(s.blobs.pathOf(row.sha256)))
  }
  return out
}

const setups: CaptureSetup[] = []
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()))
})

describe('attachment bytes are the sender\'s file for every transfer encoding', () => {
  it('through the raw path: format=raw, postal-mime, the blob store', async () => {
    const s = await startCaptureSetup(openSqlite, { mailboxes: [ANN] })
    setups.push(s)
    for (const encoding of Object.keys(TABLE) as Encoding[]) s.emu.addMessage(ANN, message(encoding, null))
    const run = await s.captureMailbox(ANN)
    expect(run.failed).toEqual([])
    expect(run.captured).toBe(Object.keys(TABLE).length)
    expect(await stored(s)).toEqual(expected())
  })

  it('through the full path: format=full part tree, attachments.get by the download worker', async () => {
    // With 1 MB as the attachment limit, a message over 1 MB is fetched as a part tree.
    const s = await startCaptureSetup(openSqlite, { mailboxes: [ANN], config: { maxAttachmentMb: 1 } })
    setups.push(s)
    const padding = Buffer.alloc(800 * 1024, 0x5a)
    for (const encoding of Object.keys(TABLE) as Encoding[]) s.emu.addMessage(ANN, message(encoding, padding))
    const run = await s.captureMailbox(ANN)
    expect(run.failed).toEqual([])
    expect(run.captured).toBe(Object.keys(TABLE).length)
    const pending = await s.db.selectFrom('email_attachments').select('status').where('status', '=', 'pending').execute()
    expect(pending.length).toBeGreaterThan(0)
    await downloadPendingAttachments(s.context, { blobs: s.blobs, clientFor: (_id, address) => s.client(address) })
    expect(await stored(s)).toEqual(expected({ 'padding.bin': padding }))
  })
})
