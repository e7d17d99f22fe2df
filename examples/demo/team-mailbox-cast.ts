/**
 * Who writes the demo's mail: a five-person venture firm on `larkmoor.example`, the funds,
 * companies and people in its CRM, and the friends and family whose mail the CRM must not
 * keep. Every organisation is fictitious and lives under the reserved `.example` TLD; private
 * people use consumer mail providers, which the library never matches by domain.
 */
import type { DirectoryEntry } from 'crm-email-integration'
import type { MailAddress } from './team-mailbox-mime.js'

/** A person who sends or receives mail. */
export interface Person extends MailAddress {
  readonly first: string
  readonly title: string
  /** The employer named in the signature ('' for private people). */
  readonly company: string
}

/** What an organisation or person is to the firm; decides the threads it takes part in. */
export type PartyKind = 'coinvestor' | 'lp' | 'portfolio' | 'prospect' | 'law' | 'bank' | 'admin' | 'contact'

/** An organisation (or an independent person) in the CRM directory. */
export interface Party {
  readonly kind: PartyKind
  readonly name: string
  readonly people: readonly Person[]
  /** What the company does, for intros and updates ('' when not a company the firm backs). */
  readonly blurb: string
  /** The round being discussed with a prospect or raised by a portfolio company. */
  readonly round: string
  /** What an independent contact does (`angel`, `advisor`, `recruiter`, `press`); '' otherwise. */
  readonly role: string
}

/** The whole cast. */
export interface Cast {
  readonly firm: string
  readonly fundName: string
  readonly domain: string
  readonly team: readonly Person[]
  readonly parties: readonly Party[]
  readonly directory: readonly DirectoryEntry[]
  /** Each teammate's friends and family, by teammate address. */
  readonly friends: ReadonlyMap<string, readonly Person[]>
}

const DOMAIN = 'larkmoor.example'
const FIRM = 'Larkmoor Ventures'

function person(name: string, address: string, title: string, company: string): Person {
  return { name, address, title, company, first: name.split(' ')[0] ?? name }
}

const TEAM: readonly Person[] = [
  person('Ann Marsh', `ann@${DOMAIN}`, 'Managing Partner', FIRM),
  person('Bob Okafor', `bob@${DOMAIN}`, 'Partner', FIRM),
  person('Cy Lindqvist', `cy@${DOMAIN}`, 'Principal', FIRM),
  person('Dee Raman', `dee@${DOMAIN}`, 'Associate', FIRM),
  person('Eve Castellanos', `eve@${DOMAIN}`, 'CFO & Head of Platform', FIRM),
]

type PartyRow = readonly [kind: PartyKind, id: string | number, name: string, domain: string, people: readonly (readonly [string, string, string])[], blurb?: string, round?: string]

