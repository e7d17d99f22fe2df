import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { format, inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { Secret } from '../../src/secrets/secret.js'

const VALUE = 'sk-live-do-not-print-4242'

/** Everything a real `Console` writes, so the test sees what `console.log` would print. */
function consoleOutput(...args: unknown[]): string {
  let out = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8')
      done()
    },
  })
  const c = new Console({ stdout: sink, stderr: sink, colorMode: false })
  c.log(...args)
  c.error(...args)
  c.dir(args, { depth: null })
  c.table([{ args }])
  return out
}

describe('Secret', () => {
  const secret = new Secret(VALUE)

  it('reveals its value', () => {
    expect(secret.reveal()).toBe(VALUE)
    const bytes = Buffer.from('key bytes')
    expect(new Secret(bytes).reveal()).toBe(bytes)
    const object = { token: VALUE }
    expect(new Secret(object).reveal()).toBe(object)
  })

  it('redacts in JSON.stringify, alone and nested', () => {
    expect(JSON.stringify(secret)).toBe('"[redacted]"')
    const text = JSON.stringify({ config: { key: secret, list: [secret] } })
    expect(text).toBe('{"config":{"key":"[redacted]","list":["[redacted]"]}}')
  })

  it('redacts in String(), concatenation and template literals', () => {
    expect(String(secret)).toBe('[redacted]')
    expect(secret.toString()).toBe('[redacted]')
    expect(`key=${String(secret)}`).toBe('key=[redacted]')
    expect(`key=${secret as unknown as string}`).toBe('key=[redacted]')
    expect('key=' + (secret as unknown as string)).toBe('key=[redacted]')
  })

  it('redacts in util.inspect, alone and nested in objects, arrays and maps', () => {
    expect(inspect(secret)).toBe('Secret [redacted]')
    const nested = { a: { b: { c: secret } }, list: [secret], map: new Map([['k', secret]]) }
    for (const options of [{}, { depth: null }, { depth: Infinity, showHidden: true }, { colors: true, depth: null }]) {
      const shown = inspect(nested, options)
      expect(shown).not.toContain(VALUE)
    }
    expect(inspect(nested, { depth: null })).toContain('c: Secret [redacted]')
    expect(inspect(nested, { depth: null })).toContain("'k' => Secret [redacted]")
  })

  it('redacts in util.format with every placeholder', () => {
    for (const placeholder of ['%o', '%O', '%s', '%j', '%d']) {
      expect(format(placeholder, secret)).not.toContain(VALUE)
      expect(format(placeholder, { nested: { secret } })).not.toContain(VALUE)
    }
    expect(format('%o', { secret })).toContain('Secret [redacted]')
    expect(format('%s', secret)).toContain('[redacted]')
    expect(format('%j', { secret })).toBe('{"secret":"[redacted]"}')
    expect(format(secret)).toBe('Secret [redacted]')
  })

  it('redacts in console output', () => {
    const out = consoleOutput(secret, { config: { key: secret } }, [secret])
    expect(out).toContain('[redacted]')
    expect(out).not.toContain(VALUE)
  })

  it('redacts an Error carrying it', () => {
    const err = Object.assign(new Error('failed'), { key: secret })
    expect(inspect(err)).not.toContain(VALUE)
    expect(inspect(new Error('failed', { cause: secret }))).not.toContain(VALUE)
  })

  it('has no enumerable or reflective way to the value', () => {
    expect(Object.keys(secret)).toEqual([])
    expect(Reflect.ownKeys(secret)).toEqual([])
    expect(Object.assign({}, secret)).toEqual({})
    expect(Object.entries(Object.getOwnPropertyDescriptors(secret))).toEqual([])
    // A clone (postMessage to a worker, a cache) carries no private field, so no value.
    expect(structuredClone(secret)).toEqual({})
  })

  it('is frozen', () => {
    expect(Object.isFrozen(secret)).toBe(true)
    expect(() => {
      ;(secret as unknown as Record<string, unknown>).extra = VALUE
    }).toThrow(TypeError)
  })

  it('redacts Buffer values as well', () => {
    const bytes = Buffer.from('0123456789abcdef0123456789abcdef')
    const key = new Secret(bytes)
    for (const shown of [JSON.stringify({ key }), inspect({ key }, { depth: null }), format('%o', { key }), String(key)]) {
      expect(shown).not.toContain(bytes.toString('base64'))
      expect(shown).not.toContain(bytes.toString('hex'))
      expect(shown).not.toContain('0123456789abcdef')
    }
  })
})

describe('Secret across copies of the class', () => {
  /**
   * A second, separately evaluated copy of the module, as the package's ESM and CommonJS builds
   * each carry one: the query string makes the module loader evaluate the file again.
   */
  const otherCopy = async () => {
    const specifier = '../../src/secrets/secret.ts?other-copy'
    return ((await import(specifier)) as { Secret: typeof Secret }).Secret
  }

  it("accepts the other copy's Secrets as Secrets, both ways, and they still reveal", async () => {
    const Other = await otherCopy()
    expect(Other).not.toBe(Secret)
    const theirs = new Other(VALUE)
    expect(theirs instanceof Secret).toBe(true)
    expect(new Secret(VALUE) instanceof Other).toBe(true)
    expect(theirs.reveal()).toBe(VALUE)
    expect(JSON.stringify({ theirs })).toBe('{"theirs":"[redacted]"}')
  })

  it('refuses copies and look-alikes that are not Secrets', () => {
    const secret = new Secret(VALUE)
    expect(Object.assign({}, secret) instanceof Secret).toBe(false)
    expect(JSON.parse(JSON.stringify({ secret })) instanceof Secret).toBe(false)
    expect({ reveal: () => VALUE } instanceof Secret).toBe(false)
    for (const value of [null, undefined, VALUE, 42] as unknown[]) expect(value instanceof Secret).toBe(false)
  })

  it('keeps the ordinary check for subclasses', () => {
    class Token extends Secret {}
    expect(new Token(VALUE) instanceof Token).toBe(true)
    expect(new Token(VALUE) instanceof Secret).toBe(true)
    expect(new Secret(VALUE) instanceof Token).toBe(false)
  })
})
