/**
 * Semantic search (SPEC §9): the query is embedded and the vector store ranks emails by meaning.
 * The store never decides what a user may see: every match is checked against the SQL tables
 * (visible, inside the filter, readable in full by the reader, since a vector embeds the body),
 * by the store while it ranks and here again on its answer, whichever store it is.
 */
import type { Kysely } from 'kysely'
import { queryInChunks } from '../db/chunks.js'
import type { EmailDatabase } from '../db/database.js'
import { DisabledError, EmailIntegrationError } from '../errors.js'
import { dateRange } from '../mail/filters.js'
import { emailConditions } from '../mail/threads.js'
import type { MailFilter } from '../mail/types.js'
import { redactError } from '../secrets/redact.js'
import { accessAtLeast, type ReadScope } from '../sharing/access.js'
import type { VectorFilter, VectorMatch, VectorSetup } from '../vectors/types.js'
import type { SearchHit, SearchQuery } from './backend.js'
import { highlightText } from './text.js'

/** How long embedding the query may take, retry included: a search box must answer. */
export const SEMANTIC_TIMEOUT_MS = 3_000
/** Retries of the query's embedding: one, for a dropped connection; more would outlast the box. */
export const SEMANTIC_RETRIES = 1
/**
 * How long the store may take to rank: a store may first load its vectors, but a search box
 * cannot wait on a store that does not answer.
 */
export const STORE_TIMEOUT_MS = 5_000
/** Characters of an attachment's text quoted when its chunk is the best match. */
export const ATTACHMENT_QUOTE_CHARS = 200

/** Semantic search over one vector setup. */
export interface SemanticSearch {
  /** The store's name (`embedded` or `qdrant`): reported with every answer. */
  readonly name: string
  /**
   * The emails nearest in meaning, best first, each hydrated with a highlight (its snippet, or
   * the start of the attachment whose chunk matched). Throws `DisabledError` with code
   * `backend_unavailable` when the embeddings endpoint or the store cannot answer.
   */
  search(query: SearchQuery): Promise<SearchHit[]>
}

/** Options of {@link createSemanticSearch}. */
export interface SemanticSearchOptions {
  /** The bound on embedding the query; default {@link SEMANTIC_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** The bound on the store's ranking; default {@link STORE_TIMEOUT_MS}. */
  readonly storeTimeoutMs?: number
}

/**
 * The vector side cannot answer (503 `backend_unavailable`); `reason` is shown to users (a
 * hybrid answer's `reason`), so it never holds a URL or a secret.
 *
 * @example
 * ```ts
 * throw new SemanticUnavailableError('the embeddings endpoint is not reachable', error)
 * ```
 */
export class SemanticUnavailableError extends DisabledError {
  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`semantic search is unavailable: ${reason}`, { code: 'backend_unavailable', cause: redactError(cause) })
  }
}

function isUnavailable(error: unknown): boolean {
  return error instanceof EmailIntegrationError && error.code === 'backend_unavailable'
}

/**
 * Unix seconds of an ISO instant, rounded outwards: the payload's date is the sent instant in
 * whole seconds, so the prefilter must not cut an email the exact range (checked in SQL) keeps.
 */
const unixSeconds = (iso: string, round: (x: number) => number): number => round(Date.parse(iso) / 1000)

/**
 * The store's prefilter for a search: the filter's identity and dates, the reader's own
 * accounts, and the SQL check every match must pass.
 *
 * @example
 * ```ts
 * const filter = await vectorFilter(db, { identity: 'fund:7' }, scope)
 * const matches = await store.search(vector, 20, filter)
 * ```
 */
export async function vectorFilter(db: Kysely<EmailDatabase>, mail: MailFilter, scope: ReadScope): Promise<VectorFilter | null> {
  const condition = emailConditions(mail)
  if (condition === null) return null
  const range = dateRange(mail.from, mail.to)
  const viewerAccountIds =
    scope.viewer === null
      ? null
      : (await db.selectFrom('email_accounts').select('id').where('address', '=', scope.viewer).execute()).map((r) => r.id)
  const check = async (emailIds: readonly number[]): Promise<ReadonlySet<number>> => {
    const rows = await queryInChunks(emailIds, (ids) =>
      db
        .selectFrom('emails')
        .select('emails.id')
        .where('emails.id', 'in', ids)
        .where(condition)
        .where((eb) => accessAtLeast(eb, scope, 'everything'))
        .execute(),
    )
    return new Set(rows.map((r) => r.id))
  }
  return {
    identity: mail.identity === '' ? undefined : mail.identity,
    fromDate: range.from === null ? undefined : unixSeconds(range.from, Math.floor),
    toDate: range.to === null ? undefined : unixSeconds(range.to, Math.ceil),
    viewerAccountIds,
    check,
  }
}

