/**
 * The vector index's progress as the status route shows it: a few aggregate queries over the
 * bookkeeping, never a walk over the store.
 */
import { sql } from 'kysely'
import type { IntegrationContext } from '../context.js'
import type { IndexReport } from './indexer.js'
import type { VectorSetup } from './types.js'

/** What `email.status().index` answers. */
export interface IndexStatus {
  /** The configured store; `null` without vectors. */
  readonly store: 'embedded' | 'qdrant' | null
  /** The embedding model; `null` without vectors. */
  readonly model: string | null
  /** Visible emails. */
  readonly visible: number
  /** Visible emails whose vectors of the current model are in the store. */
  readonly indexed: number
  /** Visible emails still to embed (0 without vectors). */
  readonly pending: number
  /** Attachment texts by outcome, and stored attachments not read yet. */
  readonly attachments: {
    readonly extracted: number
    readonly empty: number
    readonly unsupported: number
    readonly failed: number
    readonly pending: number
  }
  /** This process's last run; `null` before its first. */
  readonly lastRun: { readonly at: string; readonly report: IndexReport } | null
}

/**
 * Reads the counts of {@link IndexStatus}.
 *
 * @example
 * ```ts
 * const { visible, indexed, pending } = await readIndexStatus(context, vectors, null)
 * ```
 */
export async function readIndexStatus(
  context: IntegrationContext,
  vectors: VectorSetup | null,
  lastRun: IndexStatus['lastRun'],
): Promise<IndexStatus> {
  const { db } = context
  const count = sql<number | string>`count(*)`.as('n')
  const visibleRow = await db.selectFrom('emails').select(count).where('hidden_at', 'is', null).executeTakeFirst()
  const visible = Number(visibleRow?.n ?? 0)
  let indexed = 0
  if (vectors !== null) {
    const row = await db
      .selectFrom('email_vector_index as v')
      .innerJoin('emails as e', 'e.id', 'v.email_id')
      .select(count)
      .where('e.hidden_at', 'is', null)
      .where('v.store', '=', vectors.store.key)
      .where('v.model', '=', vectors.embeddings.model)
      .executeTakeFirst()
    indexed = Number(row?.n ?? 0)
  }
  const byStatus = await db.selectFrom('email_attachment_texts').select(['status', count]).groupBy('status').execute()
  const of = (status: string): number => Number(byStatus.find((r) => r.status === status)?.n ?? 0)
  const unread = await db
    .selectFrom('email_attachments as a')
    .select(count)
    .where('a.status', '=', 'stored')
    .where('a.sha256', 'is not', null)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('email_attachment_texts as t').select('t.attachment_id').whereRef('t.attachment_id', '=', 'a.id'))))
    .executeTakeFirst()
  return {
    store: vectors?.store.name ?? null,
    model: vectors?.embeddings.model ?? null,
    visible,
    indexed,
    pending: vectors === null ? 0 : visible - indexed,
    attachments: { extracted: of('extracted'), empty: of('empty'), unsupported: of('unsupported'), failed: of('failed'), pending: Number(unread?.n ?? 0) },
    lastRun,
  }
}
