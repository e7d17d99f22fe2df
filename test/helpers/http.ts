import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { createEmailIntegration, type Authenticate, type DirectoryEntry, type EmailConfigInput, type EmailIntegration, type LogFields } from '../../src/index.js'
import type { TestDatabase } from './databases.js'
import { DIRECTORY, type SyncWorld } from './sync/setup.js'

/** The base of every test request; the host's origin does not matter to the router. */
export const ORIGIN = 'http://crm.test'

/** The cursor and token key of the router tests: no answer may ever carry it. */
export const SECRET_KEY = randomBytes(32).toString('base64')

/** Who calls: nobody, a signed-in teammate, or an admin (read by the test `authenticate`). */
export type Caller = 'anon' | 'user' | 'admin'

/** An answer of the router, read once. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly bytes: Buffer
  readonly text: string
  /** The parsed JSON body, or `undefined` when the answer is not JSON. */
  readonly body: unknown
}

/** What a test request carries besides its method and path. */
export interface CallOptions {
  readonly as?: Caller
  /** A JSON body (serialised). */
  readonly json?: unknown
  /** A body sent as is. */
  readonly raw?: string
  readonly headers?: Record<string, string>
}

/** An integration on the sync world's database with the test `authenticate`, and what it logged. */
export interface RouterIntegration {
  readonly email: EmailIntegration
  /** Messages the integration logged as errors (an unexpected 500 logs one). */
  readonly errors: { message: string; fields: LogFields | undefined }[]
}

/** Options of {@link routerIntegration}. */
export interface RouterIntegrationOptions {
  readonly config?: EmailConfigInput
  readonly directory?: () => readonly DirectoryEntry[]
  readonly listUsers?: () => Promise<readonly string[]>
  /** Leave `authenticate` out, as a host that forgot it would. */
  readonly withoutAuthenticate?: boolean
  /** Another `authenticate` than the test headers one. */
  readonly authenticate?: Authenticate
}

/**
 * The sync world's integration again (same database, emulator and attachment store), plus
 * an `authenticate` that reads `x-test-user` and `x-test-admin`, a secret key, and a logger.
 */
export function routerIntegration(t: TestDatabase, w: SyncWorld, options: RouterIntegrationOptions = {}): RouterIntegration {
  const errors: RouterIntegration['errors'] = []
  const directory = options.directory ?? (() => DIRECTORY)
  const email = createEmailIntegration({
    db: t.db,
    config: {
      enabled: true,
      serviceAccountKey: w.emu.serviceAccountKey,
      workspaceDomains: ['fund.example'],
      apiBaseUrl: w.emu.url,
      tokenUrl: w.emu.tokenUrl,
      attachmentsDir: w.attachmentsDir,
      backfillDays: 0,
      secretKey: SECRET_KEY,
      ...options.config,
    },
    directory: () => Promise.resolve(directory()),
    gmail: { backoff: { minDelayMs: 2, maxDelayMs: 20 } },
    logger: {
      error: (fields, message) => {
        errors.push({ message, fields })
      },
    },
    ...(options.withoutAuthenticate === true
      ? {}
      : {
          authenticate:
            options.authenticate ??
            ((request: Request): ReturnType<Authenticate> => {
              const user = request.headers.get('x-test-user')
              if (user === null || user === '') return Promise.resolve(null)
              return Promise.resolve({ userId: user, email: user, isAdmin: request.headers.get('x-test-admin') === '1' })
            }),
        }),
    ...(options.listUsers === undefined ? {} : { listUsers: options.listUsers }),
  })
  return { email, errors }
}

/** The headers of a caller. */
export function callerHeaders(as: Caller): Record<string, string> {
  if (as === 'anon') return {}
  return { 'x-test-user': as === 'admin' ? 'ann@fund.example' : 'bob@fund.example', ...(as === 'admin' ? { 'x-test-admin': '1' } : {}) }
}

/** Builds a request to the router. */
export function request(method: string, path: string, options: CallOptions = {}): Request {
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json))
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers: {
      ...callerHeaders(options.as ?? 'admin'),
      ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  })
}

/** Text that must never appear in an answer: SQL, driver names, stack frames, key material. */
export function leaksIn(text: string): string[] {
  const found: string[] = []
  const patterns: [string, RegExp][] = [
    ['SQL', /\bselect\b[\s\S]*\bfrom\b|\binsert into\b|\bupdate\s+"?\w+"?\s+set\b|\bwhere\b[\s\S]*=\s*\$\d/i],
    ['SELECT', /SELECT/],
    ['sqlite', /sqlite/i],
    ['postgres', /postgres|relation "|syntax error/i],
    ['stack', /at \/|\n\s+at |node_modules|\.ts:\d+/],
    ['secret', new RegExp(SECRET_KEY.replace(/[+/=]/g, (c) => `\\${c}`))],
    ['secret hex', new RegExp(Buffer.from(SECRET_KEY, 'base64').toString('hex'))],
    ['private key', /PRIVATE KEY/],
  ]
  for (const [name, pattern] of patterns) if (pattern.test(text)) found.push(name)
  return found
}

/**
 * Reads an answer; checks every JSON answer is marked JSON, never sniffed or cached, and
 * leaks nothing. `echoed` is request text the answer may quote back (a 404 names the path),
 * left out of the leak check so that a hostile path is not mistaken for a leak.
 */
export async function read(response: Response, echoed: readonly string[] = []): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer())
  const text = bytes.toString('utf8')
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json')
  if (isJson) {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const own = echoed.reduce((rest, e) => (e === '' ? rest : rest.split(JSON.stringify(e).slice(1, -1)).join('')), text)
    expect(leaksIn(own), text.slice(0, 500)).toEqual([])
  }
  return { status: response.status, headers: response.headers, bytes, text, body: isJson ? JSON.parse(text) : undefined }
}

/** Calls the router for a path it owns; fails when it answers `null`. */
export async function call(email: EmailIntegration, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const response = await email.tryHandle(request(method, path, options))
  if (response === null) throw new Error(`${method} ${path}: the router answered null`)
  return read(response)
}

/** Asserts an error answer: the status, the code, and exactly `{ error: { code, message } }`. */
export function expectError(answer: Answer, status: number, code?: string): void {
  expect(answer.status, answer.text).toBe(status)
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
  const body = answer.body as { error?: { code?: unknown; message?: unknown } }
  expect(Object.keys(body)).toEqual(['error'])
  expect(Object.keys(body.error ?? {}).sort()).toEqual(['code', 'message'])
  expect(typeof body.error?.code).toBe('string')
  expect(typeof body.error?.message).toBe('string')
  if (code !== undefined) expect(body.error?.code).toBe(code)
}

/** The message of an error answer. */
export function messageOf(answer: Answer): string {
  return (answer.body as { error: { message: string } }).error.message
}

/** Waits until the integration's scheduler has no run in progress. */
export async function schedulerIdle(email: EmailIntegration, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (email.scheduler.state().running) {
    if (Date.now() > deadline) throw new Error('the sync run did not end')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
