import { describe, expect, it } from 'vitest'
import { MAX_BATCH_PARTS, buildBatchRequest, randomBoundary } from '../../src/gmail/batch.js'
import { boundaryOf, parseBatchResponse, requestContentId } from '../../src/gmail/batch-parse.js'
import { ValidationError } from '../../src/errors.js'

describe('buildBatchRequest', () => {
  it('writes multipart/mixed with application/http parts, Content-IDs and CRLF line ends', () => {
    const built = buildBatchRequest(
      [
        { contentId: 'item-a+0', method: 'GET', path: '/gmail/v1/users/me/messages/m1?format=metadata&metadataHeaders=From' },
        { contentId: 'item-a+1', method: 'GET', path: '/gmail/v1/users/me/messages/m2?format=metadata&metadataHeaders=From' },
      ],
      'batch_foobarbaz',
    )
    expect(built.contentType).toBe('multipart/mixed; boundary=batch_foobarbaz')
    expect(built.body).toBe(
      [
        '--batch_foobarbaz',
        'Content-Type: application/http',
        'Content-ID: <item-a+0>',
        '',
        'GET /gmail/v1/users/me/messages/m1?format=metadata&metadataHeaders=From',
        '',
        '--batch_foobarbaz',
        'Content-Type: application/http',
        'Content-ID: <item-a+1>',
        '',
        'GET /gmail/v1/users/me/messages/m2?format=metadata&metadataHeaders=From',
        '',
        '--batch_foobarbaz--',
        '',
      ].join('\r\n'),
    )
  })

  it('refuses an empty batch, more than 50 calls, and ids or paths that would break the framing', () => {
    const part = { contentId: 'x', method: 'GET' as const, path: '/p' }
    expect(() => buildBatchRequest([])).toThrow(ValidationError)
    expect(() => buildBatchRequest(Array.from({ length: MAX_BATCH_PARTS + 1 }, () => part))).toThrow(/1 to 50/)
    expect(buildBatchRequest(Array.from({ length: MAX_BATCH_PARTS }, () => part)).body).toContain('--batch_')
    expect(() => buildBatchRequest([{ ...part, contentId: 'a>b' }])).toThrow(/Content-ID/)
    expect(() => buildBatchRequest([{ ...part, path: '/a b' }])).toThrow(/path/)
  })

  it('uses a fresh random boundary each time', () => {
    expect(randomBoundary()).toMatch(/^batch_[0-9a-f]{24}$/)
    expect(randomBoundary()).not.toBe(randomBoundary())
  })
})

describe('boundaryOf', () => {
  it('reads plain and quoted boundaries, and only from multipart types', () => {
    expect(boundaryOf('multipart/mixed; boundary=batch_pK7JBAk73-E=_AA5eFwv4m2Q=')).toBe('batch_pK7JBAk73-E=_AA5eFwv4m2Q=')
    expect(boundaryOf('multipart/mixed; charset=UTF-8; boundary="quoted boundary"')).toBe('quoted boundary')
    expect(boundaryOf('Multipart/Mixed;Boundary=abc')).toBe('abc')
    expect(boundaryOf('multipart/mixed')).toBeNull()
    expect(boundaryOf('application/json; boundary=abc')).toBeNull()
    expect(boundaryOf(null)).toBeNull()
  })
})

// Google's documented example answer, including its "Content-Type application/json" line
// (no colon) and a JSON body spread over several lines.
const googleExample = [
  '--batch_pK7JBAk73-E=_AA5eFwv4m2Q=',
  'Content-Type: application/http',
  'Content-ID: <response-item1:12930812@barnyard.example.com>',
  '',
  'HTTP/1.1 200 OK',
  'Content-Type application/json',
  'Content-Length: response_part_1_content_length',
  'ETag: "etag/pony"',
  '',
  '{',
  '  "id": "pony",',
  '  "threadId": "t1"',
  '}',
  '',
  '--batch_pK7JBAk73-E=_AA5eFwv4m2Q=',
  'Content-Type: application/http',
  'Content-ID: <response-item2:12930812@barnyard.example.com>',
  '',
  'HTTP/1.1 404 Not Found',
  'Content-Type: application/json; charset=UTF-8',
  '',
  '{"error":{"code":404,"message":"Requested entity was not found.","errors":[{"reason":"notFound"}]}}',
  '--batch_pK7JBAk73-E=_AA5eFwv4m2Q=--',
  '',
]

describe('parseBatchResponse', () => {
  const boundary = 'batch_pK7JBAk73-E=_AA5eFwv4m2Q='

  it("parses Google's documented answer with CRLF line ends", () => {
    const parts = parseBatchResponse(googleExample.join('\r\n'), boundary)
    expect(parts).toHaveLength(2)
    expect(parts[0]).toMatchObject({ contentId: 'response-item1:12930812@barnyard.example.com', status: 200 })
    expect(JSON.parse(parts[0]!.body)).toEqual({ id: 'pony', threadId: 't1' })
    expect(parts[0]!.headers.get('etag')).toBe('"etag/pony"')
    expect(parts[1]!.status).toBe(404)
    expect(JSON.parse(parts[1]!.body)).toMatchObject({ error: { code: 404 } })
  })

  it('parses the same answer with bare LF line ends', () => {
    const parts = parseBatchResponse(googleExample.join('\n'), boundary)
    expect(parts.map((p) => p.status)).toEqual([200, 404])
    expect(JSON.parse(parts[0]!.body)).toEqual({ id: 'pony', threadId: 't1' })
  })

  it('ignores a preamble and an epilogue, and accepts padding after delimiters', () => {
    const text = [
      'This is a preamble that clients ignore.',
      '--b1   ',
      'Content-Type: application/http',
      'Content-ID: <response-x>',
      '',
      'HTTP/1.1 200 OK',
      '',
      '{"id":"x","threadId":"t"}',
      '--b1--\t',
      'epilogue --b1',
      '--b1',
      'not a part',
    ].join('\r\n')
    const parts = parseBatchResponse(text, 'b1')
    expect(parts).toHaveLength(1)
    expect(parts[0]).toMatchObject({ contentId: 'response-x', status: 200, body: '{"id":"x","threadId":"t"}' })
  })

  it('reads extra, folded and oddly-cased headers in the part and the inner response', () => {
    const text = [
      '--b',
      'content-type: application/http',
      'X-Extra: 1',
      'CONTENT-ID:',
      ' <response-folded>',
      '',
      'HTTP/1.1 429 Too Many Requests',
      'Retry-After: 7',
      'X-Google-Thing: a',
      '\tb',
      '',
      '{"error":{"code":429,"message":"Too many concurrent requests for user"}}',
      '--b--',
    ].join('\r\n')
    const [part] = parseBatchResponse(text, 'b')
    expect(part).toMatchObject({ contentId: 'response-folded', status: 429 })
    expect(part!.headers.get('retry-after')).toBe('7')
    expect(part!.headers.get('x-google-thing')).toBe('a b')
  })

  it('keeps the parts of an answer cut short, and marks a part without a status line', () => {
    const text = ['--b', 'Content-ID: <response-1>', '', 'garbage', '--b', 'Content-ID: <response-2>', '', 'HTTP/1.1 200 OK', '', '{"id":"2"}'].join('\n')
    const parts = parseBatchResponse(text, 'b')
    expect(parts.map((p) => [p.contentId, p.status])).toEqual([
      ['response-1', null],
      ['response-2', 200],
    ])
  })

  it('matches response Content-IDs back to request ids', () => {
    expect(requestContentId('response-item-1+3')).toBe('item-1+3')
    expect(requestContentId('item-1+3')).toBe('item-1+3')
  })
})