/** Funds (co-investors and limited partners) and organisations, matched by domain. */
const ORGANISATIONS: readonly PartyRow[] = [
  ['coinvestor', 101, 'Northgate Capital Partners', 'northgate-capital.example', [['Priya Natarajan', 'priya', 'Partner'], ['Tom Hale', 'tom.hale', 'Principal']]],
  ['coinvestor', 102, 'Bramblewood Ventures', 'bramblewood.example', [['Grace Liu', 'grace', 'General Partner'], ['Marcus Bell', 'marcus', 'Associate']]],
  ['coinvestor', 103, 'Cobalt Ridge Growth', 'cobaltridge.example', [['Søren Østergaard', 'soren', 'Partner'], ['Leah Fischer', 'leah.fischer', 'Vice President']]],
  ['coinvestor', 104, 'Kestrel Seed Fund', 'kestrelseed.example', [['Omar Haddad', 'omar', 'Founding Partner']]],
  ['coinvestor', 105, 'Juniper Harbour Capital', 'juniperharbour.example', [['Claire Dubois', 'claire', 'Partner']]],
  ['lp', 106, 'Meridian Public Pension Fund', 'meridian-pension.example', [['Robert Kline', 'rkline', 'Head of Private Markets'], ['Aisha Bello', 'abello', 'Investment Analyst']]],
  ['lp', 107, 'Alder & Finch Family Office', 'alderfinch.example', [['Zoë Brännström', 'zoe', 'Chief Investment Officer']]],
  ['lp', 108, 'Saltmarsh University Endowment', 'saltmarsh-endowment.example', [['Henry Ashworth', 'h.ashworth', 'Director, Private Investments']]],
  ['portfolio', 'o-201', 'Quillstack', 'quillstack.example', [['Maya Reyes', 'maya', 'CEO & Co-founder'], ['Dev Patel', 'dev', 'CTO & Co-founder']], 'code review automation for large engineering teams', 'A'],
  ['portfolio', 'o-202', 'Ferrovia Robotics', 'ferrovia.example', [['Łukasz Wiśniewski', 'lukasz', 'CEO'], ['Hannah Cole', 'hannah', 'COO']], 'autonomous inspection robots for rail networks', 'B'],
  ['portfolio', 'o-203', 'Lumenfold Health', 'lumenfold.example', [['Nadia Rahman', 'nadia', 'CEO & Founder']], 'remote monitoring for cardiac patients after discharge', 'A'],
  ['portfolio', 'o-204', 'Tessellate AI', 'tessellate.example', [['Jonah Weiss', 'jonah', 'CEO'], ['Inês Carvalho', 'ines', 'CFO']], 'document understanding for insurance claims', 'B'],
  ['portfolio', 'o-205', 'Brightpath Logistics', 'brightpath-logistics.example', [['Kofi Mensah', 'kofi', 'CEO & Co-founder']], 'freight booking software for mid-sized shippers', 'A'],
  ['portfolio', 'o-206', 'Oakum Energy', 'oakum.example', [['Sara Lindgren', 'sara', 'CEO']], 'grid-scale battery management software', 'Seed'],
  ['portfolio', 'o-207', 'Parcelwise', 'parcelwise.example', [['Ethan Brooks', 'ethan', 'CEO & Founder']], 'returns management for online retailers', 'Seed'],
  ['prospect', 'o-208', 'Sundial Payments', 'sundialpay.example', [['Amara Okonkwo', 'amara', 'CEO & Co-founder']], 'payroll and payments for hourly workforces', 'A'],
  ['prospect', 'o-209', 'Verdigris Bio', 'verdigris-bio.example', [['Felix Hartmann', 'felix', 'CEO']], 'enzyme-based recycling of mixed plastics', 'Seed'],
  ['prospect', 'o-210', 'Hearthline', 'hearthline.example', [['Rosa Jiménez', 'rosa', 'CEO & Co-founder']], 'heat pump installation marketplace', 'Seed'],
  ['law', 'o-211', 'Hollis & Crane LLP', 'hollis-crane.example', [['José Núñez', 'jose.nunez', 'Partner'], ['Emily Shaw', 'emily.shaw', 'Associate']]],
  ['law', 'o-212', 'Whitcombe Ardley LLP', 'whitcombe-ardley.example', [['Daniel Park', 'dpark', 'Partner']]],
  ['bank', 'o-213', 'First Harbor Bank', 'firstharbor.example', [['Linda Osei', 'linda.osei', 'Relationship Manager']]],
  ['bank', 'o-214', 'Calder Trust', 'calder-trust.example', [['Paul Meyer', 'paul.meyer', 'Treasury Services']]],
  ['admin', 'o-215', 'Ledgerline Fund Services', 'ledgerline.example', [['Monica Alvarez', 'monica', 'Senior Fund Accountant']]],
]

