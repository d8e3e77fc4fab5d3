// How many blocks one sync request asks for: bounded by the bytes and, since
// a decoded transaction costs ~20x its wire bytes in heap, by transactions.
import { describe, expect, it } from 'vitest'
import { ReplySizer } from '../../src/p2p/download-pacing.js'
import { genesisTip, mineBlock, mineChain, newKey, spend } from '../../bench/support/chain-fixtures.js'
import type { Block } from '../../src/core/types.js'

const miner = newKey()
const key = newKey()
const mined = mineChain(genesisTip(), 1, miner)
const coin = mined.coinbases[0]

/** A block of `txCount` one-input, one-output transactions (plus the coinbase); their signatures are not checked here. */
function blockOf (txCount: number): Block {
  const txs = []
  let prev = coin
  for (let i = 0; i < txCount; i++) {
    const tx = spend([prev], [{ address: key.address, amount: prev.amount - 1n }])
    txs.push(tx)
    prev = { txid: new Uint8Array(32).fill(i % 256), index: 0, amount: prev.amount - 1n, key: prev.key }
  }
  return mineBlock(mined.tip, txs, miner, { fees: BigInt(txCount) })
}

describe('ReplySizer', () => {
  it('asks for two blocks before it knows their size', () => {
    expect(new ReplySizer(16).count).toBe(2)
  })

  it('fills blocksPerReply with small blocks', () => {
    const s = new ReplySizer(16)
    s.note(Array.from({ length: 4 }, () => blockOf(1)))
    expect(s.count).toBe(16)
  })

  it('asks for at most 2,000 transactions of blocks at once, whatever their bytes', () => {
    const s = new ReplySizer(16)
    // 500 small transactions a block: ~100 KB, so 1 MiB would be ~10 blocks
    s.note([blockOf(500), blockOf(500)])
    expect(s.count).toBe(3) // 2,000 / 501
  })

  it('asks for one block when one block holds more than the target', () => {
    const s = new ReplySizer(16)
    s.note([blockOf(2500)])
    expect(s.count).toBe(1)
  })
})
