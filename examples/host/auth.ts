/**
 * The example host's sign-in: two fixed bearer tokens from the environment, one admin and one
 * user. Only an example: a real CRM maps its own session or API token to its own users.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Authenticate, Principal } from 'crm-email-integration'

const ADMIN: Principal = { userId: 'example-admin', email: 'admin@fund.example', isAdmin: true }
const USER: Principal = { userId: 'example-user', email: 'user@fund.example', isAdmin: false }

/** Hashing first gives both sides one length, which `timingSafeEqual` needs. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

function configured(value: string | undefined): Buffer | null {
  return value === undefined || value.trim() === '' ? null : digest(value.trim())
}

/**
 * `Authorization: Bearer <token>` against `EXAMPLE_ADMIN_TOKEN` and `EXAMPLE_USER_TOKEN`,
 * compared in constant time. Without either variable every email route answers 401.
 */
export function bearerAuthenticate(env: NodeJS.ProcessEnv): Authenticate {
  const admin = configured(env.EXAMPLE_ADMIN_TOKEN)
  const user = configured(env.EXAMPLE_USER_TOKEN)
  if (admin === null && user === null) console.warn('EXAMPLE_ADMIN_TOKEN and EXAMPLE_USER_TOKEN are not set: every email route will answer 401')
  return (request) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')
    if (match?.[1] === undefined) return Promise.resolve(null)
    const given = digest(match[1])
    // Both comparisons always run, so the time taken does not tell which token was guessed at.
    const isAdmin = admin !== null && timingSafeEqual(given, admin)
    const isUser = user !== null && timingSafeEqual(given, user)
    return Promise.resolve(isAdmin ? ADMIN : isUser ? USER : null)
  }
}
