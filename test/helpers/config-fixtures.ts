/**
 * What the configuration tests share: the variable prefix, valid keys and groups of variables,
 * ways to catch a ConfigurationError and read its issues, and service-account key files.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import { type ConfigurationIssue, ConfigurationError } from '../../src/errors.js'

/** An environment, as `loadConfig` reads it. */
export type Env = Record<string, string>

/** The prefix of every variable the library reads. */
export const P = 'CRM_GMAIL_'

/** A valid secret key in standard base64. */
export const KEY = randomBytes(32).toString('base64')
/** A valid secret key in URL-safe base64 without padding. */
export const KEY_URLSAFE_NOPAD = randomBytes(32).toString('base64url')

/** A complete OAuth client. */
export const OAUTH_BASE: Env = {
  [`${P}OAUTH_CLIENT_ID`]: 'client-1.apps.googleusercontent.com',
  [`${P}OAUTH_CLIENT_SECRET`]: 'client-secret-value',
  [`${P}OAUTH_REDIRECT_URI`]: 'https://crm.example/api/email/oauth/callback',
}

/** The three values hybrid search needs. */
export const HYBRID_BASE: Env = {
  [`${P}EMBEDDINGS_URL`]: 'http://127.0.0.1:11434/v1',
  [`${P}EMBEDDINGS_MODEL`]: 'nomic-embed-text',
  [`${P}QDRANT_URL`]: 'http://127.0.0.1:6333',
}

/** Runs `fn`, expects a ConfigurationError, and returns it. */
export function configError(fn: () => unknown): ConfigurationError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError)
    return err as ConfigurationError
  }
  throw new Error('expected a ConfigurationError, nothing was thrown')
}

/** The variables an error reports, in its order. */
export function variables(err: ConfigurationError): string[] {
  return err.issues.map((i: ConfigurationIssue) => i.variable)
}

/** The issue an error reports for `variable`; fails the test when there is none. */
export function issue(err: ConfigurationError, variable: string): ConfigurationIssue {
  const found = err.issues.find((i) => i.variable === variable)
  if (found === undefined) throw new Error(`no issue for ${variable}; issues: ${variables(err).join(', ')}`)
  return found
}

/** Service-account key files written to a temporary directory, and the private keys to put in them. */
export interface KeyFiles {
  /** The directory the files are written to; removed after the test file. */
  readonly dir: string
  /** An RSA private key in PKCS#8 PEM, as Google's key files carry it (set before the first test). */
  readonly rsaPem: string
  /** A P-256 private key in PKCS#8 PEM: a valid key, but not RSA (set before the first test). */
  readonly ecPem: string
  /** Writes a key file (an object as JSON, a string as it is) and returns its path. */
  write(content: unknown): string
  /** The fields of a Google key file for {@link rsaPem}, with `overrides` over them. */
  googleKey(overrides?: Record<string, unknown>): Record<string, unknown>
}

/** Makes the key files of one test file; call at the top level of that file. */
export function useKeyFiles(): KeyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'crm-email-config-'))
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  let rsaPem = ''
  let ecPem = ''
  beforeAll(() => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  })

  let files = 0
  return {
    dir,
    get rsaPem() {
      return rsaPem
    },
    get ecPem() {
      return ecPem
    },
    write(content) {
      files += 1
      const path = join(dir, `key-${files}.json`)
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
      return path
    },
    googleKey(overrides = {}) {
      return {
        type: 'service_account',
        project_id: 'crm-test',
        private_key_id: 'kid-123',
        private_key: rsaPem,
        client_email: 'crm-sync@crm-test.iam.gserviceaccount.com',
        client_id: '1234567890',
        token_uri: 'https://oauth2.googleapis.com/token',
        ...overrides,
      }
    },
  }
}
