/**
 * Consumer mail domains: anyone can get an address there, so sharing the domain says nothing
 * about who a person works for. Matching never links by these domains (SPEC §6); an exact
 * address at one of them (a contact's `dana@gmail.com`) still matches.
 *
 * How to maintain: add a provider's domains when a directory entry lists one as an entity's
 * domain (the index then warns that it was ignored, which is the right outcome, but the list is
 * the only guard for entities the host adds later), or when a public provider appears in the
 * team's mail. List only domains where strangers can sign up; a company's own mail domain
 * never belongs here, however large the company. Subdomains need no entry: a domain under a
 * listed one (`nyc.rr.com` under `rr.com`) counts as free-mail too. Keep each provider's
 * variants together so a reviewer can see what a provider covers; `test/capture/match/address.test.ts`
 * checks the list's shape (lowercase, valid, no duplicates).
 */

/** `base.tld` for every top-level suffix a provider serves. */
function variants(base: string, suffixes: readonly string[]): string[] {
  return suffixes.map((suffix) => `${base}.${suffix}`)
}

/** Microsoft's consumer domains per country; outlook, hotmail and live share most of them. */
const MICROSOFT_SUFFIXES = [
  'com', 'co.uk', 'fr', 'de', 'it', 'es', 'nl', 'be', 'ca', 'at', 'ch', 'se', 'no', 'dk', 'fi', 'ie',
  'pt', 'gr', 'pl', 'cz', 'hu', 'ro', 'sk', 'jp', 'kr', 'in', 'co.in', 'co.jp', 'co.th', 'co.id', 'co.il',
  'co.za', 'co.nz', 'com.au', 'com.br', 'com.mx', 'com.ar', 'com.tr', 'com.sg', 'com.my', 'com.vn', 'com.hk',
  'com.tw', 'com.ph', 'com.pe', 'com.co', 'cl', 'ru', 'lt', 'lv', 'ee', 'my', 'sg', 'ph', 'vn',
] as const

/** Yahoo's country domains. */
const YAHOO_SUFFIXES = [
  'com', 'co.uk', 'fr', 'de', 'it', 'es', 'nl', 'be', 'ca', 'at', 'ch', 'se', 'no', 'dk', 'fi', 'ie',
  'gr', 'pl', 'ro', 'in', 'co.in', 'co.jp', 'co.kr', 'co.id', 'co.th', 'co.nz', 'co.za', 'com.au',
  'com.br', 'com.mx', 'com.ar', 'com.co', 'com.pe', 'com.ve', 'com.sg', 'com.my', 'com.ph', 'com.hk',
  'com.tw', 'com.vn', 'com.tr', 'cl', 'cn',
] as const

/** GMX (United Internet) serves the same mailboxes under many country domains. */
const GMX_SUFFIXES = ['com', 'net', 'de', 'at', 'ch', 'fr', 'co.uk', 'us', 'es', 'it', 'info', 'org', 'eu', 'li'] as const

/** Yandex's country domains. */
const YANDEX_SUFFIXES = ['ru', 'com', 'ua', 'by', 'kz', 'com.tr', 'uz', 'az'] as const

