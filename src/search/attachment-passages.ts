/**
 * Hits found in attachments (SPEC §9: "a hit in an attachment names the file"). For the page
 * of a keyword search, an email whose own fields (subject, participants, body) do not hold
 * every query word was found through its attachments' text: its hit quotes a passage of the
 * attachment holding the most query words (the first such attachment on a tie) and names that
 * file. An email its own fields hold whole keeps its backend's highlight.
 *
 * Only readers who may read the attachments (body-level: `searchableFields` holds
 * `attachments`) get a passage; for the others no attachment text is read at all. A page holds
 * at most 100 emails, so the passage is cut here, the same way on both dialects, from the text
 * the index holds (`indexedAttachmentTexts`).
 */
import { sql, type Kysely } from 'kysely'
import type { EmailDatabase } from '../db/database.js'
import { indexedAttachmentTexts, SEARCH_WORD, type IndexedAttachmentText } from '../db/search-index.js'
import type { MatchedAttachment, SearchHit } from './backend.js'
import { DB_MARK_CLOSE, DB_MARK_OPEN, fts5Match, highlightText, pgTsQuery } from './text.js'
import { OWN_FIELDS, searchableFields, type KeywordIndex, type RankedEmail } from './visibility.js'

/** Words of a passage (as FTS5's snippets of the email's own text have). */
const PASSAGE_WORDS = 20
/** Words of a passage before its first match, so the match is read in its sentence. */
const WORDS_BEFORE = 6
/** Marks a passage that starts or ends inside the text, as the backends' snippets do. */
const ELLIPSIS = '…'

/** A hit's passage of an attached file. */
export interface AttachmentPassage {
  readonly attachment: MatchedAttachment
  /** The passage, the query's words marked `«` `»`. */
  readonly highlight: string
}

/** One word of a text: where it is, and which query word it matches (`-1`: none). */
interface Token {
  readonly start: number
  readonly end: number
  readonly match: number
}

/**
 * A word as the index compares it: case folded and, as the SQLite index does, without
 * diacritics. Used on both sides of a comparison, so it only ever marks more, never less.
 */
function fold(word: string): string {
  return word.normalize('NFKC').toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')
}

/** The words of a text, each with the query word it matches (the last one also as a prefix). */
function tokens(text: string, words: readonly string[]): Token[] {
  const folded = words.map(fold)
  const last = folded.length - 1
  const matchOf = (token: string): number => {
    const t = fold(token)
    return folded.findIndex((w, i) => w !== '' && (t === w || (i === last && t.startsWith(w))))
  }
  return [...text.matchAll(SEARCH_WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length, match: matchOf(m[0]) }))
}

/**
 * The passage around the first match of a text's tokens, matches between the database's marks
 * (`highlightText` turns them into `«` `»`); `null` when nothing matches.
 */
function passage(text: string, list: readonly Token[]): string | null {
  const first = list.findIndex((t) => t.match >= 0)
  if (first < 0) return null
  const from = Math.max(0, first - WORDS_BEFORE)
  const shown = list.slice(from, from + PASSAGE_WORDS)
  const toEnd = from + shown.length >= list.length
  // At either end of the text the passage keeps its punctuation; inside it, an ellipsis.
  let raw = from > 0 ? `${ELLIPSIS} ` : ''
  let at = from > 0 ? (shown[0]?.start ?? 0) : 0
  for (const t of shown) {
    const word = text.slice(t.start, t.end)
    raw += text.slice(at, t.start) + (t.match >= 0 ? `${DB_MARK_OPEN}${word}${DB_MARK_CLOSE}` : word)
    at = t.end
  }
  return toEnd ? raw + text.slice(at) : `${raw} ${ELLIPSIS}`
}

/** The attachment of an email holding the most query words (the first on a tie), with its passage. */
function bestPassage(files: readonly IndexedAttachmentText[], words: readonly string[]): AttachmentPassage | null {
  let best: { file: IndexedAttachmentText; list: Token[]; found: number } | null = null
  for (const file of files) {
    const list = tokens(file.text, words)
    const found = new Set(list.flatMap((t) => (t.match >= 0 ? [t.match] : []))).size
    if (found > (best?.found ?? 0)) best = { file, list, found }
  }
  const raw = best === null ? null : passage(best.file.text, best.list)
  if (best === null || raw === null) return null
  return { attachment: { id: best.file.attachmentId, filename: best.file.filename }, highlight: highlightText(raw) }
}

/**
 * Which of some emails hold every query word in their own fields (subject, participants, body).
 * The index is asked about these emails only, not for every email that holds a common word.
 */
async function ownTextMatches(db: Kysely<EmailDatabase>, index: KeywordIndex, words: readonly string[], ids: readonly number[]): Promise<Set<number>> {
  const query =
    index === 'tsvector'
      ? sql<{ id: number }>`select email_id as id from email_fts
          where email_id in (${sql.join(ids)}) and document @@ to_tsquery('simple', ${pgTsQuery(words, OWN_FIELDS)})`
      : sql<{ id: number }>`select rowid as id from email_fts where email_fts match ${fts5Match(words, OWN_FIELDS)} and rowid in (${sql.join(ids)})`
  return new Set((await query.execute(db)).rows.map((r) => r.id))
}

/**
 * The attachment passages of a page of hits, by email id: for each email whose reader may read
 * its attachments and whose own fields do not hold every word (see the module's comment). A
 * backend that already knows which of the page's emails their own fields hold whole (FTS5's
 * snippets match those fields only) passes them as `ownTextHolds`, sparing a query.
 *
 * @example
 * ```ts
 * const passages = await attachmentPassages(db, 'fts5', ['quillbrook'], page) // Map { 41 => { attachment: { id: 7, filename: 'term-sheet.pdf' }, highlight: 'the «quillbrook» clause ...' } }
 * ```
 */
export async function attachmentPassages(
  db: Kysely<EmailDatabase>,
  index: KeywordIndex,
  words: readonly string[],
  page: readonly RankedEmail[],
  ownTextHolds?: ReadonlySet<number>,
): Promise<Map<number, AttachmentPassage>> {
  const readers = page.filter((r) => searchableFields(r.access).includes('attachments')).map((r) => r.id)
  if (readers.length === 0 || words.length === 0) return new Map()
  const inOwnText = ownTextHolds ?? (await ownTextMatches(db, index, words, readers))
  const needing = readers.filter((id) => !inOwnText.has(id))
  const texts = await indexedAttachmentTexts(db, needing)
  const result = new Map<number, AttachmentPassage>()
  for (const id of needing) {
    const found = bestPassage(texts.filter((t) => t.emailId === id), words)
    if (found !== null) result.set(id, found)
  }
  return result
}

/**
 * A backend's hits for its page: the attachment passage where there is one, else the backend's
 * own highlight (from the database, not yet turned into the API's form).
 *
 * @example
 * ```ts
 * return pageHits(page, await highlights(match, page.filter((r) => !passages.has(r.id))), passages)
 * ```
 */
export function pageHits(page: readonly RankedEmail[], highlights: ReadonlyMap<number, string>, passages: ReadonlyMap<number, AttachmentPassage>): SearchHit[] {
  return page.map((r): SearchHit => {
    const found = passages.get(r.id)
    return found === undefined
      ? { emailId: r.id, score: r.score, highlight: highlightText(highlights.get(r.id) ?? '') }
      : { emailId: r.id, score: r.score, highlight: found.highlight, attachment: found.attachment }
  })
}
