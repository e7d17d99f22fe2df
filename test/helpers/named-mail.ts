import type { GmailEmulator } from '../../src/testing/index.js'

/** A message as `mail()` of `sync/setup.ts` makes it. */
interface RawMail {
  readonly raw: string
  readonly messageId: string
}

/**
 * A function that delivers a message into a mailbox of `emu` and records its Message-ID in
 * `ids` under a name the test chooses, for finding its stored row later.
 *
 * @example
 * const add = deliverNamed(w.emu, ids)
 * add('term', mail({ from: 'partner@acme.vc', to: [ANN], subject: 'Term sheet' }), ANN)
 */
export function deliverNamed(emu: GmailEmulator, ids: Record<string, string>): (name: string, m: RawMail, box: string) => void {
  return (name, m, box) => {
    emu.addMessage(box, m.raw)
    ids[name] = m.messageId
  }
}
