import sanitizeHtml from 'sanitize-html'
import { limitHtmlTags } from './html.js'

/*
 * The text of an HTML-only message. postal-mime has a converter but does not export it, and
 * the `full` reading is synchronous, so both readings use this one: sanitize-html parses the
 * markup (tolerating anything mail throws at it) down to the few tags that shape text, and
 * a single linear pass over that well-formed output lays the text out.
 */

/** Tags whose content is not text a reader sees. */
const INVISIBLE = ['script', 'style', 'head', 'title', 'template', 'noscript', 'textarea', 'option', 'select', 'svg', 'math']

/** Breaks before and after: a blank line. */
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'table', 'ul', 'ol', 'pre', 'dl'])
/** Breaks before and after: a new line. */
const LINES = new Set(['div', 'tr', 'section', 'article', 'header', 'footer', 'caption', 'dd', 'dt', 'li'])

const KEPT_TAGS = [...PARAGRAPHS, ...LINES, 'br', 'hr', 'td', 'th', 'a']

const PREPARE: sanitizeHtml.IOptions = {
  allowedTags: KEPT_TAGS,
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  enforceHtmlBoundary: false,
  nonTextTags: INVISIBLE,
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' }

/** Builds the text in pieces; knows how the text ends without joining it. */
class TextBuilder {
  readonly parts: string[] = []
  private newlines = 0

  text(value: string, preformatted = false): void {
    // Whitespace at the start of a line is only the HTML's indentation, except in <pre>.
    const lineStart = this.newlines > 0 || this.parts.length === 0
    const piece = lineStart && !preformatted ? value.replace(/^ +/, '') : value
    if (piece === '') return
    this.parts.push(piece)
    const trailing = piece.length - trimEndOf(piece, '\n').length
    this.newlines = trailing === piece.length ? this.newlines + trailing : trailing
  }

  /** A line break (`<br>`): always one more. */
  newline(): void {
    if (this.parts.length === 0) return
    this.trimTrailingSpaces()
    this.parts.push('\n')
    this.newlines++
  }

  /** Ends the line so that at least `count` line breaks precede what comes next. */
  breakLines(count: number): void {
    if (this.parts.length === 0) return
    this.trimTrailingSpaces()
    while (this.newlines < count) {
      this.parts.push('\n')
      this.newlines++
    }
  }

  private trimTrailingSpaces(): void {
    for (let last = this.parts.at(-1); last !== undefined; last = this.parts.at(-1)) {
      const trimmed = trimEndOf(last, ' ')
      if (trimmed !== '') {
        this.parts[this.parts.length - 1] = trimmed
        if (trimmed !== last) this.newlines = trimmed.length - trimEndOf(trimmed, '\n').length
        return
      }
      this.parts.pop()
    }
  }
}

/** `value` without trailing `char`s; a loop, since `/ +$/` is quadratic on long inner runs. */
function trimEndOf(value: string, char: string): string {
  let end = value.length
  while (end > 0 && value[end - 1] === char) end--
  return value.slice(0, end)
}

function decodeEntities(text: string): string {
  return text.replace(/&(?:lt|gt|quot|#39|amp);/g, (entity) => ENTITIES[entity] ?? entity)
}

/**
 * Plain text from email HTML: invisible parts dropped, paragraphs and rows on lines of their
 * own, list items as `* `, links followed by their target in parentheses (unless the text is
 * the target), entities decoded, whitespace collapsed outside `<pre>`.
 *
 * @example
 * ```ts
 * htmlToText('<p>Hello <b>world</b></p><p><a href="https://x.example">site</a></p>')
 * // 'Hello world\n\nsite (https://x.example)'
 * ```
 */
export function htmlToText(html: string): string {
  const clean = sanitizeHtml(limitHtmlTags(html), PREPARE)
  const out = new TextBuilder()
  const links: { href: string | null; start: number }[] = []
  let pre = 0
  for (const token of clean.split(/(<[^>]*>)/)) {
    if (!token.startsWith('<')) {
      const text = decodeEntities(token).replace(/\u00a0/g, ' ')
      if (pre > 0) out.text(text, true)
      else out.text(text.replace(/[ \t\r\n\f]+/g, ' '))
      continue
    }
    const tag = /^<(\/?)([a-z0-9]+)/.exec(token)
    const closing = tag?.[1] === '/'
    const name = tag?.[2] ?? ''
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1))
    if (name === 'br') out.newline()
    else if (name === 'hr') {
      out.breakLines(1)
      out.text('---')
      out.breakLines(1)
    } else if (PARAGRAPHS.has(name)) out.breakLines(2)
    else if (LINES.has(name)) out.breakLines(1)
    if (name === 'li' && !closing) out.text('* ')
    if ((name === 'td' || name === 'th') && closing) out.text(' ')
    if (name === 'a' && !closing) {
      const href = /href="([^"]*)"/.exec(token)?.[1]
      links.push({ href: href === undefined ? null : decodeEntities(href), start: out.parts.length })
    } else if (name === 'a') {
      const link = links.pop()
      // Only a short label is compared with its target; joining the pieces of every nested
      // link again at each closing tag would be quadratic.
      if (link !== undefined && link.href !== null) {
        const label = out.parts.length - link.start <= 16 ? out.parts.slice(link.start).join('').trim() : null
        const bare = link.href.replace(/^mailto:/i, '')
        if (label !== link.href && label !== bare) out.text(label === '' ? link.href : ` (${link.href})`)
      }
    }
  }
  return out.parts.join('').trim()
}
