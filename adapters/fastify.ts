/**
 * `crm-email-integration/fastify`: the library's routes as an encapsulated Fastify plugin.
 * Fastify is imported for its types only; the plugin needs no Fastify code at run time.
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { checkedHandler, refusedMethod, toWebRequest, type EmailHttpHandler } from './node-bridge.js'

export type { EmailHttpHandler } from './node-bridge.js'

/** The options of {@link emailIntegrationPlugin}. */
export interface EmailIntegrationPluginOptions {
  /** The integration whose routes the plugin serves (`createEmailIntegration(...)`). */
  readonly integration: EmailHttpHandler
}

/**
 * The library's paths: both prefixes, bare (the core answers them: 404 in its JSON) and with
 * anything below them.
 */
const ROUTES = ['/api/email', '/api/email/*', '/api/admin/digest', '/api/admin/digest/*']

/** The public origin as Fastify derives it (which honours its `trustProxy` option). */
function originOf(request: FastifyRequest): string | undefined {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin
  } catch {
    return undefined // an unparsable host: the bridge validates `Host` itself
  }
}

/**
 * The library's routes (`/api/email/*` and `/api/admin/digest/*`, every method) as a Fastify
 * plugin. Register it without a `prefix`. It is encapsulated (no `fastify-plugin`): inside it
 * every content type is read as a raw Buffer by its own parser, whatever parsers the host
 * registered, so the library validates the bodies itself (malformed JSON: its 400); the host's
 * `bodyLimit` still applies. The host's hooks run for these routes as for its own.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { emailIntegrationPlugin } from 'crm-email-integration/fastify'
 *
 * const app = Fastify({ trustProxy: false })
 * await app.register(emailIntegrationPlugin, { integration: email })
 * app.get('/health', async () => ({ ok: true }))
 * ```
 */
export const emailIntegrationPlugin: FastifyPluginCallback<EmailIntegrationPluginOptions> = (fastify, options, done) => {
  let integration: EmailHttpHandler
  try {
    integration = checkedHandler(options.integration, 'emailIntegrationPlugin: options.integration')
  } catch (error) {
    done(error as Error)
    return
  }
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, parsed) => {
    parsed(null, body)
  })
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const refused = refusedMethod(request.method)
    if (refused !== null) return reply.send(refused)
    const controller = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'))
    })
    const baseUrl = originOf(request)
    const read = { body: request.body, signal: controller.signal }
    const web = toWebRequest(request.raw, baseUrl === undefined ? read : { ...read, baseUrl })
    const response = await integration.tryHandle(web)
    // A path Fastify matched but the core does not own (a case-insensitive host router): the host's 404.
    if (response === null) {
      reply.callNotFound()
      return reply
    }
    return reply.send(response)
  }
  for (const url of ROUTES) fastify.all(url, handler)
  done()
}