/** Domains listed as they are, grouped by provider or region. */
const LISTED_DOMAINS = [
  // Google
  'gmail.com', 'googlemail.com',
  // Microsoft, besides the country variants
  'msn.com', 'passport.com', 'windowslive.com', 'outlook.co.uk', 'outlook.co.nz', 'livemail.tw',
  // Yahoo and its brands
  'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'myyahoo.com',
  // Apple, including Hide My Email relays
  'icloud.com', 'me.com', 'mac.com', 'privaterelay.appleid.com',
  // AOL and its vanity domains
  'aol.com', 'aol.co.uk', 'aol.de', 'aol.fr', 'aim.com', 'love.com', 'ygm.com', 'games.com', 'wow.com',
  // Proton
  'proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me',
  // Privacy and paid mail providers
  'fastmail.com', 'fastmail.fm', 'fastmail.net', 'fastmail.to', 'fastmail.org', 'messagingengine.com',
  'tutanota.com', 'tutanota.de', 'tutamail.com', 'tuta.io', 'tuta.com', 'keemail.me',
  'hey.com', 'duck.com', 'hushmail.com', 'hush.com', 'mailfence.com', 'runbox.com', 'posteo.de', 'posteo.net',
  'mailbox.org', 'startmail.com', 'disroot.org', 'riseup.net', 'countermail.com', 'kolabnow.com',
  'zoho.com', 'zohomail.com', 'zoho.eu', 'zohomail.eu', 'zoho.in', 'zohomail.in',
  // mail.com (1&1) and its vanity domains
  'mail.com', 'email.com', 'usa.com', 'post.com', 'consultant.com', 'engineer.com', 'myself.com',
  'dr.com', 'europe.com', 'asia.com', 'writeme.com', 'iname.com', 'cheerful.com', 'techie.com',
  // Older webmail
  'lycos.com', 'excite.com', 'inbox.com', 'juno.com', 'netzero.net', 'netzero.com', 'rediffmail.com',
  'mail2world.com',
  // US internet providers
  'att.net', 'sbcglobal.net', 'bellsouth.net', 'pacbell.net', 'ameritech.net', 'flash.net', 'swbell.net',
  'comcast.net', 'verizon.net', 'cox.net', 'charter.net', 'spectrum.net', 'rr.com',
  'roadrunner.com', 'earthlink.net', 'mindspring.com', 'optonline.net', 'optimum.net',
  'frontier.com', 'frontiernet.net', 'windstream.net', 'centurylink.net', 'centurytel.net', 'embarqmail.com',
  'q.com', 'mchsi.com', 'suddenlink.net', 'mediacombb.net', 'wowway.com', 'rcn.com', 'cableone.net',
  'prodigy.net', 'wmconnect.com', 'peoplepc.com',
  // Canada
  'shaw.ca', 'rogers.com', 'sympatico.ca', 'bell.net', 'videotron.ca', 'telus.net', 'cogeco.ca',
  // United Kingdom and Ireland
  'btinternet.com', 'btopenworld.com', 'sky.com', 'virginmedia.com', 'blueyonder.co.uk', 'ntlworld.com',
  'talktalk.net', 'tiscali.co.uk', 'plus.net', 'o2.co.uk', 'orange.net', 'eircom.net',
  // France
  'orange.fr', 'wanadoo.fr', 'free.fr', 'sfr.fr', 'neuf.fr', 'laposte.net', 'club-internet.fr', 'bbox.fr',
  'aliceadsl.fr', 'numericable.fr',
  // Germany, Austria, Switzerland
  'web.de', 't-online.de', 'freenet.de', 'arcor.de', 'email.de', 'online.de', 'vodafone.de', 'kabelmail.de',
  'aon.at', 'chello.at', 'bluewin.ch', 'hispeed.ch', 'sunrise.ch',
  // Italy, Spain, Portugal
  'libero.it', 'virgilio.it', 'alice.it', 'tin.it', 'tiscali.it', 'email.it', 'inwind.it', 'fastwebnet.it',
  'telefonica.net', 'movistar.es', 'terra.es', 'ono.com', 'sapo.pt', 'netcabo.pt',
  // Benelux and the Nordics
  'ziggo.nl', 'kpnmail.nl', 'planet.nl', 'home.nl', 'telenet.be', 'skynet.be', 'online.no',
  'spray.se', 'bredband.net', 'jubii.dk', 'suomi24.fi',
  // Central and Eastern Europe
  'seznam.cz', 'centrum.cz', 'email.cz', 'post.cz', 'wp.pl', 'o2.pl', 'onet.pl', 'op.pl', 'interia.pl',
  'tlen.pl', 'gazeta.pl', 'poczta.fm', 'freemail.hu', 'citromail.hu', 'abv.bg', 'mail.bg', 'azet.sk',
  'centrum.sk', 'inbox.lv', 'inbox.lt',
  // Russia and neighbours
  'mail.ru', 'inbox.ru', 'list.ru', 'bk.ru', 'internet.ru', 'ya.ru', 'narod.ru', 'rambler.ru', 'lenta.ru',
  'ukr.net', 'i.ua', 'meta.ua',
  // China, Korea, Japan, India
  'qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', 'vip.163.com', 'sina.com', 'sina.cn',
  'sohu.com', 'aliyun.com', '139.com', '189.cn', 'wo.cn', 'tom.com', '21cn.com',
  'naver.com', 'hanmail.net', 'daum.net', 'nate.com', 'kakao.com',
  'docomo.ne.jp', 'ezweb.ne.jp', 'softbank.ne.jp', 'i.softbank.jp', 'nifty.com', 'biglobe.ne.jp',
  'ocn.ne.jp',
  // Latin America
  'uol.com.br', 'bol.com.br', 'terra.com.br', 'ig.com.br', 'globo.com', 'globomail.com', 'prodigy.net.mx',
  'terra.cl', 'speedy.com.ar', 'fibertel.com.ar',
  // Australia, New Zealand, Africa
  'bigpond.com', 'bigpond.net.au', 'optusnet.com.au', 'iinet.net.au', 'tpg.com.au', 'internode.on.net',
  'xtra.co.nz', 'vodafone.co.nz', 'mweb.co.za', 'telkomsa.net', 'webmail.co.za',
  // Disposable-address services
  'mailinator.com', 'guerrillamail.com', 'sharklasers.com', 'yopmail.com', '10minutemail.com',
  'temp-mail.org', 'trashmail.com', 'maildrop.cc', 'dispostable.com', 'getnada.com',
] as const

/**
 * The free-mail domains (lowercase). A domain under one of them counts too; use
 * `isFreeMailDomain` from `address.ts` rather than `has` to include subdomains.
 *
 * @example
 * ```ts
 * FREE_MAIL_DOMAINS.has('gmail.com')   // true
 * FREE_MAIL_DOMAINS.has('acme.vc')     // false
 * ```
 */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = Object.freeze(
  new Set<string>([
    ...LISTED_DOMAINS,
    ...variants('outlook', MICROSOFT_SUFFIXES),
    ...variants('hotmail', MICROSOFT_SUFFIXES),
    ...variants('live', MICROSOFT_SUFFIXES),
    ...variants('yahoo', YAHOO_SUFFIXES),
    ...variants('gmx', GMX_SUFFIXES),
    ...variants('yandex', YANDEX_SUFFIXES),
  ]),
)
