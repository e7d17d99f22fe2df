import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseFullMessage } from '../../../src/capture/parse/full.js'
import { MAX_HEADER_BYTES, MAX_RAW_MESSAGE_BYTES } from '../../../src/capture/parse/limits.js'
import { parseRawMessage } from '../../../src/capture/parse/raw.js'
import { rawToFullMessage } from '../../helpers/fixtures.js'

const HEAD = 'From: Ann <ann@fund.example>\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <big@fund.example>\r\nSubject: big\r\n'

/** A To header of `count` recipients with display names, folded one per line as mailers do. */
function recipients(count: number): string {
  const list = Array.from({ length: count }, (_, i) => `"Recipient ${i}" <user${i}@list${i % 97}.example>`)
  return `To: ${list.join(',\r\n ')}\r\n`
}

describe('large messages', () => {
  it('stores every one of 10,000 recipients, both readings', async () => {
    const raw = `${HEAD}${recipients(10_000)}Cc: =?UTF-8?Q?J=C3=B6rg?= <joerg@fund.example>\r\n\r\nHello all.\r\n`
    const started = performance.now()
    const result = await parseRawMessage(raw, {})
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.to).toHaveLength(10_000)
    expect(result.value.to[0]).toEqual({ address: 'user0@list0.example', name: 'Recipient 0' })
    expect(result.value.to[9_999]).toEqual({ address: 'user9999@list8.example', name: 'Recipient 9999' })
    expect(result.value.cc).toEqual([{ address: 'joerg@fund.example', name: 'Jörg' }])
    const full = parseFullMessage(rawToFullMessage(Buffer.from(raw)))
    expect(full.ok && full.value.to).toEqual(result.value.to)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('decodes a 25 MB attachment with its exact bytes', async () => {
    const content = Buffer.alloc(25 * 1024 * 1024)
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32BE(i, i)
    const encoded = content.toString('base64').replace(/.{76}/g, '$&\r\n')
    const raw = Buffer.from(
      `${HEAD}To: bob@fund.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
        `--b\r\nContent-Type: text/plain\r\n\r\nThe data room export.\r\n` +
        `--b\r\nContent-Type: application/zip; name="export.zip"\r\nContent-Disposition: attachment; filename="export.zip"\r\n` +
        `Content-Transfer-Encoding: base64\r\n\r\n${encoded}\r\n--b--\r\n`,
    )
    const result = await parseRawMessage(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), {})
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.text).toBe('The data room export.')
    expect(result.value.sizeBytes).toBe(raw.byteLength)
    const [attachment] = result.value.attachments
    expect(attachment?.size).toBe(content.length)
    const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
    expect(digest(attachment?.content ?? new Uint8Array())).toBe(digest(content))
  }, 30_000)
})

describe('limits', () => {
  it('refuses a raw message larger than Gmail could deliver', async () => {
    const result = await parseRawMessage(new Uint8Array(MAX_RAW_MESSAGE_BYTES + 1), {})
    expect(result).toEqual({ ok: false, reason: `message of ${MAX_RAW_MESSAGE_BYTES + 1} bytes exceeds the ${MAX_RAW_MESSAGE_BYTES}-byte limit` })
  })

  it('refuses a MIME nesting bomb with a reason', async () => {
    let body = 'Content-Type: text/plain\r\n\r\ncore\r\n'
    for (let i = 0; i < 80; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`
    const result = await parseRawMessage(`${HEAD}${body}`, {})
    expect(result).toEqual({ ok: false, reason: 'mime parse failed: Maximum MIME nesting depth of 50 levels exceeded' })
  })

  it('refuses a header bomb with a reason', async () => {
    const filler = `X-Filler: ${'x'.repeat(998)}\r\n`.repeat(Math.ceil(MAX_HEADER_BYTES / 1000) + 10)
    const result = await parseRawMessage(`${HEAD}${filler}\r\nbody\r\n`, {})
    expect(result).toEqual({ ok: false, reason: `mime parse failed: Maximum header size of ${MAX_HEADER_BYTES} bytes exceeded` })
  })

  it('reads nested messages deeper than the inline limit as attachments', async () => {
    let inner = `${HEAD}\r\ninnermost\r\n`
    for (let i = 0; i < 8; i++) inner = `${HEAD}Content-Type: message/rfc822\r\n\r\n${inner}`
    const result = await parseRawMessage(inner, {})
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.attachments.map((a) => a.mimeType)).toEqual(['message/rfc822'])
  })

  it('says why for input that is not an email', async () => {
    expect(await parseRawMessage('', {})).toEqual({ ok: false, reason: 'no message header fields (not an email)' })
    expect(await parseRawMessage(new Uint8Array([0, 1, 2, 255, 10, 10, 65]), { internalDate: '1' })).toEqual({
      ok: false,
      reason: 'no message header fields (not an email)',
    })
  })
})
