/**
 * Sharing levels (SPEC §12) and what each lets a reader see. A mailbox's level says what
 * teammates see of its mail; a reader's access to one email is `owner` (it is in their own
 * mailbox) or the most permissive level among the mailboxes holding a live copy of it.
 */
import type { SharingLevel } from '../db/database.js'
import { ValidationError } from '../errors.js'

export type { SharingLevel } from '../db/database.js'

/** Every sharing level, most permissive first. */
export const SHARING_LEVELS: readonly SharingLevel[] = Object.freeze(['everything', 'subject', 'metadata'])

/** What one reader may see of one email: all of it as its `owner`, or a mailbox's level. */
export type Access = 'owner' | SharingLevel

/**
 * Each access as a number, more permissive higher: the SQL side computes the same numbers
 * (`sharing/access.ts`), so a query can compare them.
 */
export const ACCESS_RANK: Readonly<Record<Access, number>> = Object.freeze({ metadata: 0, subject: 1, everything: 2, owner: 3 })

/** A field a level may withhold from a reader. */
export type WithheldField = 'subject' | 'snippet' | 'body' | 'attachments'

/** What each access withholds. */
const WITHHELD: Readonly<Record<Access, readonly WithheldField[]>> = Object.freeze({
  owner: [],
  everything: [],
  subject: ['snippet', 'body', 'attachments'],
  metadata: ['subject', 'snippet', 'body', 'attachments'],
})

/** What a withheld subject reads as. */
export const PRIVATE_SUBJECT = '(private)'

/**
 * The fields an access withholds.
 *
 * @example
 * ```ts
 * withheldBy('subject') // ['snippet', 'body', 'attachments']
 * ```
 */
export function withheldBy(access: Access): readonly WithheldField[] {
  return WITHHELD[access]
}

/**
 * Whether an access lets its reader see a field.
 *
 * @example
 * ```ts
 * mayRead('metadata', 'subject') // false
 * ```
 */
export function mayRead(access: Access, field: WithheldField): boolean {
  return !WITHHELD[access].includes(field)
}

/**
 * The access of a rank computed in SQL; an unknown number reads as the least permissive.
 *
 * @example
 * ```ts
 * accessOfRank(2) // 'everything'
 * ```
 */
export function accessOfRank(rank: number): Access {
  if (rank >= ACCESS_RANK.owner) return 'owner'
  if (rank === ACCESS_RANK.everything) return 'everything'
  if (rank === ACCESS_RANK.subject) return 'subject'
  return 'metadata'
}

/**
 * Reads a sharing level given by a caller: `everything`, `subject` or `metadata` (any case);
 * anything else is a `ValidationError` naming the parameter.
 *
 * @example
 * ```ts
 * parseSharingLevel('level', 'Subject') // 'subject'
 * ```
 */
export function parseSharingLevel(name: string, value: unknown): SharingLevel {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : ''
  const level = SHARING_LEVELS.find((l) => l === text)
  if (level === undefined) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a value of type ${typeof value}`
    throw new ValidationError(`${name}: expected one of ${SHARING_LEVELS.join(', ')}, got ${shown}`)
  }
  return level
}
