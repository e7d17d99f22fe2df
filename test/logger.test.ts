import { Writable } from 'node:stream'
import { format } from 'node:util'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import winston from 'winston'
import Transport from 'winston-transport'
import { createEmailIntegration } from '../src/create-email-integration.js'
import type { Logger } from '../src/hooks.js'
import { toLogSink } from '../src/logger.js'
import { openSqlite, type TestDatabase } from './helpers/databases.js'
import { generateServiceAccount } from './helpers/token-server.js'

/** A pino logger writing JSON lines into an array. */
function capturedPino(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    },
  })
  const logger = pino({ level: 'debug' }, stream)
  const lines = () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { logger, lines }
}

/** The `info` objects a winston logger hands its transports. */
class CaptureTransport extends Transport {
  readonly infos: Record<string, unknown>[] = []

  override log(info: Record<string, unknown>, next: () => void): void {
    this.infos.push(info)
    next()
  }
}

function capturedWinston(formatter = winston.format.json()): { logger: winston.Logger; infos: Record<string, unknown>[] } {
  const transport = new CaptureTransport()
  const logger = winston.createLogger({ level: 'debug', format: formatter, transports: [transport] })
  return { logger, infos: transport.infos }
}

let database: TestDatabase | null = null
afterEach(async () => {
  vi.restoreAllMocks()
  await database?.close()
  database = null
})

/** An integration on a fresh SQLite file that logs to `logger`; enrolling an account logs one line. */
async function enrollWith(logger: Logger): Promise<void> {
  database = await openSqlite()
  const email = createEmailIntegration({ db: database.db, config: { authMethod: 'oauth' }, directory: () => Promise.resolve([]), logger })
  await email.migrate()
  await email.accounts.enroll('ann@fund.example')
  await email.close()
}

describe('the logger option takes pino’s argument order', () => {
  it('pino: the fields and the message of a library line both arrive', async () => {
    const { logger, lines } = capturedPino()
    await enrollWith(logger)
    expect(lines()).toContainEqual(expect.objectContaining({
      level: 30,
      msg: 'email account enrolled',
      account: 'ann@fund.example',
      authMethod: 'oauth',
    }))
  })

  it('winston 3: recognised and called message first, so the message and the fields arrive', async () => {
    const { logger, infos } = capturedWinston()
    await enrollWith(logger)
    expect(infos).toContainEqual(expect.objectContaining({
      level: 'info',
      message: 'email account enrolled',
      account: 'ann@fund.example',
      authMethod: 'oauth',
    }))
  })

  it('winston 3 called fields first would lose the message: the reason it is recognised', () => {
    const { logger, infos } = capturedWinston()
    logger.info({ account: 'ann@fund.example' } as unknown as string, 'email account enrolled')
    expect(infos[0]?.message).toEqual({ account: 'ann@fund.example' })
    expect(JSON.stringify(infos[0])).not.toContain('email account enrolled')
  })

  it('winston 3 child loggers and the splat format are recognised too', () => {
    const { logger, infos } = capturedWinston(winston.format.combine(winston.format.splat(), winston.format.json()))
    const sink = toLogSink(logger.child({ service: 'crm' }))
    sink.warn({ account: 'ann@fund.example', attempt: 2 }, 'Gmail call failed; retrying')
    expect(infos).toEqual([expect.objectContaining({
      level: 'warn',
      message: 'Gmail call failed; retrying',
      service: 'crm',
      account: 'ann@fund.example',
      attempt: 2,
    })])
  })

  it('console: console.info(fields, message) prints both', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined)
    await enrollWith(console)
    const call = info.mock.calls.find((args) => args[1] === 'email account enrolled')
    expect(call).toEqual([{ account: 'ann@fund.example', authMethod: 'oauth' }, 'email account enrolled'])
    const printed = format(...(call ?? []))
    expect(printed).toContain('ann@fund.example')
    expect(printed).toContain('email account enrolled')
  })

  it('a logger with only some levels is silent at the others', () => {
    const lines: string[] = []
    const sink = toLogSink({ error: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`) })
    sink.debug({ a: 1 }, 'not heard')
    sink.info({ a: 1 }, 'not heard')
    sink.warn({ a: 1 }, 'not heard')
    sink.error({ a: 1 }, 'heard')
    expect(lines).toEqual(['heard {"a":1}'])
    expect(() => { toLogSink(undefined).error({}, 'nowhere') }).not.toThrow()
  })
})

describe('log lines never carry a credential or key text', () => {
  const { privateKeyPem } = generateServiceAccount()
  const fields = {
    error: 'POST https://crm-bot:S3cr3t-Pa55word@llm.example/v1/chat/completions?api_key=tok-9Kq2xLm7Zp failed',
    nested: { urls: ['http://127.0.0.1:6333/?access_token=at-4Hq8Zr2Lw'], key: privateKeyPem },
    attempt: 2,
  }
  const secrets = ['S3cr3t-Pa55word', 'tok-9Kq2xLm7Zp', 'at-4Hq8Zr2Lw', ...privateKeyPem.split('\n').slice(1, -2)]

  it('pino, winston and console all receive the fields redacted', () => {
    const p = capturedPino()
    toLogSink(p.logger).warn(fields, 'summarizer failed')
    const w = capturedWinston()
    toLogSink(w.logger).warn(fields, 'summarizer failed')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    toLogSink(console).warn(fields, 'summarizer failed')

    const outputs = [JSON.stringify(p.lines()), JSON.stringify(w.infos), format(...(warn.mock.calls[0] ?? []))]
    for (const output of outputs) {
      expect(output).toContain('summarizer failed')
      expect(output).toContain('https://[redacted]@llm.example/v1/chat/completions?api_key=[redacted] failed')
      expect(output).toContain('access_token=[redacted]')
      for (const secret of secrets) expect(output).not.toContain(secret)
    }
    const line = p.lines()[0] as { attempt?: number; nested?: { key?: string } } | undefined
    expect(line?.attempt).toBe(2)
    expect(line?.nested?.key?.trim()).toBe('[redacted]')
    // The caller's object is not changed.
    expect(fields.nested.key).toBe(privateKeyPem)
  })
})
