/**
 * The one team of the tests: five teammates on one Workspace domain, and the CRM identities
 * the capture and sync worlds both match their mail against.
 */
import type { DirectoryEntry } from '../../src/index.js'

/** The team's Workspace domain: its addresses are internal, never linked. */
export const WORKSPACE_DOMAIN = 'fund.example'
export const ANN = 'ann@fund.example'
export const BOB = 'bob@fund.example'
export const CAT = 'cat@fund.example'
export const DEE = 'dee@fund.example'
export const EVE = 'eve@fund.example'

/** Every teammate, in address order. */
export const TEAM: readonly string[] = [ANN, BOB, CAT, DEE, EVE]

/** A fund by domain. */
export const ACME: DirectoryEntry = { type: 'fund', id: 7, name: 'Acme Ventures', domains: ['acme.vc'] }
/** An org by domain. */
export const GLOBEX: DirectoryEntry = { type: 'org', id: 'o-1', name: 'Globex', domains: ['globex.example'] }
/** A contact at a free-mail address. */
export const DANA: DirectoryEntry = { type: 'contact', id: 'c-1', name: 'Dana Diaz', emails: ['dana@gmail.com'] }
