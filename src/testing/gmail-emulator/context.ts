import type { CredentialStore } from './credentials.js'
import type { FaultInjector } from './faults.js'
import type { ServiceAccount } from './keys.js'
import { EmulatorMailbox } from './mailbox.js'
import type { ResolvedEmulatorOptions } from './options.js'
import type { InFlightLimiter, QuotaBuckets } from './quota.js'
import type { SeededRandom } from './random.js'
import type { StatsRecorder } from './stats.js'

/** Gmail message ids are 16 hex digits; a 64-bit id space makes seeded collisions negligible. */
const MESSAGE_ID_HEX_DIGITS = 16

/** One visit to the consent page, as recorded for OAuth tests. */
export interface GmailEmulatorConsent {
  readonly clientId: string
  readonly redirectUri: string
  readonly scope: string
  readonly state: string | null
  readonly codeChallenge: string | null
  readonly codeChallengeMethod: string | null
  readonly accessType: string | null
  /** The mailbox that consented, or `null` when consent was denied or failed. */
  readonly mailbox: string | null
  readonly outcome: 'allowed' | 'denied' | 'rejected'
}

/** How the consent page answers (see `emu.setConsent`). */
export interface ConsentBehaviour {
  mailbox: string | null
  decision: 'allow' | 'deny'
}

/** A mailbox address as the emulator keys it: trimmed, lowercase. */
export function normalizeMailbox(address: string): string {
  const normalized = address.trim().toLowerCase()
  if (!/^[^@\s]+@[^@\s]+$/.test(normalized)) throw new TypeError(`Expected a mailbox address, got ${JSON.stringify(address)}`)
  return normalized
}

/** The mailboxes, and the message ids handed out across all of them. */
export class MailboxRegistry {
  private readonly boxes = new Map<string, EmulatorMailbox>()
  private readonly usedIds = new Set<string>()

  constructor(private readonly random: SeededRandom, private readonly inlineLimit: number) {}

  /** The mailbox of `address`, if it exists. */
  get(address: string): EmulatorMailbox | undefined {
    return this.boxes.get(address.trim().toLowerCase())
  }

  /** The mailbox of `address`, created empty when new. */
  ensure(address: string): EmulatorMailbox {
    const key = normalizeMailbox(address)
    let box = this.boxes.get(key)
    if (box === undefined) {
      box = new EmulatorMailbox(key, this.random, this.inlineLimit)
      this.boxes.set(key, box)
    }
    return box
  }

  /** The first mailbox created, if any. */
  first(): EmulatorMailbox | undefined {
    return this.boxes.values().next().value
  }

  /** A fresh 16-hex-digit message id, never 0-led (Gmail's are hex numbers). */
  newMessageId(): string {
    for (;;) {
      const id = this.random.hex(this.random.next('message-id'), MESSAGE_ID_HEX_DIGITS)
      if (!id.startsWith('0') && !this.usedIds.has(id)) {
        this.usedIds.add(id)
        return id
      }
    }
  }
}

/** Everything the request handlers share. */
export interface EmulatorContext {
  readonly options: ResolvedEmulatorOptions
  readonly random: SeededRandom
  readonly mailboxes: MailboxRegistry
  readonly credentials: CredentialStore
  readonly quota: QuotaBuckets
  readonly inFlight: InFlightLimiter
  readonly faults: FaultInjector
  readonly stats: StatsRecorder
  readonly serviceAccount: ServiceAccount
  readonly tokenUrl: string
  readonly consent: ConsentBehaviour
  readonly consents: GmailEmulatorConsent[]
  now(): number
}
