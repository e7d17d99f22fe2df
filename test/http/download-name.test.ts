import { describe, expect, it } from 'vitest'
import { contentDisposition, downloadName, MAX_DOWNLOAD_NAME_BYTES } from '../../src/http/download-name.js'

/** The two names of a `Content-Disposition` value: the ASCII fallback and the decoded UTF-8 one. */
function namesOf(header: string): { ascii: string; utf8: string } {
  const match = /^attachment; filename="([\x20-\x21\x23-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(header)
  if (match === null) throw new Error(`not a safe Content-Disposition: ${JSON.stringify(header)}`)
  return { ascii: match[1] ?? '', utf8: decodeURIComponent(match[2] ?? '') }
}

/** Whether every surrogate in a text has its pair (what `encodeURIComponent` needs). */
const wellFormed = (text: string): boolean => !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C']

describe('download names', () => {
  it('downloads a long name ending in an emoji: the cut never splits a surrogate pair and the extension stays', () => {
    const filename = `${'a'.repeat(199)}😀.pdf`
    // The old 200-unit cut left half of the emoji, and encoding that threw.
    expect(() => encodeURIComponent(filename.slice(0, 200))).toThrow(URIError)
    const header = contentDisposition(filename)
    const { ascii, utf8 } = namesOf(header)
    expect(utf8).toBe(`${'a'.repeat(MAX_DOWNLOAD_NAME_BYTES - 4)}.pdf`)
    expect(ascii).toBe(utf8)
    expect(wellFormed(utf8)).toBe(true)
  })

  it('keeps whole characters, flags and emoji sequences, when a name is cut', () => {
    for (const character of ['😀', '🇩🇪', '👩🏽‍💻', 'é', 'e\u0301', '한', '𝒜']) {
      const name = downloadName(`${character.repeat(300)}.xlsx`)
      expect(name.endsWith('.xlsx'), character).toBe(true)
      const stem = name.slice(0, -5)
      expect(stem.length % character.normalize('NFC').length, character).toBe(0)
      expect(stem.split(character.normalize('NFC')).join(''), character).toBe('')
      expect(Buffer.byteLength(name), character).toBeLessThanOrEqual(MAX_DOWNLOAD_NAME_BYTES)
      expect(wellFormed(name)).toBe(true)
    }
    // Without an extension worth keeping, the name is cut at the end.
    expect(downloadName('x'.repeat(1000))).toBe('x'.repeat(MAX_DOWNLOAD_NAME_BYTES))
    expect(downloadName(`${'y'.repeat(300)}.not an extension`)).toBe('y'.repeat(MAX_DOWNLOAD_NAME_BYTES))
    // One character bigger than the budget (a letter under a pile of marks) is cut between code points.
    const pile = `q${'\u0301'.repeat(500)}`
    expect(Buffer.byteLength(downloadName(pile))).toBeLessThanOrEqual(MAX_DOWNLOAD_NAME_BYTES)
    expect(downloadName(pile).startsWith('q\u0301')).toBe(true)
  })

  it('strips bidirectional controls, so a name displays as what it is', () => {
    const { ascii, utf8 } = namesOf(contentDisposition('invoice\u202Egnp.exe'))
    expect(utf8).toBe('invoicegnp.exe')
    expect(ascii).toBe('invoicegnp.exe')
    for (const control of BIDI) {
      const name = downloadName(`report${control}fdp.exe`)
      expect(name, control.codePointAt(0)?.toString(16)).toBe('reportfdp.exe')
    }
    expect(downloadName(BIDI.join(''))).toBe('attachment')
  })

  it('strips control characters, line separators and quotes, and takes the last path segment', () => {
    expect(downloadName('a\u0000b\u0007c\u001b[31md\u007f\u0085e\u009f.txt')).toBe('abc[31mde.txt')
    expect(downloadName('one\u2028two\u2029.txt')).toBe('onetwo.txt')
    expect(downloadName('evil".pdf\r\nSet-Cookie: x=1')).toBe('evil.pdfSet-Cookie: x=1')
    expect(downloadName('..\\..\\Windows\\evil.exe')).toBe('evil.exe')
    expect(downloadName('../../etc/passwd')).toBe('passwd')
    for (const nothing of ['', '   ', '/', '..', '../../..', '.\u202E.', '\u0000']) expect(downloadName(nothing)).toBe('attachment')
  })

  it('never throws on text that is not well formed, and gives NFC names', () => {
    for (const broken of ['\uD83D', 'a\uDE00b', `${'z'.repeat(199)}\uD83D`, '\uDE00\uD83D.pdf']) {
      const header = contentDisposition(broken)
      expect(wellFormed(namesOf(header).utf8)).toBe(true)
    }
    expect(downloadName('a\uDE00b')).toBe('a\uFFFDb')
    expect(downloadName('re\u0301sume\u0301.pdf')).toBe('résumé.pdf')
  })

  it('gives an ASCII fallback with one _ per character, and the UTF-8 name in RFC 8187 form', () => {
    expect(contentDisposition('résumé 👩🏽‍💻.pdf')).toBe(
      `attachment; filename="r_sum_ _.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%F0%9F%91%A9%F0%9F%8F%BD%E2%80%8D%F0%9F%92%BB.pdf`,
    )
    expect(contentDisposition("it's (final)*.pdf")).toBe(`attachment; filename="it's (final)*.pdf"; filename*=UTF-8''it%27s%20%28final%29%2A.pdf`)
  })
})
