/**
 * Casting one CRM conversation: which teammates and outsiders take the roles of a kind, which
 * company it is about, and the facts its templates mention (amounts, dates, quarters).
 */
import type { Cast, Party, PartyKind, Person } from './team-mailbox-cast.js'
import { DAY, monthDay, previousQuarter, weekdayName } from './team-mailbox-dates.js'
import type { Role, ThreadKind } from './team-mailbox-kinds.js'
import type { Random } from './team-mailbox-random.js'

/** The people of a conversation; a role nobody fills is null. */
export type Roles = Readonly<Record<Role, Person | null>>

/** The names the templates may use in braces. */
export type VarName =
  | 'lead' | 'leadTitle' | 'team2' | 'team3' | 'ext' | 'ext2' | 'extCompany' | 'extCompany2' | 'firm' | 'fundName'
  | 'company' | 'blurb' | 'round' | 'fund' | 'lawfirm' | 'valuer' | 'quarter' | 'month' | 'meeting' | 'weekday'
  | 'time' | 'amount' | 'pre' | 'check' | 'arr' | 'growth' | 'burn' | 'runway' | 'customers' | 'hire' | 'hire2'
  | 'callNo' | 'callPct' | 'city' | 'topic'

/** A cast conversation. */
export interface ThreadSetup {
  readonly roles: Roles & { readonly lead: Person; readonly team2: Person; readonly team3: Person; readonly ext: Person }
  /** Values for the templates' `{names}`. */
  readonly vars: Readonly<Record<VarName, string>>
}

const HIRES = ['VP Engineering', 'Head of Sales', 'CFO', 'Head of Product', 'VP Marketing', 'Head of Customer Success', 'General Counsel']
const CITIES = ['Lisbon', 'Berlin', 'London', 'New York', 'Austin', 'Toronto', 'Amsterdam', 'Stockholm']
const TOPICS = ['climate software', 'AI in insurance', 'the seed market', 'European robotics', 'fund returns in a slower market']
const TIMES = ['9:30', '10am', '11:30', '1pm', '2pm', '3:30pm', '4pm']
const AMOUNTS = [3, 4, 6, 8, 10, 12, 15, 20, 25]

function partiesOf(cast: Cast, kinds: readonly PartyKind[], roles?: readonly string[]): Party[] {
  return cast.parties.filter((p) => kinds.includes(p.kind) && (roles === undefined || p.kind !== 'contact' || roles.includes(p.role)))
}

function pickParty(random: Random, cast: Cast, kinds: readonly PartyKind[], roles?: readonly string[]): Party {
  const kind = random.pick(kinds)
  const pool = partiesOf(cast, [kind], roles)
  return random.pick(pool.length > 0 ? pool : partiesOf(cast, kinds, roles))
}

function teammate(cast: Cast, local: string): Person {
  const found = cast.team.find((p) => p.address.startsWith(`${local}@`))
  if (found === undefined) throw new Error(`No teammate ${local}`)
  return found
}

/** Fills the roles of `kind` and draws the facts its conversation mentions, as of `start`. */
export function setUpThread(random: Random, cast: Cast, kind: ThreadKind, start: number): ThreadSetup {
  const lead = teammate(cast, random.pick(kind.leads))
  const others = cast.team.filter((p) => p !== lead)
  const team2 = random.pick(others)
  const team3 = random.pick(others.filter((p) => p !== team2))
  const extParty = pickParty(random, cast, kind.ext, kind.roles)
  const ext = extParty.people[0] ?? null
  if (ext === null) throw new Error(`${extParty.name} has nobody to write`)
  const company = kind.company === 'ext' ? extParty : pickParty(random, cast, [kind.company])
  const founder = company.people[0] ?? null
  const coinvestor = pickParty(random, cast, ['coinvestor'])
  const law = pickParty(random, cast, ['law'])
  let ext2: Person | null = null
  switch (kind.ext2) {
    case 'founder': ext2 = founder === ext ? null : founder; break
    case 'coinvestor': ext2 = coinvestor.people[0] ?? null; break
    case 'law': ext2 = law.people[0] ?? null; break
    case 'colleague': ext2 = extParty.people[1] ?? null; break
    case undefined: break
  }
  const amount = random.pick(AMOUNTS)
  const later = (days: number) => start + days * DAY
  const vars: Record<VarName, string> = {
    lead: lead.first,
    team3: team3.first,
    leadTitle: lead.title.toLowerCase().replace(/^cfo/, 'CFO'),
    team2: team2.first,
    ext: ext.first,
    ext2: ext2?.first ?? ext.first,
    extCompany: ext.company,
    extCompany2: ext2?.company ?? ext.company,
    firm: cast.firm,
    fundName: cast.fundName,
    company: company.name,
    blurb: company.blurb === '' ? 'software for operations teams' : company.blurb,
    round: company.round === 'Seed' ? 'Seed' : `Series ${company.round === '' ? 'A' : company.round}`,
    fund: coinvestor.name,
    lawfirm: law.name,
    valuer: 'Harrowgate Advisory',
    quarter: previousQuarter(start),
    month: new Date(start).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' }),
    meeting: monthDay(later(random.int(6, 14))),
    weekday: weekdayName(nextWeekday(later(random.int(2, 5)))),
    time: random.pick(TIMES),
    amount: String(amount),
    pre: String(amount * random.int(3, 5)),
    check: String(Math.max(1, Math.round(amount * (0.2 + random.next() * 0.3)))),
    arr: (1 + random.next() * 11).toFixed(1),
    growth: String(random.int(8, 42)),
    burn: String(random.int(18, 95) * 10),
    runway: String(random.int(14, 36)),
    customers: String(random.int(6, 60)),
    hire: random.pick(HIRES),
    hire2: random.pick(HIRES),
    callNo: String(random.int(2, 9)),
    callPct: String(random.int(4, 12)),
    city: random.pick(CITIES),
    topic: random.pick(TOPICS),
  }
  return { roles: { lead, team2, team3, ext, ext2 }, vars }
}

/** The same day, or the Monday after when it falls on a weekend. */
function nextWeekday(ms: number): number {
  const day = new Date(ms).getUTCDay()
  return day === 6 ? ms + 2 * DAY : day === 0 ? ms + DAY : ms
}
