// Penalty amounts live in one table (src/p2p/peer-actions.ts): every action
// costs something, no other source file passes a number to penalize or
// defines points, and the call sites that moved to named actions charge
// what they charged before (the amounts below are the ones the literals and
// the light client's former SPV_PENALTIES table had).
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DecodeError, ValidationError } from '../../src/core/errors.js'
import { PeerAction } from '../../src/p2p/peer-actions.js'
import { InvalidRequestError } from '../../src/p2p/rpc.js'
import { headersPenalty } from '../../src/p2p/block-fetcher.js'
import { decodeVerdict, headersVerdict, penalty, penaltyOf, proofsVerdict, spvAction, type SpvFault, type SpvVerdict } from '../../src/spv/spv-verdicts.js'

const SRC = join(import.meta.dirname, '../../src')
const TABLE = 'p2p/peer-actions.ts'

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

/** `file:line: text` of each match of `re` in the source files outside the table. */
function matchesOutsideTable (re: RegExp): string[] {
  const found: string[] = []
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path)
    if (file === TABLE) continue
    const text = readFileSync(path, 'utf8')
    for (const m of text.matchAll(re)) {
      const line = text.slice(0, m.index).split('\n').length
      found.push(`${file}:${line}: ${m[0].replace(/\s+/g, ' ')}`)
    }
  }
  return found
}

function pointsOf (v: SpvVerdict | undefined): number | 'ban' | undefined {
  if (v === undefined) return undefined
  return v.kind === 'ban' ? 'ban' : penaltyOf(v).action.points
}

describe('the penalty table', () => {
  it('gives every action positive, whole points and a distinct name', () => {
    const actions = Object.values(PeerAction)
    expect(actions.length).toBeGreaterThan(0)
    for (const a of actions) {
      expect(Number.isInteger(a.points), a.name).toBe(true)
      expect(a.points, a.name).toBeGreaterThan(0)
      expect(a.name).toMatch(/^[a-z]+(-[a-z]+)*$/)
    }
    expect(new Set(actions.map(a => a.name)).size).toBe(actions.length)
  })

  it('is the only source file that passes a number to penalize or defines points', () => {
    const scanned = sourceFiles(SRC).length
    expect(scanned).toBeGreaterThan(20)
    expect([
      // penalize(peer, 50, ...), penalize(peer.toString(), -5), penalize(peer, 2 * n), across line breaks too
      ...matchesOutsideTable(/penalize\s*\(\s*[^,]+,\s*[-+(]*\s*\d/g),
      // a second table: { points: 20 }, or a FOO_PENALTIES = { ... }
      ...matchesOutsideTable(/\bpoints\s*:\s*[-+]?\d/g),
      ...matchesOutsideTable(/[A-Z_]*PENALT[A-Z_]*\s*=\s*[{[]/g),
      // a helper that takes raw points on the way to penalize (distrust(state, points: number, ...))
      ...matchesOutsideTable(/\b(points|penalty)\s*\??\s*:\s*number\b/g)
    ]).toEqual([])
  })
})

describe('named actions charge what the literals did', () => {
  it('full-node header sync: invalid 100, low-work flood 50, other refused headers 10, under the same reason labels', () => {
    const charged = (err: ValidationError): [number, string] => { const p = headersPenalty(err); return [p.action.points, p.reason] }
    expect(charged(new ValidationError('bad-pow', 'x'))).toEqual([100, 'sync-bad-pow'])
    expect(charged(new ValidationError('headers-low-work', 'x', 'ignore'))).toEqual([50, 'sync-low-work-headers'])
    expect(charged(new ValidationError('header-orphan', 'x', 'ignore'))).toEqual([10, 'sync-header-orphan'])
    expect(PeerAction.HEADERS_NOT_DELIVERED.points).toBe(20)
    expect(PeerAction.UNEXPECTED_REPLY.points).toBe(20)
    expect(PeerAction.UNPROVEN_WORK.points).toBe(10)
    expect(PeerAction.MALFORMED_REPLY.points).toBe(50) // sync-bad-response
    expect(PeerAction.UNREQUESTED_BLOCK.points).toBe(50)
    expect(PeerAction.INVALID_BLOCK.points).toBe(100)
    expect(new InvalidRequestError('x').action).toBe(PeerAction.INVALID_REQUEST)
  })

  it('light client: each fault costs what SPV_PENALTIES said, under the same reason label', () => {
    const before: Record<SpvFault, number> = {
      'unexpected-reply': 20,
      'headers-not-connecting': 20,
      'unrequested-proof': 10,
      'empty-page': 50,
      'history-out-of-order': 50,
      'omitted-history': 50,
      'low-work-headers': 50,
      'unknown-tip': 20
    }
    for (const [fault, points] of Object.entries(before) as Array<[SpvFault, number]>) {
      expect(spvAction(fault).points, fault).toBe(points)
      expect(penaltyOf(penalty(fault, 'd'))).toEqual({ action: { name: spvAction(fault).name, points }, reason: `spv-${fault}` })
    }
  })

  it('light client verdicts: invalid data bans, confusion costs points, the rest nothing', () => {
    expect(decodeVerdict(new DecodeError('bad-encoding', 'garbage'))).toMatchObject({ kind: 'ban', reason: 'spv-bad-response' })
    expect(headersVerdict(new ValidationError('bad-pow', 'x'))).toMatchObject({ kind: 'ban', reason: 'spv-bad-pow' })
    expect(pointsOf(headersVerdict(new ValidationError('header-orphan', 'x', 'ignore')))).toBe(20)
    expect(pointsOf(headersVerdict(new ValidationError('headers-low-work', 'x', 'ignore')))).toBe(50)
    expect(headersVerdict(new ValidationError('time-too-new', 'x', 'ignore'))).toBeUndefined()
    expect(pointsOf(proofsVerdict(new ValidationError('bad-merkle', 'x'), 3))).toBe('ban')
    expect(pointsOf(proofsVerdict(undefined, 3))).toBe(30) // per unrequested proof
    expect(proofsVerdict(undefined, 0)).toBeUndefined()
  })
})
