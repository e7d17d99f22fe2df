import type { Kysely } from 'kysely'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createEmailIntegration,
  loadConfig,
  type AccountActionOptions,
  type Access,
  type ActorOptions,
  type AuditAction,
  type AuditLogEntry,
  type AuditLogPage,
  type EmailAccount,
  type EmailConfig,
  type EmailIntegration,
  type EnrollAllResult,
  type HiddenPage,
  type HousekeepingReport,
  type PurgeResult,
  type RemovalReport,
  type RetentionReport,
  type PurgeTarget,
  type SuppressionEntry,
  type MigrationReport,
  type ReadOptions,
  type Secret,
  type SharingLevel,
  type SyncReport,
  type ThreadDetail,
  type ThreadPrivacy,
  type ThreadSummary,
  type WithheldField,
} from '../src/index.js'

interface SomeHostDatabase {
  people: { id: number; email: string }
}

// These assertions are checked by the type checker (`npm run typecheck`), where a change to
// the public types fails the build; at run time they are no-ops.
describe('public types', () => {
  it('mounts on a Kysely instance of any host schema and returns the documented object', () => {
    expectTypeOf(createEmailIntegration<SomeHostDatabase>).parameter(0).toHaveProperty('db').toEqualTypeOf<Kysely<SomeHostDatabase>>()
    expectTypeOf(createEmailIntegration).returns.toEqualTypeOf<EmailIntegration>()
    expectTypeOf<EmailIntegration['migrate']>().returns.toEqualTypeOf<Promise<MigrationReport>>()
    expectTypeOf<EmailIntegration['accounts']['enroll']>().parameters.toEqualTypeOf<[address: string, options?: AccountActionOptions]>()
    expectTypeOf<EmailIntegration['accounts']['list']>().returns.toEqualTypeOf<Promise<EmailAccount[]>>()
    expectTypeOf<EmailIntegration['accounts']['enrollAll']>().parameters.toEqualTypeOf<[addresses?: readonly string[], options?: AccountActionOptions]>()
    expectTypeOf<EmailIntegration['auditLog']['list']>().returns.toEqualTypeOf<Promise<AuditLogPage>>()
    expectTypeOf<AuditLogEntry['action']>().toEqualTypeOf<AuditAction>()
    expectTypeOf<AuditLogEntry['actor']>().toEqualTypeOf<string | null>()
    expectTypeOf<EmailIntegration['accounts']['enrollAll']>().returns.toEqualTypeOf<Promise<EnrollAllResult>>()
    expectTypeOf<EnrollAllResult['skipped'][number]>().toEqualTypeOf<{ address: string; reason: string }>()
    expectTypeOf<EmailIntegration['housekeeping']['run']>().returns.toEqualTypeOf<Promise<HousekeepingReport>>()
    expectTypeOf<EmailIntegration['purge']>().parameters.toEqualTypeOf<[target: PurgeTarget, options?: ActorOptions]>()
    expectTypeOf<EmailIntegration['purge']>().returns.toEqualTypeOf<Promise<PurgeResult>>()
    expectTypeOf<PurgeTarget>().toEqualTypeOf<{ readonly address: string } | { readonly identity: string }>()
    expectTypeOf<PurgeResult>().toEqualTypeOf<{ readonly emails: number; readonly attachments: number; readonly blobsRemoved: number; readonly bytesFreed: number; readonly addresses: number }>()
    expectTypeOf<EmailIntegration['suppressions']['list']>().returns.toEqualTypeOf<Promise<readonly SuppressionEntry[]>>()
    expectTypeOf<SuppressionEntry>().toEqualTypeOf<{ readonly hash: string; readonly addedAt: string; readonly addedBy: string | null }>()
    expectTypeOf<EmailIntegration['suppressions']['remove']>().parameters.toEqualTypeOf<[address: string, options?: ActorOptions]>()
    expectTypeOf<EmailIntegration['emails']['listHidden']>().returns.toEqualTypeOf<Promise<HiddenPage>>()
    expectTypeOf<EmailIntegration['accounts']['pause']>().parameters.toEqualTypeOf<[address: string, options?: AccountActionOptions]>()
    expectTypeOf<EmailIntegration['accounts']['resume']>().returns.toEqualTypeOf<Promise<EmailAccount>>()
    expectTypeOf<EmailIntegration['accounts']['setSharing']>().parameters.toEqualTypeOf<[address: string, level: SharingLevel, options?: AccountActionOptions]>()
    expectTypeOf<EmailIntegration['accounts']['setSharing']>().returns.toEqualTypeOf<Promise<EmailAccount>>()
    expectTypeOf<EmailAccount['sharing']>().toEqualTypeOf<'everything' | 'subject' | 'metadata'>()
    expectTypeOf<EmailIntegration['threads']['setPrivate']>().parameters.toEqualTypeOf<[id: string | number, isPrivate: boolean, options: ActorOptions]>()
    expectTypeOf<EmailIntegration['threads']['setPrivate']>().returns.toEqualTypeOf<Promise<ThreadPrivacy>>()
    expectTypeOf<EmailIntegration['threads']['get']>().parameters.toEqualTypeOf<[id: string | number, options?: ReadOptions]>()
    expectTypeOf<ReadOptions['viewer']>().toEqualTypeOf<string | null | undefined>()
    expectTypeOf<ThreadSummary['withheld'][number]>().toEqualTypeOf<'subject' | 'snippet'>()
    expectTypeOf<ThreadSummary['private']>().toEqualTypeOf<boolean>()
    expectTypeOf<ThreadDetail['private']>().toEqualTypeOf<boolean>()
    expectTypeOf<Access>().toEqualTypeOf<'owner' | SharingLevel>()
    expectTypeOf<WithheldField>().toEqualTypeOf<'subject' | 'snippet' | 'body' | 'attachments'>()
    expectTypeOf<EmailAccount['sharingIsDefault']>().toEqualTypeOf<boolean>()
    expectTypeOf<SyncReport['status']>().toEqualTypeOf<'ok' | 'partial' | 'error' | 'busy' | 'paused'>()
    expectTypeOf<EmailIntegration['accounts']['remove']>().parameters.toEqualTypeOf<[address: string, options?: AccountActionOptions]>()
    expectTypeOf<EmailIntegration['accounts']['remove']>().returns.toEqualTypeOf<Promise<RemovalReport>>()
    expectTypeOf<RemovalReport>().toEqualTypeOf<{
      readonly account: string
      readonly emails: number
      readonly attachments: number
      readonly blobsRemoved: number
      readonly bytesFreed: number
      readonly sharedKept: number
      readonly resumed: boolean
    }>()
    expectTypeOf<EmailAccount['status']>().toEqualTypeOf<'active' | 'needs_consent' | 'needs_attention' | 'paused' | 'removing'>()
    expectTypeOf<EmailIntegration['retention']['run']>().parameters.toEqualTypeOf<[options?: ActorOptions]>()
    expectTypeOf<EmailIntegration['retention']['run']>().returns.toEqualTypeOf<Promise<RetentionReport>>()
    expectTypeOf<RetentionReport['cutoff']>().toEqualTypeOf<string | null>()
    expectTypeOf<RetentionReport['retentionDays']>().toEqualTypeOf<number>()
  })

  it('resolves configuration to concrete types, with secrets wrapped', () => {
    expectTypeOf(loadConfig).returns.toEqualTypeOf<EmailConfig>()
    expectTypeOf<EmailConfig['syncIntervalMin']>().toEqualTypeOf<number>()
    expectTypeOf<EmailConfig['capture']>().toEqualTypeOf<'matched' | 'all'>()
    expectTypeOf<EmailConfig['secretKey']>().toEqualTypeOf<Secret<Buffer> | null>()
    expectTypeOf<NonNullable<EmailConfig['oauth']>['clientSecret']>().toEqualTypeOf<Secret>()
    expectTypeOf<EmailConfig>().not.toBeAny()
  })

  it('shows ids as strings and timestamps as ISO strings', () => {
    expectTypeOf<EmailAccount['id']>().toEqualTypeOf<string>()
    expectTypeOf<EmailAccount['lastSyncAt']>().toEqualTypeOf<string | null>()
    expectTypeOf<EmailAccount['pausedAt']>().toEqualTypeOf<string | null>()
  })
})
