import { Buffer } from 'node:buffer'

/*
 * Transfer encodings undone and redone byte for byte, for the raw repair: an attachment must
 * come out as the sender's file, so no line ending may be rewritten and none added.
 */

const LF = 0x0a
const CR = 0x0d
const EQUALS = 0x3d
const SPACE = 0x20
const TAB = 0x09

/** Base64 lines of this many characters, as RFC 2045 §6.8 asks mailers to write them. */
const BASE64_LINE = 76

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1
}

/**
 * Decodes a quoted-printable body (RFC 2045 §6.7) exactly: `=XX` (either case) becomes its byte,
 * a line ending in `=` is joined with the next (soft break), a hard line break stays the bytes it
 * was (CRLF or a bare LF), whitespace a transport added at the end of a line is dropped, and an
 * `=` that starts no valid escape is kept as it is.
 *
 * @example
 * ```ts
 * decodeQuotedPrintable(Buffer.from('Caf=C3=A9 long=\r\nline\r\nend')) // 'Café longline\r\nend' as UTF-8 bytes
 * ```
 */
export function decodeQuotedPrintable(body: Uint8Array): Uint8Array {
  const out = Buffer.alloc(body.byteLength)
  let length = 0
  let start = 0
  while (start < body.byteLength) {
    let newline = body.indexOf(LF, start)
    if (newline === -1) newline = body.byteLength
    let end = newline > start && body[newline - 1] === CR ? newline - 1 : newline
    const breakStart = end
    while (end > start && (body[end - 1] === SPACE || body[end - 1] === TAB)) end--
    const soft = end > start && body[end - 1] === EQUALS
    if (soft) end--
    for (let i = start; i < end; i++) {
      const byte = body[i] ?? 0
      const high = byte === EQUALS ? hexValue(body[i + 1]) : -1
      const low = high >= 0 && i + 2 < end ? hexValue(body[i + 2]) : -1
      if (low >= 0) {
        out[length++] = (high << 4) | low
        i += 2
      } else out[length++] = byte
    }
    if (!soft) for (let i = breakStart; i < newline + 1 && i < body.byteLength; i++) out[length++] = body[i] ?? 0
    start = newline + 1
  }
  return new Uint8Array(out.buffer, out.byteOffset, length)
}

/** Input bytes per base64 line: 57 bytes are exactly 76 characters. */
const BYTES_PER_LINE = (BASE64_LINE / 4) * 3
/** Lines encoded per step: large enough to be fast, small enough to keep the copy short. */
const LINES_PER_BLOCK = 1024

/**
 * Bytes as a base64 body (ASCII bytes) in lines of 76 characters joined by CRLF, without a line
 * break after the last line (the one before the next boundary belongs to the boundary).
 *
 * @example
 * ```ts
 * new TextDecoder().decode(base64Body(new Uint8Array([104, 105]))) // 'aGk='
 * ```
 */
export function base64Body(bytes: Uint8Array): Uint8Array {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lines = Math.ceil(input.byteLength / BYTES_PER_LINE)
  const out = Buffer.alloc(Math.ceil(input.byteLength / 3) * 4 + Math.max(0, lines - 1) * 2)
  let at = 0
  const blockBytes = BYTES_PER_LINE * LINES_PER_BLOCK
  for (let start = 0; start < input.byteLength; start += blockBytes) {
    const encoded = Buffer.from(input.subarray(start, start + blockBytes).toString('base64'), 'latin1')
    for (let i = 0; i < encoded.byteLength; i += BASE64_LINE) {
      if (at > 0) {
        out[at++] = CR
        out[at++] = LF
      }
      at += encoded.copy(out, at, i, Math.min(i + BASE64_LINE, encoded.byteLength))
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, at)
}
