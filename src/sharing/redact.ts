/**
 * What a reader receives of an email at their access: the withheld fields emptied (a withheld
 * subject reads {@link PRIVATE_SUBJECT}) and named in `withheld`, so a page can render them as
 * withheld rather than as empty.
 */
import type { EmailDetail, EmailSummary } from '../mail/types.js'
import { mayRead, PRIVATE_SUBJECT, withheldBy, type Access } from './levels.js'

/**
 * An email summary as a reader with this access may see it.
 *
 * @example
 * ```ts
 * redactSummary(summary, 'subject') // snippet '', attachments [], withheld ['snippet', 'body', 'attachments']
 * ```
 */
export function redactSummary(summary: EmailSummary, access: Access): EmailSummary {
  return {
    ...summary,
    subject: mayRead(access, 'subject') ? summary.subject : PRIVATE_SUBJECT,
    snippet: mayRead(access, 'snippet') ? summary.snippet : '',
    attachments: mayRead(access, 'attachments') ? summary.attachments : [],
    access,
    withheld: withheldBy(access),
  }
}

/**
 * An email with its body as a reader with this access may see it.
 *
 * @example
 * ```ts
 * redactDetail(detail, 'metadata').bodyText // ''
 * ```
 */
export function redactDetail(detail: EmailDetail, access: Access): EmailDetail {
  return { ...redactSummary(detail, access), bodyText: mayRead(access, 'body') ? detail.bodyText : '' }
}
