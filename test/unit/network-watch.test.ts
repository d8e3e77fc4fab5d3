// The network view's record of what peers claim and when they announced
// blocks: bounded whatever peers send, only for blocks whose header we
// accepted, first arrival kept; and how a claimed chain relates to ours.
import { describe, expect, it } from 'vitest'
import { NetworkWatch } from '../../src/node/network-watch.js'
import { agreementOf, type ChainLookup } from '../../src/node/network-view.js'

const hash = (n: number): string => n.toString(16).padStart(64, '0')

describe('NetworkWatch', () => {
  const limits = { blocks: 4, peersPerBlock: 3, claims: 5 }

  it('records arrivals only for known blocks, keeps each peer\'s first and bounds blocks and peers per block', () => {
    const known = new Set([1, 2, 3, 4, 5, 6].map(hash))
    const w = new NetworkWatch(h => known.has(h), limits)
    w.noteArrival(hash(99), 'p1', 'block', 1000) // unknown header: nothing
    expect(w.recent()).toEqual([])
    w.noteArrival(hash(1), 'p1', 'block', 1000)
    w.noteArrival(hash(1), 'p1', 'header', 900) // an earlier report of the same peer wins
    w.noteArrival(hash(1), 'p1', 'status', 5000)
    expect(w.recent()[0].peers.get('p1')).toEqual({ at: 900, via: 'header' })
    for (let i = 2; i <= 10; i++) w.noteArrival(hash(1), `p${i}`, 'block', 1000 + i)
    expect(w.recent()[0].peers.size).toBe(3)
    for (let b = 2; b <= 6; b++) w.noteArrival(hash(b), 'p1', 'block', 2000 + b)
    expect(w.recent().map(b => b.hash)).toEqual([3, 4, 5, 6].map(hash))
  })

  it('keeps the statuses of a bounded number of peers, least recently heard dropped first', () => {
    const w = new NetworkWatch(() => false, limits)
    for (let i = 0; i < 50; i++) w.noteClaim(`peer${i}`, { height: i, tip: hash(1000 + i), work: BigInt(i) }, 1000 + i)
    expect(w.claimants()).toEqual(['peer45', 'peer46', 'peer47', 'peer48', 'peer49'])
    w.noteClaim('peer45', { height: 45, tip: hash(1045), work: 45n }, 9000)
    expect(w.claim('peer45')).toMatchObject({ since: 1045, heardAt: 9000 })
    expect(w.claimants().at(-1)).toBe('peer45')
    w.noteClaim('peer45', { height: 46, tip: hash(1046), work: 46n }, 9500)
    expect(w.claim('peer45')).toMatchObject({ height: 46, since: 9500 })
  })

  it('turns a status naming a known tip into an arrival, and fills in earlier claims when the block becomes known', () => {
    const known = new Set<string>()
    const w = new NetworkWatch(h => known.has(h), limits)
    w.noteClaim('fast', { height: 7, tip: hash(7) }, 1000)
    expect(w.recent()).toEqual([])
    known.add(hash(7))
    w.noteLocal(hash(7), 'connected', 1500)
    w.noteClaim('slow', { height: 7, tip: hash(7) }, 2500)
    const [b] = w.recent()
    expect(b.local).toEqual({ at: 1500, how: 'connected' })
    expect([...b.peers]).toEqual([['fast', { at: 1000, via: 'status' }], ['slow', { at: 2500, via: 'status' }]])
    w.noteLocal(hash(7), 'mined', 1600)
    expect(w.recent()[0].local).toEqual({ at: 1500, how: 'mined' })
  })
})

describe('agreementOf', () => {
  const entries = new Map([[hash(10), { height: 10, time: 0, active: true }], [hash(8), { height: 8, time: 0, active: true }], [hash(81), { height: 8, time: 0, active: false }]])
  const chain: ChainLookup = {
    self: { peerId: 'me', role: 'full', height: 10, tip: hash(10), work: 100n },
    entry: h => entries.get(h),
    tree: () => []
  }
  it('compares a claimed tip with this node\'s chain', () => {
    expect(agreementOf({ height: 10, tip: hash(10), work: 100n }, chain)).toEqual({ agreement: 'same-tip' })
    expect(agreementOf({ height: 8, tip: hash(8), work: 80n }, chain)).toEqual({ agreement: 'behind', behindBy: 2 })
    expect(agreementOf({ height: 8, tip: hash(81), work: 80n }, chain)).toEqual({ agreement: 'forked' })
    expect(agreementOf({ height: 11, tip: hash(11), work: 110n }, chain)).toEqual({ agreement: 'ahead' })
    expect(agreementOf({ height: 11, tip: hash(11), work: 90n }, chain)).toEqual({ agreement: 'unknown' })
    // only a height (what an SPV node learns of its peers)
    expect(agreementOf({ height: 7 }, chain)).toEqual({ agreement: 'behind', behindBy: 3 })
    expect(agreementOf({ height: 12 }, chain)).toEqual({ agreement: 'ahead' })
    expect(agreementOf({}, chain)).toEqual({ agreement: 'unknown' })
  })
})
