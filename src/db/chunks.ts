/**
 * Splitting long lists of bound values across statements (an `IN (...)` list or a multi-row
 * INSERT binds one parameter per value, and both dialects cap the parameters of a statement),
 * and gathering the rows such reads return by their parent.
 */

/**
 * Values per `IN (...)` list, and rows per multi-row INSERT. SQLite caps a statement at 32,766
 * bound parameters (999 before 3.32) and PostgreSQL at 65,535; 500 rows of a dozen columns stay
 * far under the larger limits, and a list of 500 ids costs one round trip where the rows it
 * selects are few enough to hold in memory.
 */
export const IN_LIST_CHUNK = 500

function checkSize(size: number): void {
  // 0, a fraction or NaN would loop forever or bind the whole list at once.
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`chunk size: expected a whole number from 1, got ${String(size)}`)
}

/**
 * The values in consecutive slices of at most `size` (default {@link IN_LIST_CHUNK}), in order;
 * none for an empty list.
 *
 * @example
 * ```ts
 * for (const ids of inChunks(emailIds)) await db.deleteFrom('email_fts').where('email_id', 'in', ids).execute()
 * [...inChunks([1, 2, 3], 2)] // [[1, 2], [3]]
 * ```
 */
export function* inChunks<T>(values: readonly T[], size: number = IN_LIST_CHUNK): Generator<T[]> {
  checkSize(size)
  for (let start = 0; start < values.length; start += size) yield values.slice(start, start + size)
}

/**
 * Runs `query` once per slice of `values` ({@link inChunks}), one after the other, and returns
 * every row in the order the slices and their queries gave them. An empty list runs no query.
 *
 * @example
 * ```ts
 * const rows = await queryInChunks(emailIds, (ids) =>
 *   db.selectFrom('email_participants').selectAll().where('email_id', 'in', ids).execute(),
 * )
 * ```
 */
export async function queryInChunks<T, R>(
  values: readonly T[],
  query: (chunk: T[]) => Promise<readonly R[]>,
  size: number = IN_LIST_CHUNK,
): Promise<R[]> {
  const rows: R[] = []
  for (const chunk of inChunks(values, size)) rows.push(...(await query(chunk)))
  return rows
}

/**
 * Rows gathered by a key, each group in the order the rows came: how the rows of a chunked
 * read (participants, links, copies of many emails) are handed back to their parent.
 *
 * @example
 * ```ts
 * const byEmail = groupBy(participants, (p) => p.email_id)
 * byEmail.get(42) // the participants of email 42, in query order
 * ```
 */
export function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const row of rows) {
    const key = keyOf(row)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [row])
    else group.push(row)
  }
  return groups
}
