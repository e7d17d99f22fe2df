import { generateKeyPair } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { SeededRandom } from './random.js'

/** Google's service accounts sign with 2048-bit RSA keys. */
const RSA_MODULUS_BITS = 2048

/**
 * A service-account key file, field for field as Google's console downloads it. A type alias
 * rather than an interface, so it fits the config's `serviceAccountKey` (an open record).
 */
export type GoogleServiceAccountKeyFile = {
  readonly type: 'service_account'
  readonly project_id: string
  /** The key's id; a JWT may name it in its `kid` header. */
  readonly private_key_id: string
  /** PKCS#8 PEM. */
  readonly private_key: string
  /** The service account's address: the `iss` of the JWTs it signs. */
  readonly client_email: string
  /** The numeric client id an admin grants domain-wide delegation to. */
  readonly client_id: string
  readonly auth_uri: string
  /** The emulator's token endpoint (`emu.tokenUrl`). */
  readonly token_uri: string
  readonly auth_provider_x509_cert_url: string
  readonly client_x509_cert_url: string
  readonly universe_domain: 'googleapis.com'
}

/** The key file and the public half the token endpoint verifies against. */
export interface ServiceAccount {
  readonly keyFile: GoogleServiceAccountKeyFile
  readonly publicKey: KeyObject
}

const generate = promisify(generateKeyPair)

/** Generates a fresh RSA key pair and wraps it in Google's key-file shape. */
export async function createServiceAccount(random: SeededRandom, urls: { tokenUrl: string; authUrl: string }): Promise<ServiceAccount> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: RSA_MODULUS_BITS })
  const project = 'emulator-project'
  const clientEmail = `crm-email-sync@${project}.iam.gserviceaccount.com`
  // Google's client ids are 21 decimal digits.
  const clientId = `1${String(random.integer('client-id-high', 0, 99_999_999_999)).padStart(11, '0')}${String(random.integer('client-id-low', 0, 999_999_999)).padStart(9, '0')}`
  const keyFile: GoogleServiceAccountKeyFile = {
    type: 'service_account',
    project_id: project,
    private_key_id: random.hex('private-key-id', 40),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: clientId,
    auth_uri: urls.authUrl,
    token_uri: urls.tokenUrl,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  }
  return { keyFile: Object.freeze(keyFile), publicKey }
}
