import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { emailIntegrationMiddleware } from '../../adapters/express.js'
import { emailIntegrationPlugin } from '../../adapters/fastify.js'
import { createNodeHandler } from '../../adapters/node.js'
import type { EmailIntegration } from '../../src/index.js'

/** A host server listening on 127.0.0.1 with its own routes and the integration mounted. */
export interface MountedHost {
  readonly url: string
  close(): Promise<void>
}

/**
 * Starts a host: its own `GET /host/ping` and `POST /host/echo` (which answers the JSON body it
 * read) next to the integration's routes, on a free port.
 */
export type Mount = (email: EmailIntegration) => Promise<MountedHost>

async function listen(server: Server): Promise<MountedHost> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/**
 * Express 4 (the `express4` alias of express@4), loaded as its own package. Typed with Express
 * 5's declarations: the calls the hosts below make are the same in both.
 */
const express4 = createRequire(import.meta.url)('express4') as typeof express

/**
 * Express 5 (or 4), with `express.json()` before the middleware or only on the host's own
 * route; `trustProxy` is the app's `trust proxy` setting.
 */
export function expressHost(options: { jsonFirst: boolean; version?: 4 | 5; trustProxy?: string }): Mount {
  return (email) => {
    const framework = options.version === 4 ? express4 : express
    const app = framework()
    if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy)
    if (options.jsonFirst) app.use(framework.json())
    app.use(emailIntegrationMiddleware(email))
    app.get('/host/ping', (_req, res) => {
      res.json({ pong: true })
    })
    // Without a global parser the host parses here, after the middleware: proof that it left
    // the stream of a request that was not its own unread.
    app.post('/host/echo', framework.json(), (req, res) => {
      res.json({ received: req.body as unknown })
    })
    return listen(createServer(app))
  }
}

/** Fastify 5 whose own JSON parser is not the default one (it tags what it parsed). */
export const fastifyHost: Mount = async (email) => {
  const app = Fastify()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, { ...(JSON.parse(body as string) as object), parsedBy: 'host' })
    } catch (error) {
      done(error as Error, undefined)
    }
  })
  app.addHook('onRequest', async (_request, reply) => {
    await Promise.resolve()
    void reply.header('x-host-hook', 'ran')
  })
  await app.register(emailIntegrationPlugin, { integration: email })
  app.get('/host/ping', () => ({ pong: true }))
  app.post('/host/echo', (request) => ({ received: request.body }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}

async function hostRoutes(req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('content-type', 'application/json')
  if (req.method === 'GET' && req.url === '/host/ping') return void res.end(JSON.stringify({ pong: true }))
  if (req.method === 'POST' && req.url === '/host/echo') {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return void res.end(JSON.stringify({ received: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }))
  }
  res.statusCode = 404
  res.end(JSON.stringify({ message: 'host: no such page' }))
}

/** A plain `node:http` server. */
export const nodeHost: Mount = (email) => {
  const handleEmail = createNodeHandler(email)
  return listen(
    createServer((req, res) => {
      void (async () => {
        if (await handleEmail(req, res)) return
        await hostRoutes(req, res)
      })()
    }),
  )
}