/** Independent people in the CRM, matched by their exact address (some at free-mail providers). */
const CONTACTS: readonly (readonly [id: string, name: string, address: string, title: string, company: string, role: string])[] = [
  ['c-301', 'Dana Whitaker', 'dana.whitaker@gmail.com', 'Angel investor', '', 'angel'],
  ['c-302', 'Chloé Lefèvre', 'chloe.lefevre@outlook.com', 'Independent board director', '', 'advisor'],
  ['c-303', 'Raj Malhotra', 'raj.malhotra.angel@gmail.com', 'Scout and angel investor', '', 'angel'],
  ['c-304', 'Beatriz Santos', 'bea.santos@icloud.com', 'Advisor, former founder', '', 'advisor'],
  ['c-305', 'Sam Goldberg', 'samgoldberg@yahoo.com', 'Angel investor', '', 'angel'],
  ['c-306', 'Mei Tanaka', 'mei.tanaka.studio@gmail.com', 'Brand designer', 'Tanaka Studio', 'advisor'],
  ['c-307', 'Oliver Grant', 'olivergrant.search@outlook.com', 'Executive recruiter', '', 'recruiter'],
  ['c-308', 'Victor Alm', 'victor@harrowgate-advisory.example', 'Valuation Director', 'Harrowgate Advisory', 'advisor'],
  ['c-309', 'Julia Novak', 'julia.novak@beaconsearch.example', 'Talent Partner', 'Beacon Search', 'recruiter'],
  ['c-310', 'Ken Adeyemi', 'ken@adeyemi-cfo.example', 'Fractional CFO', 'Adeyemi Finance', 'advisor'],
  ['c-311', 'Lena Vogt', 'lena.vogt@techledger-press.example', 'Senior Reporter', 'The Tech Ledger', 'press'],
]

/** People at directory organisations who are also CRM contacts of their own (exact address). */
const CONTACTS_AT_ORGANISATIONS: readonly (readonly [id: string, address: string])[] = [
  ['c-312', 'maya@quillstack.example'],
  ['c-313', 'jonah@tessellate.example'],
  ['c-314', 'priya@northgate-capital.example'],
  ['c-315', 'jose.nunez@hollis-crane.example'],
]

const FRIENDS: readonly (readonly [teammate: string, name: string, address: string])[] = [
  ['ann', 'Linda Marsh', 'linda.marsh58@icloud.com'],
  ['ann', 'Kate Sullivan', 'kate.sully@gmail.com'],
  ['bob', 'Chidi Okafor', 'chidi.okafor@gmail.com'],
  ['bob', 'Marco Bianchi', 'marco.runs@outlook.com'],
  ['cy', 'Astrid Lindqvist', 'astrid.lindqvist@gmail.com'],
  ['cy', 'Ben Fowler', 'ben.fowler84@yahoo.com'],
  ['dee', 'Arjun Raman', 'arjun.raman@outlook.com'],
  ['dee', 'Nora Quinn', 'nora.quinn@gmail.com'],
  ['eve', 'Carmen Castellanos', 'carmen.castellanos@gmail.com'],
  ['eve', 'Tess Harper', 'tessharper@icloud.com'],
]

/** Builds the cast. It is the same for every seed, so the directory is stable across runs. */
export function buildCast(): Cast {
  const parties: Party[] = []
  const directory: DirectoryEntry[] = []
  const byAddress = new Map<string, Person>()
  for (const [kind, id, name, domain, people, blurb = '', round = ''] of ORGANISATIONS) {
    const members = people.map(([full, local, title]) => person(full, `${local}@${domain}`, title, name))
    for (const m of members) byAddress.set(m.address, m)
    parties.push({ kind, name, people: members, blurb, round, role: '' })
    directory.push({ type: kind === 'coinvestor' || kind === 'lp' ? 'fund' : 'org', id, name, domains: [domain] })
  }
  for (const [id, name, address, title, company, role] of CONTACTS) {
    parties.push({ kind: 'contact', name, people: [person(name, address, title, company)], blurb: '', round: '', role })
    directory.push({ type: 'contact', id, name, emails: [address] })
  }
  for (const [id, address] of CONTACTS_AT_ORGANISATIONS) {
    const known = byAddress.get(address)
    if (known === undefined) throw new Error(`The cast names ${address}, who is not at any organisation`)
    directory.push({ type: 'contact', id, name: known.name, emails: [address] })
  }
  const friends = new Map<string, Person[]>()
  for (const [teammate, name, address] of FRIENDS) {
    const key = `${teammate}@${DOMAIN}`
    friends.set(key, [...(friends.get(key) ?? []), person(name, address, '', '')])
  }
  return { firm: FIRM, fundName: `${FIRM} Fund II`, domain: DOMAIN, team: TEAM, parties, directory, friends }
}
