/**
 * Calling an HTTP endpoint the operator configured by URL (the summarizer, the embeddings
 * endpoint, Qdrant). The URL may carry credentials: `user:password@` is sent as HTTP Basic
 * authentication (`fetch` refuses URLs with credentials, and quotes them whole when it does),
 * and the query string, which may hold an `api_key`, is kept after the appended path.
 */

/** Where and how to send one request to a configured endpoint. */
export interface EndpointRequest {
  /** The URL to fetch: the base without its credentials, the path appended, the query kept. */
  readonly url: string
  /** `authorization` when the base URL carried `user:password@`, else nothing. */
  readonly headers: Readonly<Record<string, string>>
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/**
 * The request for `path` under the endpoint `base` (an absolute http(s) URL, as the
 * configuration holds it).
 *
 * @param base - the configured URL, e.g. `https://ann:pw@llm.example/v1?api_key=abc`.
 * @param path - appended to the base's path, e.g. `/chat/completions`.
 *
 * @example
 * ```ts
 * const { url, headers } = endpointRequest('https://ann:pw@llm.example/v1?api_key=abc', '/chat/completions')
 * // url: 'https://llm.example/v1/chat/completions?api_key=abc'
 * // headers: { authorization: 'Basic YW5uOnB3' }
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
 * ```
 */
export function endpointRequest(base: string, path: string): EndpointRequest {
  const url = new URL(base)
  const headers: Record<string, string> = {}
  if (url.username !== '' || url.password !== '') {
    const pair = `${decoded(url.username)}:${decoded(url.password)}`
    headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
    url.username = ''
    url.password = ''
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`
  return { url: url.href, headers }
}
