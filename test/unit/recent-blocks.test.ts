import { describe, expect, it } from 'vitest'
import type { Block } from '../../src/core/types.js'
import { RecentBlocks } from '../../src/node/wallet/recent-blocks.js'

/** A stand-in block: only its transaction count matters to the cache. */
function blockOf (txs: number): Block {
  return { transactions: new Array(txs).fill(null) } as unknown as Block
}

describe('the node wallet\'s recent blocks', () => {
  it('keeps at most its block bound, dropping the oldest first', () => {
    const r = new RecentBlocks(3, 1_000)
    for (let i = 0; i < 5; i++) r.add(`b${i}`, blockOf(1))
    expect(r.size).toEqual({ blocks: 3, txs: 3 })
    expect(r.get('b0')).toBeUndefined()
    expect(r.get('b1')).toBeUndefined()
    expect(r.get('b4')).toBeDefined()
  })

  it('keeps at most its transaction bound, but always the newest block even when it alone is larger', () => {
    const r = new RecentBlocks(64, 100)
    r.add('a', blockOf(60))
    r.add('b', blockOf(30))
    expect(r.size).toEqual({ blocks: 2, txs: 90 })
    r.add('c', blockOf(20))
    expect(r.get('a')).toBeUndefined()
    expect(r.size).toEqual({ blocks: 2, txs: 50 })
    r.add('huge', blockOf(500))
    expect(r.size).toEqual({ blocks: 1, txs: 500 })
    expect(r.get('huge')).toBeDefined()
  })

  it('counts a block connected again (after a reorg) once', () => {
    const r = new RecentBlocks(64, 100)
    r.add('a', blockOf(40))
    r.add('a', blockOf(40))
    r.add('b', blockOf(40))
    expect(r.size).toEqual({ blocks: 2, txs: 80 })
    expect(r.get('a')).toBeDefined()
    r.clear()
    expect(r.size).toEqual({ blocks: 0, txs: 0 })
  })
})
