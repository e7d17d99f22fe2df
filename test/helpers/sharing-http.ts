/**
 * Reading the sharing world through the routes as one of its principals, and the check every
 * sharing test makes of an answer: no word of a field the reader may not see, anywhere in it.
 */
import { expect } from 'vitest'
import type { EmailIntegration } from '../../src/index.js'
import { mayRead, type Access } from '../../src/sharing/levels.js'
import { call, type Answer } from './http.js'
import { HOLDERS, READERS, SHARED_NAMES, TEAM_ACCESS, type SharedName, type SharingWorld } from './sharing-world.js'

/** A principal of the sharing world, by name. */
export type ReaderName = keyof typeof READERS

/** What one reader may see of each email of the world. */
export type AccessMap = Record<SharedName, Access>

/**
 * Calls a route as one of the world's principals (the test `authenticate` reads the headers).
 *
 * @example
 * const answer = await callAs(r.email, 'dee', 'GET', '/api/email/threads')
 */
export function callAs(email: EmailIntegration, reader: ReaderName, method: 'GET' | 'POST', path: string): Promise<Answer> {
  const principal = READERS[reader]
  const headers: Record<string, string> = { 'x-test-user': principal.email, ...(principal.isAdmin ? { 'x-test-admin': '1' } : {}) }
  return call(email, method, path, { as: 'anon', headers, ...(method === 'POST' ? { json: {} } : {}) })
}

/**
 * Each email's access for a reader as the world is built: owner of what their mailbox holds,
 * the team's access to the rest.
 *
 * @example
 * worldAccess('dee').gamma // 'metadata'
 */
export function worldAccess(reader: ReaderName): AccessMap {
  const address = READERS[reader].email
  return Object.fromEntries(
    SHARED_NAMES.map((name) => [name, (HOLDERS[name] as readonly string[]).includes(address) ? 'owner' : TEAM_ACCESS[name]]),
  ) as AccessMap
}

/**
 * Checks a whole answer against what the reader may see: every word of a withheld field is
 * absent, and (with `present`) the words of the named emails the reader may see are there, so
 * that an answer emptied of everything fails too.
 *
 * @example
 * expectOnlyReadable(answer.text, worldAccess('dee'), w, ['alpha'])
 */
export function expectOnlyReadable(text: string, access: AccessMap, w: SharingWorld, present: readonly SharedName[] = []): void {
  for (const name of SHARED_NAMES) {
    const { subjectWord, bodyWord, fileWord } = w.emails[name]
    const fields: [string, boolean][] = [
      [subjectWord, mayRead(access[name], 'subject')],
      [bodyWord, mayRead(access[name], 'snippet')],
      [fileWord, mayRead(access[name], 'attachments')],
    ]
    for (const [word, readable] of fields) {
      if (!readable) expect(text, `${name} at ${access[name]}: ${word}`).not.toContain(word)
    }
    if (present.includes(name) && mayRead(access[name], 'subject')) expect(text, `${name}: ${subjectWord}`).toContain(subjectWord)
  }
}
