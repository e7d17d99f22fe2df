/** The help text of the CLI. */
export const USAGE = `Usage: crm-email-integration <command> [options]

Commands:
  migrate                      create or update the email tables (idempotent)
  rollback --yes               drop every table the library created, with its data
  enroll <address>...          enroll teammates' mailboxes
  sync [--account <address>]   sync every active account (or one), with progress
  retry-failures [--account <address>]
                               fetch failed messages again now, those a sync never
                               retries (too deep, too large, unparseable) included
  status [--json]              accounts and their last sync run
  index [--limit <n>] [--json] read stored attachments' text and, with embeddings set up,
                               bring the vector index in step (at most n emails embedded,
                               default 2000); exit 1 when an endpoint or store is down
  audit --account <address> [--identity <key>] [--no-headers] [--json]
                               compare what Gmail's search lists for each identity with
                               what is stored, and find CRM mail no search listed (reads the
                               headers of every unstored, unlisted message: one get each;
                               --no-headers skips that)
  digest preview [--since <YYYY-MM-DD|ISO date-time> | --hours <n>] [--json | --html]
                               print the digest of a window (default: the last 24 hours)
  help                         show this text

Options:
  --db <path | postgres://...>  the database: a SQLite file or a PostgreSQL URL
                                (default: $CRM_GMAIL_DB; required)
  --directory <file>            the CRM directory: a JSON array of { type, id, name, emails?,
                                domains? }, or a .js/.mjs module exporting one (or a function
                                returning one) as default (default: $CRM_GMAIL_DIRECTORY_FILE)
  --account <address>           sync, retry-failures: only this account; audit: the account
  --identity <key>              audit: only this identity (fund:7, org:o-1, contact:c-1)
  --no-headers                  audit: do not read the headers of unlisted mail
  --limit <n>                   index: embed at most n emails this run
  --json                        sync, retry-failures, status, index, digest, audit: print JSON on stdout
  --html                        digest: print the HTML rendering
  --yes                         rollback: confirm
  --verbose                     print the library's log (retries, warnings) on stderr
  -h, --help                    show this text
  -v, --version                 print the version

Configuration comes from the CRM_GMAIL_* environment variables (see the README).

Exit codes: 0 done (a sync with a partial run also exits 0, with a warning);
  1 a run failed (a sync run ended in error, the database or Gmail failed);
  2 usage or configuration error; 130 / 143 stopped by SIGINT / SIGTERM.`