/** The start of a text, cut at a word when one ends near the limit. */
function quoteStart(text: string, chars: number): string {
  const flat = highlightText(text)
  if (flat.length <= chars) return flat
  const cut = flat.slice(0, chars)
  const space = cut.lastIndexOf(' ')
  return `${space > chars / 2 ? cut.slice(0, space) : cut}…`
}

/** Highlights of the matches: the snippet, or the start of the matched attachment's text. */
async function highlights(db: Kysely<EmailDatabase>, matches: readonly VectorMatch[]): Promise<Map<number, Omit<SearchHit, 'score'>>> {
  const emailIds = matches.map((m) => m.emailId)
  const snippets = await queryInChunks(emailIds, (ids) => db.selectFrom('emails').select(['id', 'snippet']).where('id', 'in', ids).execute())
  const attachmentIds = matches.flatMap((m) => (m.attachmentId === null ? [] : [m.attachmentId]))
  const texts = await queryInChunks(attachmentIds, (ids) =>
    db
      .selectFrom('email_attachments as a')
      .innerJoin('email_attachment_texts as t', 't.attachment_id', 'a.id')
      .select(['a.id', 'a.email_id', 'a.filename', 't.text'])
      .where('a.id', 'in', ids)
      .where('t.status', '=', 'extracted')
      .execute(),
  )
  const snippetOf = new Map(snippets.map((s) => [s.id, s.snippet]))
  const result = new Map<number, Omit<SearchHit, 'score'>>()
  for (const match of matches) {
    // The attachment must still be the email's own and have text: a stale store may say otherwise.
    const file = texts.find((t) => t.id === match.attachmentId && t.email_id === match.emailId && t.text !== null)
    if (file !== undefined) {
      result.set(match.emailId, {
        emailId: match.emailId,
        highlight: quoteStart(file.text ?? '', ATTACHMENT_QUOTE_CHARS),
        attachment: { id: file.id, filename: file.filename },
      })
    } else {
      result.set(match.emailId, { emailId: match.emailId, highlight: highlightText(snippetOf.get(match.emailId) ?? '') })
    }
  }
  return result
}

/**
 * Builds semantic search over a vector setup.
 *
 * @example
 * ```ts
 * const semantic = createSemanticSearch(db, vectors)
 * const hits = await semantic.search({ text: 'fundraising timeline', filter: {}, limit: 20, scope })
 * ```
 */
export function createSemanticSearch(db: Kysely<EmailDatabase>, vectors: VectorSetup, options: SemanticSearchOptions = {}): SemanticSearch {
  const timeoutMs = options.timeoutMs ?? SEMANTIC_TIMEOUT_MS
  const storeTimeoutMs = options.storeTimeoutMs ?? STORE_TIMEOUT_MS
  const { embeddings, store } = vectors

  const embedQuery = async (text: string): Promise<Float32Array> => {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const [vector] = await embeddings.embed([text], { signal, retries: SEMANTIC_RETRIES })
      if (vector === undefined) throw new SemanticUnavailableError('the embeddings endpoint answered without a vector')
      return vector
    } catch (error) {
      if (error instanceof SemanticUnavailableError) throw error
      if (signal.aborted) throw new SemanticUnavailableError(`the embeddings endpoint did not answer within ${timeoutMs / 1000} s`, error)
      if (isUnavailable(error)) throw new SemanticUnavailableError('the embeddings endpoint is not reachable', error)
      throw error
    }
  }

  return {
    name: store.name,
    async search(query) {
      const filter = await vectorFilter(db, query.filter, query.scope)
      if (filter === null) return []
      const vector = await embedQuery(query.text)
      let matches: VectorMatch[]
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new SemanticUnavailableError(`the ${store.name} vector store did not answer within ${storeTimeoutMs / 1000} s`))
        }, storeTimeoutMs)
      })
      try {
        matches = await Promise.race([store.search(vector, query.limit, filter), late])
      } catch (error) {
        if (error instanceof SemanticUnavailableError) throw error
        if (isUnavailable(error)) throw new SemanticUnavailableError(`the ${store.name} vector store is not reachable`, error)
        throw error
      } finally {
        clearTimeout(timer)
      }
      // Checked again whatever the store did: the SQL tables are canonical, the store may be stale.
      const passed = await filter.check(matches.map((m) => m.emailId))
      const kept = matches.filter((m) => passed.has(m.emailId)).slice(0, query.limit)
      const shown = await highlights(db, kept)
      return kept.flatMap((m) => {
        const hit = shown.get(m.emailId)
        return hit === undefined ? [] : [{ ...hit, score: m.score }]
      })
    },
  }
}
