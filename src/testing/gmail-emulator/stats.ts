/**
 * What the emulator saw, for assertions: every getter returns a snapshot (a frozen copy),
 * so a test can keep one and compare it with a later one.
 */
export interface GmailEmulatorStats {
  /**
   * Requests received, by method name (`getProfile`, `messages.list`, `messages.get`,
   * `messages.attachments.get`, `history.list`, `batch`, `token`, `auth`, `unknown`),
   * rejected ones included. A batch counts once as `batch` and each part under its own method.
   */
  readonly requests: Readonly<Record<string, number>>
  /** Quota units charged, per mailbox address. */
  readonly unitsSpent: Readonly<Record<string, number>>
  /**
   * Per Gmail message id, how often its content was served: `messages.get` with
   * `format=raw` or `full`, and each `attachments.get` of its parts.
   */
  readonly downloads: Readonly<Record<string, number>>
  /** Access tokens issued by the token endpoint, per mailbox address (`(service account)` without `sub`). */
  readonly tokensIssued: Readonly<Record<string, number>>
  /** Injected faults by kind: `serverError`, `rateLimit`, `reset`, `slow`. */
  readonly faults: Readonly<Record<string, number>>
  /** Answers by method and status, keyed `"messages.get 429"`. */
  readonly responses: Readonly<Record<string, number>>
  /** Sets every counter back to zero (quota buckets and history are untouched). */
  reset(): void
}

type Counter = Map<string, number>

function snapshot(counter: Counter): Readonly<Record<string, number>> {
  return Object.freeze(Object.fromEntries(counter))
}

function bump(counter: Counter, key: string, by = 1): void {
  counter.set(key, (counter.get(key) ?? 0) + by)
}

/** The recorder behind {@link GmailEmulatorStats}. */
export class StatsRecorder implements GmailEmulatorStats {
  private readonly counters = {
    requests: new Map() as Counter,
    unitsSpent: new Map() as Counter,
    downloads: new Map() as Counter,
    tokensIssued: new Map() as Counter,
    faults: new Map() as Counter,
    responses: new Map() as Counter,
  }

  get requests(): Readonly<Record<string, number>> {
    return snapshot(this.counters.requests)
  }

  get unitsSpent(): Readonly<Record<string, number>> {
    return snapshot(this.counters.unitsSpent)
  }

  get downloads(): Readonly<Record<string, number>> {
    return snapshot(this.counters.downloads)
  }

  get tokensIssued(): Readonly<Record<string, number>> {
    return snapshot(this.counters.tokensIssued)
  }

  get faults(): Readonly<Record<string, number>> {
    return snapshot(this.counters.faults)
  }

  get responses(): Readonly<Record<string, number>> {
    return snapshot(this.counters.responses)
  }

  reset(): void {
    for (const counter of Object.values(this.counters)) counter.clear()
  }

  /** Counts a request under its method name. */
  request(method: string): void {
    bump(this.counters.requests, method)
  }

  /** Counts an answer. */
  response(method: string, status: number): void {
    bump(this.counters.responses, `${method} ${status}`)
  }

  /** Counts a request under its method name, then its answer once `answer` gives it. */
  async counted<T extends { readonly status: number }>(method: string, answer: () => Promise<T>): Promise<T> {
    this.request(method)
    const response = await answer()
    this.response(method, response.status)
    return response
  }

  /** Adds charged quota units. */
  units(user: string, units: number): void {
    bump(this.counters.unitsSpent, user, units)
  }

  /** Counts a content download of a message. */
  download(messageId: string): void {
    bump(this.counters.downloads, messageId)
  }

  /** Counts an issued access token. */
  tokenIssued(mailbox: string | null): void {
    bump(this.counters.tokensIssued, mailbox ?? '(service account)')
  }

  /** Counts an injected fault. */
  fault(kind: string): void {
    bump(this.counters.faults, kind)
  }
}
