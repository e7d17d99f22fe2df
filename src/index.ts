export { createEmailIntegration } from './create-email-integration.js'
export type { EmailIntegration, EmailIntegrationOptions } from './email-integration.js'
export { MAX_ENROLL_ALL, type AccountActionOptions, type AccountsApi, type EnrollAllResult } from './accounts/api.js'
export type { AuditLogApi, AuditLogEntry, AuditLogListOptions, AuditLogPage } from './audit-log/api.js'
export { AUDIT_ACTIONS, MAX_ACTOR_LENGTH, type ActorOptions, type AuditDetails, type AuditTarget } from './audit-log/store.js'
export type { EmailAccount } from './db/accounts.js'
export { PRIVATE_SUBJECT, SHARING_LEVELS, type Access, type SharingLevel, type WithheldField } from './sharing/levels.js'
export type { ReadOptions } from './sharing/access.js'
export type { MigrationReport } from './db/migrate.js'
export type { SyncApi } from './sync/api.js'
export type { RunNowResult, Scheduler, SchedulerState } from './scheduler/scheduler.js'
export type { RematchOptions, RematchResult } from './capture/rematch.js'
export type { AttachmentFile, MailApi } from './mail/api.js'
export type { SearchApi, SearchItem, SearchOptions, SearchResult } from './search/api.js'
export type { IndexReport, IndexRunOptions, IndexStatus } from './vectors/indexer.js'
export type { DigestApi, DigestApiOptions, ScheduledDigestResult } from './digest/api.js'
export type { Digest, DigestGroup, DigestThread, SummarySource } from './digest/types.js'
export type { Summarizer, SummaryInput, SummaryThread } from './digest/summarizer.js'
export type { DigestWindowInput } from './digest/window.js'
export type { RouteInfo } from './http/router.js'
export type {
  Address,
  AttachmentSummary,
  EmailDetail,
  EmailSummary,
  HiddenEmail,
  HiddenListOptions,
  HiddenPage,
  Identity,
  IdentityFacet,
  MailFilter,
  ThreadDetail,
  ThreadListOptions,
  ThreadPage,
  ThreadPrivacy,
  ThreadSummary,
  ThreadWithheldField,
} from './mail/types.js'
export type { LeaseHolder, RetryFailuresOptions, RetryReport, RunCounts, SyncAllOptions, SyncProgress, SyncReport, SyncRunOptions, SyncTuning } from './sync/types.js'
export type { AuditIdentity, AuditMessage, AuditOptions, AuditReason, AuditReport } from './sync/audit/types.js'
export type { AccountSyncStatus, BusyHolder, IntegrationStatus } from './sync/status.js'
export type { LastRun } from './sync/last-runs.js'
export type { FailureCounts } from './sync/failure-counts.js'
export type { DownloadReport } from './capture/attachments-worker.js'
export type { HousekeepingApi, HousekeepingReport } from './housekeeping/api.js'
export type { ErasureApi, SuppressionEntry, SuppressionsApi } from './erasure/api.js'
export type { ErasureCounts } from './erasure/erase.js'
export type { PurgeResult, PurgeTarget } from './erasure/purge.js'
export type { RetentionApi, RetentionReport, RetentionRunOptions } from './erasure/retention.js'
export type { RemovalReport } from './accounts/remove.js'
export { createTerminalProgress } from './sync/progress/terminal.js'
export type { ProgressStream, TerminalProgress, TerminalProgressOptions } from './sync/progress/terminal.js'
export type { GmailClientTuning } from './sync/gmail-access.js'
export type {
  Authenticate,
  Clock,
  Directory,
  DirectoryEntry,
  DirectoryEntryType,
  LogFields,
  Logger,
  Principal,
} from './hooks.js'
export { loadConfig, resolveConfig, isResolvedConfig } from './config/index.js'
export type { EmailConfig, EmailConfigInput, QuotaCosts, ServiceAccountKey } from './config/index.js'
export {
  AuthError,
  ConfigurationError,
  ConflictError,
  DecryptionError,
  DisabledError,
  EmailIntegrationError,
  ErrorCodes,
  NotFoundError,
  UpstreamError,
  ValidationError,
  isEmailIntegrationError,
} from './errors.js'
export type { ConfigurationIssue, EmailIntegrationErrorOptions, ErrorCode, UpstreamErrorOptions } from './errors.js'
export { Secret } from './secrets/secret.js'
export { createSecretBox, generateSecretKey, keyIdOf } from './secrets/crypto.js'
export type { OpenedSecret, SecretBox, SecretBoxKeys } from './secrets/crypto.js'
export type {
  AccountStatus,
  AuditAction,
  AuditTargetKind,
  AttachmentStatus,
  AuthMethod,
  DigestRunStatus,
  EmailDatabase,
  IdentityType,
  ParticipantRole,
  SyncFailureKind,
  SyncKind,
  SyncRunStatus,
} from './db/database.js'
