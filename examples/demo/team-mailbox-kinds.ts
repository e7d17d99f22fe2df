/**
 * The shape of a CRM conversation: who takes part (the leading teammate, a second teammate,
 * an external party and sometimes a second external), the subject, and a script of steps
 * that a thread follows for as many messages as it runs. The scripts themselves live in the
 * `team-mailbox-kinds-*.ts` files, one per side of the business.
 */
import type { PartyKind } from './team-mailbox-cast.js'

/**
 * A part in a conversation: two teammates and up to two outsiders, plus `team3`, a teammate
 * who is not on the thread until it is forwarded to them.
 */
export type Role = 'lead' | 'team2' | 'team3' | 'ext' | 'ext2'

/** The files a step can attach; see `team-mailbox-attachments.ts`. */
export type AttachmentKind =
  | 'deck' | 'term-sheet' | 'term-sheet-redline' | 'signed-term-sheet' | 'model' | 'board-pack' | 'minutes'
  | 'lp-report' | 'capital-call' | 'checklist' | 'signature-pages' | 'logo' | 'nav-pack'

/** One message of a script. */
export interface Step {
  readonly by: Role
  /** The message's own words, per line of the script (paragraphs split by blank lines). */
  readonly says: readonly string[]
  readonly attach?: AttachmentKind
  /** Someone copied in with this message. */
  readonly adds?: Role
  /** Someone moved to Bcc with this message (no longer receives the thread). */
  readonly drops?: Role
}

/** Who the second outsider is. */
export type SecondExternal = 'founder' | 'coinvestor' | 'law' | 'colleague'

/** A kind of CRM conversation. */
export interface ThreadKind {
  readonly name: string
  /** How common the kind is, relative to the others. */
  readonly weight: number
  /** The parties the main outsider may come from. */
  readonly ext: readonly PartyKind[]
  /** For contacts: the roles that fit (`angel`, `advisor`, `recruiter`, `press`); default any. */
  readonly roles?: readonly string[]
  readonly ext2?: SecondExternal
  /** The company the thread is about: the outsider's own, or a portfolio or prospect company. */
  readonly company: 'ext' | 'portfolio' | 'prospect'
  /** Local parts of the teammates who may lead it. */
  readonly leads: readonly string[]
  /** Recipients of the first message, other than its sender. */
  readonly to: readonly Role[]
  readonly cc: readonly Role[]
  readonly subjects: readonly string[]
  /** When set, subject `i` belongs to the script's line `i` (the lines differ in topic). */
  readonly alignedSubjects?: true
  /**
   * The script. A step's alternatives are lines of the script: a thread follows line 0 or line
   * 1 in every step (a step with one alternative serves both), so answers fit their questions.
   */
  readonly steps: readonly Step[]
  /** Chance that messages carry an HTML alternative. */
  readonly html: number
  /** Gmail's category tab for received copies (default: CATEGORY_PERSONAL). */
  readonly tab?: 'CATEGORY_UPDATES'
}
