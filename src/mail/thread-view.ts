/**
 * What a reader sees of a thread as a whole (SPEC §12): its subject and snippet come from the
 * emails whose fields the reader may see, so one withheld email never hides a thread the reader
 * may otherwise read, and one readable email never lends its words to a withheld one.
 */
import { mayRead, PRIVATE_SUBJECT, type Access } from '../sharing/levels.js'
import type { ThreadWithheldField } from './types.js'

/** One visible email of a thread, unredacted, with the reader's access to it. */
export interface ThreadEmailView {
  readonly subject: string
  readonly snippet: string
  readonly access: Access
}

/** A thread's subject and snippet as the reader sees them, and the fields withheld. */
export interface ThreadView {
  readonly subject: string
  readonly snippet: string
  readonly withheld: readonly ThreadWithheldField[]
}

/**
 * The subject of the oldest email whose subject the reader may see (else `(private)`) and the
 * snippet of the newest whose snippet the reader may see (else `''`), from a thread's visible
 * emails given oldest first.
 *
 * @example
 * ```ts
 * threadView([{ subject: 'Secret', snippet: 'x', access: 'metadata' }, { subject: 'Re: Q3', snippet: 'Yes', access: 'subject' }])
 * // { subject: 'Re: Q3', snippet: '', withheld: ['snippet'] }
 * ```
 */
export function threadView(oldestFirst: readonly ThreadEmailView[]): ThreadView {
  const titled = oldestFirst.find((e) => mayRead(e.access, 'subject'))
  const snipped = oldestFirst.findLast((e) => mayRead(e.access, 'snippet'))
  const withheld: ThreadWithheldField[] = []
  if (titled === undefined) withheld.push('subject')
  if (snipped === undefined) withheld.push('snippet')
  return { subject: titled?.subject ?? PRIVATE_SUBJECT, snippet: snipped?.snippet ?? '', withheld }
}
