// Node code says what it refuses (NodeError kinds); the API alone turns that
// into HTTP status codes, in one table.
import { describe, expect, it } from 'vitest'
import { errorResponse } from '../../src/api/respond.js'
import { NodeError } from '../../src/node/errors.js'

describe('NodeError → HTTP', () => {
  it.each([
    ['invalid', 400, false],
    ['conflict', 409, false],
    ['not-found', 404, false],
    ['unavailable', 503, true]
  ] as const)('%s is answered with %i and its own code', (kind, status, internal) => {
    const r = errorResponse(new NodeError(kind, 'some-code', 'why'))
    expect(r).toEqual({ status, body: { error: { code: 'some-code', message: 'why' } }, internal })
  })
})
