import { describe, expect, it } from 'vitest'
import { parseDigestWindow } from '../../src/digest/window.js'
import { ValidationError } from '../../src/errors.js'
import { readDateInput } from '../../src/mail/date-input.js'
import { dateRange } from '../../src/mail/filters.js'

const NOW = new Date('2026-06-06T18:00:00Z')

/** The message of the `ValidationError` that `run` throws (anything else fails the test). */
function refusal(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return (error as ValidationError).message
  }
  throw new Error('expected a ValidationError, nothing was thrown')
}

describe('dates as callers type them', () => {
  it('reads calendar dates and zoned date-times', () => {
    expect(readDateInput('2026-06-01')).toEqual({ kind: 'date', ms: Date.UTC(2026, 5, 1) })
    expect(readDateInput('2024-02-29')).toEqual({ kind: 'date', ms: Date.UTC(2024, 1, 29) })
    expect(readDateInput('2000-02-29')?.kind).toBe('date')
    expect(readDateInput('0001-01-01')?.ms).toBe(Date.parse('0001-01-01T00:00:00Z'))
    expect(readDateInput('2026-06-01T09:30Z')).toEqual({ kind: 'instant', ms: Date.UTC(2026, 5, 1, 9, 30) })
    expect(readDateInput('2026-06-01T09:30:15.5+02:00')).toEqual({ kind: 'instant', ms: Date.UTC(2026, 5, 1, 7, 30, 15, 500) })
    expect(readDateInput('2026-12-31T23:59:59-23:59')?.kind).toBe('instant')
  })

  it('refuses what is not on the calendar or the clock, which Date.parse would roll over or turn into NaN', () => {
    for (const text of [
      '2026-13-01', '2026-00-10', '2026-02-30', '2026-02-29', '1900-02-29', '2026-04-31', '2026-06-00', '2026-06-32',
      '2026-13-01T00:00Z', '2026-02-30T10:00Z', '2026-04-31T00:00:00Z', '2026-06-01T24:00Z', '2026-06-01T23:60Z',
      '2026-06-01T23:59:60Z', '2026-06-01T10:00+24:00', '2026-06-01T10:00+05:60', '2026-06-01T10:00', '2026-6-1',
      ' 2026-06-01', '2026-06-01 ', '+02026-06-01', '２０２６-06-01', '', 'yesterday', '1780272000000',
    ]) {
      expect(readDateInput(text), text).toBeNull()
    }
  })

  it('refuses a thread-list range that holds no instant: from after to, or from where to ends', () => {
    expect(dateRange('2026-06-01', '2026-06-01')).toEqual({ from: '2026-06-01T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' })
    // `to` as a date takes its whole day, so from the next day on nothing is left.
    expect(refusal(() => dateRange('2026-06-02', '2026-06-01'))).toBe('from: must be before to')
    expect(refusal(() => dateRange('2026-06-05', '2026-06-01'))).toBe('from: must be before to')
    expect(refusal(() => dateRange('2026-06-01T10:00Z', '2026-06-01T10:00Z'))).toBe('from: must be before to')
    expect(refusal(() => dateRange('2026-06-01T12:00+02:00', '2026-06-01T09:00Z'))).toBe('from: must be before to')
    expect(dateRange('2026-06-01T12:00+02:00', '2026-06-01T10:01Z').from).toBe('2026-06-01T10:00:00.000Z')
    expect(refusal(() => dateRange('2026-02-30', undefined))).toMatch(/^from: expected a date .* got "2026-02-30"$/)
    expect(refusal(() => dateRange(undefined, '2026-13-01T00:00Z'))).toMatch(/^to: expected a date/)
  })

  it('answers every bad digest window with a ValidationError naming the field, never another error', () => {
    const hostile: [unknown, RegExp][] = [
      [{ since: '2026-13-01' }, /^since: expected a date .* got "2026-13-01"$/],
      [{ since: '2026-00-10' }, /^since: expected a date/],
      [{ since: '2026-02-30' }, /^since: expected a date/],
      [{ since: '2026-02-30T10:00Z' }, /^since: expected a date/],
      [{ since: '2026-06-01T25:00Z' }, /^since: expected a date/],
      [{ since: 20260601 }, /^since: expected a date .* got 20260601$/],
      [{ since: ['2026-06-01'] }, /^since: expected a date .* got \["2026-06-01"\]$/],
      [{ since: { toString: 1 } }, /^since: expected a date .* got \{"toString":1\}$/],
      [{ since: true }, /^since: expected a date .* got true$/],
      [{ since: '2027-01-01' }, /^since: must not be in the future$/],
      [{ hours: { toString: 1 } }, /^hours: expected an integer from 1 to 720, got \{"toString":1\}$/],
      [{ hours: { valueOf: () => 24, toString: null } }, /^hours: expected an integer/],
      [{ hours: [24] }, /^hours: expected an integer/],
      [{ hours: 0 }, /^hours: expected an integer .* got 0$/],
      [{ hours: -1 }, /^hours: expected an integer/],
      [{ hours: 721 }, /^hours: expected an integer .* got 721$/],
      [{ hours: 1.5 }, /^hours: expected an integer/],
      [{ hours: Number.NaN }, /^hours: expected an integer/],
      [{ hours: Number.POSITIVE_INFINITY }, /^hours: expected an integer/],
      [{ hours: '1e3' }, /^hours: expected an integer/],
      [{ hours: 'x'.repeat(10_000) }, /^hours: expected an integer .*…"$/],
      [{ hours: 24, since: '2026-06-01' }, /^hours, since: give one of them, not both$/],
      [{}, /^hours or since: required$/],
      [null, /^window: expected/],
      [[], /^window: expected/],
    ]
    for (const [input, message] of hostile) {
      expect(refusal(() => parseDigestWindow(input, NOW, 'Europe/Berlin')), JSON.stringify(input)).toMatch(message)
    }
    expect(parseDigestWindow({ since: '2026-06-01' }, NOW, 'Europe/Berlin').from).toBe('2026-05-31T22:00:00.000Z')
    expect(parseDigestWindow({ since: '2026-06-01T10:00+02:00' }, NOW, 'UTC').from).toBe('2026-06-01T08:00:00.000Z')
    expect(parseDigestWindow({ hours: '720' }, NOW, 'UTC').from).toBe('2026-05-07T18:00:00.000Z')
  })
})
