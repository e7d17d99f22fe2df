import sanitizeHtml from 'sanitize-html'
import { MAX_HTML_TAGS } from './limits.js'

/*
 * Email HTML is hostile by default: it is written by strangers and will be shown inside the
 * CRM. What survives here is markup and inline presentation only. Nothing runs (no script,
 * handler, javascript: URL, form, frame, object, meta refresh, base), nothing loads from the
 * network (no remote image, stylesheet, CSS url(), srcset or background attribute), and
 * nothing can overlay the host page (no positioning styles). Images keep only `cid:` (the
 * message's own inline parts) and `data:` raster images.
 */

/** Tags whose text is never content: dropped with everything inside them. */
const DROPPED_WITH_CONTENT = [
  'script', 'style', 'textarea', 'option', 'select', 'noscript', 'title', 'head', 'template',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'noembed', 'noframes',
]

const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  'img', 'font', 'center', 'del', 'ins', 'strike', 'big', 'tt', 'small',
]

const TABLE_ATTRIBUTES = ['width', 'height', 'align', 'valign', 'bgcolor', 'border', 'cellpadding', 'cellspacing']

const ALLOWED_ATTRIBUTES: Record<string, sanitizeHtml.AllowedAttribute[]> = {
  '*': ['style', 'dir', 'lang', 'title', 'align'],
  a: ['href', 'rel'],
  img: ['src', 'alt', 'width', 'height', 'border'],
  font: ['color', 'face', 'size'],
  table: TABLE_ATTRIBUTES,
  td: [...TABLE_ATTRIBUTES, 'colspan', 'rowspan', 'nowrap'],
  th: [...TABLE_ATTRIBUTES, 'colspan', 'rowspan', 'nowrap'],
  tr: TABLE_ATTRIBUTES,
  col: ['width', 'span'],
  colgroup: ['width', 'span'],
  ol: ['start', 'type'],
  ul: ['type'],
}

/**
 * A CSS value without functions other than colours: `url()`, `image-set()`, `expression()` and
 * `var()` are how styles load or compute things, so none of them can pass.
 */
const SAFE_CSS_VALUE = /^(?:[-#%,.!\w\s"']|(?:rgba?|hsla?)\([\d\s.,%/]*\))*$/i

/** Presentation only; `position`, `z-index` and offsets are left out so mail cannot cover the page. */
const STYLE_PROPERTIES = [
  'color', 'background-color', 'font', 'font-family', 'font-size', 'font-weight', 'font-style', 'font-variant',
  'text-align', 'text-decoration', 'text-transform', 'text-indent', 'vertical-align', 'line-height',
  'letter-spacing', 'white-space', 'direction', 'display', 'list-style-type', 'width', 'height', 'max-width',
  'min-width', 'max-height', 'min-height', 'border', 'border-top', 'border-right', 'border-bottom', 'border-left',
  'border-color', 'border-style', 'border-width', 'border-radius', 'border-collapse', 'border-spacing',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
]

const ALLOWED_STYLES = { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_CSS_VALUE]])) }

const LINK_REL = 'noopener noreferrer nofollow'

/** Raster image types a browser renders without running anything; SVG can carry script. */
const DATA_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|bmp);/i

/** The scheme as a browser would read it: control characters and blanks are ignored. */
function compact(url: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a browser skips
  return url.replace(/[\u0000-\u0020\u007f-\u009f]+/g, '').toLowerCase()
}

function transformLink(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const { href, ...rest } = attribs
  const target = href?.trim()
  const keep = target !== undefined && /^(?:https?:|mailto:)/.test(compact(target))
  return { tagName, attribs: { ...rest, ...(keep ? { href: target } : {}), rel: LINK_REL } }
}

function transformImage(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  // srcset and every other source attribute are not in the allow list, so only src needs a look.
  const { src, ...rest } = attribs
  const source = src?.trim() ?? ''
  const scheme = compact(source)
  const keep = scheme.startsWith('cid:') || DATA_IMAGE.test(scheme)
  return { tagName, attribs: keep ? { ...rest, src: source } : rest }
}

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: ALLOWED_ATTRIBUTES,
  allowedStyles: ALLOWED_STYLES,
  allowedClasses: {},
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  allowVulnerableTags: false,
  disallowedTagsMode: 'discard',
  // Mail sometimes carries text after </html>; dropping it would lose content, and keeping it
  // is safe because it goes through the same filter.
  enforceHtmlBoundary: false,
  nonTextTags: DROPPED_WITH_CONTENT,
  transformTags: { a: transformLink, img: transformImage },
}

/**
 * The HTML up to its {@link MAX_HTML_TAGS}th tag; the rest is dropped. A linear scan, run before
 * any parser sees the markup.
 *
 * @example
 * ```ts
 * limitHtmlTags('<p>a</p>') // '<p>a</p>'
 * ```
 */
export function limitHtmlTags(html: string): string {
  let count = 0
  for (let at = html.indexOf('<'); at >= 0; at = html.indexOf('<', at + 1)) {
    const next = html.charCodeAt(at + 1)
    // A letter opens a tag; `</`, `<!` and a bare `<` do not add to the parser's stack.
    if (((next | 0x20) >= 0x61 && (next | 0x20) <= 0x7a) && ++count > MAX_HTML_TAGS) return html.slice(0, at)
  }
  return html
}

/**
 * Sanitises an email's HTML for display: scripts, handlers, frames, forms, styles blocks and
 * every remote load are removed, links keep only http, https and mailto and get
 * `rel="noopener noreferrer nofollow"`, images keep only `cid:` and `data:` raster sources.
 * Markup past {@link MAX_HTML_TAGS} tags is dropped.
 *
 * @example
 * ```ts
 * sanitizeEmailHtml('<p onclick="x()">Hi<img src="http://tracker.example/p.gif"></p>') // '<p>Hi<img /></p>'
 * ```
 */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(limitHtmlTags(html.replace(/\0/g, '')), OPTIONS)
}
