/**
 * The demo's search by meaning: an OpenAI-compatible embeddings endpoint from the library's own
 * variables (`CRM_GMAIL_EMBEDDINGS_URL`, `CRM_GMAIL_EMBEDDINGS_MODEL`: a local model server such
 * as Ollama, llama.cpp's server, vLLM or LocalAI), or, with `DEMO_EMBEDDINGS=standin`, the
 * library's deterministic stand-in, so semantic search shows with no model server at all. The
 * vectors live in the demo's SQLite file (the embedded store).
 */
import type { EmailIntegration } from 'crm-email-integration'
import { startEmbeddingsStandin } from 'crm-email-integration/testing'

/** The page's search modes when an endpoint is configured, and when it is not. */
const ALL_MODES = ['hybrid', 'keyword', 'semantic'] as const
const KEYWORD_ONLY = ['keyword'] as const

/** What the demo searches with. */
export interface DemoSearch {
  /** The library's `embeddings` setting, or `null` for keyword search only. */
  readonly embeddings: { readonly url: string; readonly model: string } | null
  /** Who embeds, for the page and the terminal (never the endpoint's URL: it may hold a key). */
  readonly label: string
  /** The modes the page offers, its default first. */
  readonly modes: readonly string[]
  close(): Promise<void>
}

/**
 * Reads the demo's embeddings choice; starts the stand-in when `DEMO_EMBEDDINGS=standin`.
 *
 * @example
 * ```ts
 * const search = await demoSearch(process.env)
 * createEmailIntegration({ ..., config: { ...(search.embeddings === null ? {} : { embeddings: search.embeddings }) } })
 * ```
 */
export async function demoSearch(env: Readonly<Record<string, string | undefined>>): Promise<DemoSearch> {
  const choice = env.DEMO_EMBEDDINGS ?? ''
  if (choice === 'standin') {
    const standin = await startEmbeddingsStandin({ dimension: 384 })
    return { embeddings: { url: standin.url, model: 'standin' }, label: 'the embeddings stand-in (DEMO_EMBEDDINGS=standin)', modes: ALL_MODES, close: () => standin.close() }
  }
  if (choice !== '') throw new Error(`DEMO_EMBEDDINGS: expected "standin" or nothing, got ${JSON.stringify(choice)}`)
  const url = env.CRM_GMAIL_EMBEDDINGS_URL ?? ''
  const model = env.CRM_GMAIL_EMBEDDINGS_MODEL ?? ''
  if (url === '' || model === '') return { embeddings: null, label: 'none (keyword search only)', modes: KEYWORD_ONLY, close: () => Promise.resolve() }
  return { embeddings: { url, model }, label: `the model ${model} (CRM_GMAIL_EMBEDDINGS_URL)`, modes: ALL_MODES, close: () => Promise.resolve() }
}

/** The report of one `email.search.index()` run, as far as the demo reads it. */
interface IndexRun {
  readonly embedded: number
  readonly pending: number
  readonly error: string | null
}

/**
 * Reads the attachments' text and embeds every visible email not embedded yet, a run at a time
 * until nothing is pending; returns a line for the terminal.
 *
 * @example
 * ```ts
 * console.log(await indexForSearch(email, stop.signal)) // 'Search index: 1,204 emails embedded.'
 * ```
 */
export async function indexForSearch(email: EmailIntegration, signal: AbortSignal): Promise<string> {
  const index: unknown = (email.search as unknown as { readonly index?: unknown }).index
  if (typeof index !== 'function') return 'Search index: this version cannot embed mail yet.'
  const run = index as (options: { readonly signal: AbortSignal }) => Promise<IndexRun>
  let embedded = 0
  while (!signal.aborted) {
    const report = await run({ signal })
    if (report.error !== null) return `Search index: stopped (${report.error}); keyword search still works.`
    embedded += report.embedded
    if (report.pending === 0 || report.embedded === 0) break
  }
  return `Search index: ${embedded.toLocaleString('en')} emails embedded, attachment text read.`
}
