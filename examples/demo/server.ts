import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import express from 'express'
import type { EmailHttpHandler } from 'crm-email-integration/express'
import { emailIntegrationMiddleware } from 'crm-email-integration/express'
import { SIGN_IN_COOKIE, signedIn, type DemoPerson } from './people.js'

/** The Communications page: static files served as they are, with no build step. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

/**
 * The page loads only its own files and talks only to its own origin. Message bodies are shown
 * as text, so nothing from a message can run here even if a future view forgot to escape it.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** What the page's search offers: its modes (the default first) and who embeds (`GET /demo/search`). */
export interface DemoSearchInfo {
  readonly modes: readonly string[]
  readonly embeddings: string
}

const KEYWORD_SEARCH: DemoSearchInfo = { modes: ['keyword'], embeddings: 'none (keyword search only)' }

/**
 * The demo CRM's web app: the integration's routes, the page, and the demo's own sign-in
 * (`GET /demo/search`: the search modes offered; `GET /demo/people`: who the visitor is and who they may be; `POST /demo/sign-in {email}`:
 * become one of `people`, stored in a cookie the demo's `authenticate` reads).
 */
export function createDemoApp(email: EmailHttpHandler, people: readonly DemoPerson[], search: DemoSearchInfo = KEYWORD_SEARCH): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    next()
  })
  app.get('/demo/people', (req, res) => {
    res.json({ signedInAs: signedIn(people, req.headers.cookie)?.email ?? null, people })
  })
  app.get('/demo/search', (_req, res) => {
    res.json(search)
  })
  app.post('/demo/sign-in', express.json({ limit: '2kb' }), (req, res) => {
    const chosen = (req.body as { email?: unknown } | undefined)?.email
    const person = typeof chosen === 'string' ? people.find((p) => p.email === chosen.trim().toLowerCase()) : undefined
    if (person === undefined) {
      res.status(400).json({ error: { code: 'validation', message: 'email: expected the admin or a teammate of this demo' } })
      return
    }
    res.cookie(SIGN_IN_COOKIE, person.email, { httpOnly: true, sameSite: 'strict', path: '/' })
    res.json({ signedInAs: person.email })
  })
  app.use(emailIntegrationMiddleware(email))
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }))
  return app
}

/** Listens on 127.0.0.1 only: the demo lets every visitor sign in as its admin or any teammate. */
export async function listen(app: express.Express, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${bound}/` }
}

/** Stops accepting connections and ends idle keep-alive ones so the process can exit. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => { resolve() }))
  server.closeIdleConnections()
  setTimeout(() => { server.closeAllConnections() }, 2000).unref()
  await closed
}
