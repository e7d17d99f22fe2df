export { startGmailEmulator } from './gmail-emulator/index.js'
export type { AddMessageOptions, GmailEmulator, GmailEmulatorOAuthClient } from './gmail-emulator/index.js'
export type { GmailEmulatorConsent } from './gmail-emulator/context.js'
export type { GoogleServiceAccountKeyFile } from './gmail-emulator/keys.js'
export {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_QUOTA_UNITS_PER_SECOND,
  GMAIL_READONLY_SCOPE,
} from './gmail-emulator/options.js'
export type {
  GmailEmulatorClock,
  GmailEmulatorFaults,
  GmailEmulatorMethod,
  GmailEmulatorOptions,
} from './gmail-emulator/options.js'
export type { GmailEmulatorStats } from './gmail-emulator/stats.js'
export { MAX_BATCH_PARTS } from './gmail-emulator/batch.js'
export { startEmbeddingsStandin, standinVector } from './embeddings-standin.js'
export type { EmbeddingsStandin, EmbeddingsStandinFault, EmbeddingsStandinOptions } from './embeddings-standin.js'
export { startQdrantStandin } from './qdrant-standin.js'
export type { QdrantStandin, QdrantStandinOptions, QdrantStandinPoint } from './qdrant-standin.js'
