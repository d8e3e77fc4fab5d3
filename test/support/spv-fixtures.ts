// Blocks for the SPV history tests: many transactions to one address in one
// block (a coinbase split into n coins, then n one-input payments).
import type { Block, Transaction } from '../../src/core/types.js'
import { txid } from '../../src/core/tx.js'
import { genesisTip, mineBlock, mineChain, spend, tipOf, type Key, type Tip } from '../../bench/support/chain-fixtures.js'

export interface CrowdedChain {
  /** Every block from height 1, in order. */
  blocks: Block[]
  /** The payments to `to`, all in the last block. */
  payments: Transaction[]
  tip: Tip
}

/** Four empty blocks, a block splitting a coinbase into `n` coins, and a block of `n` payments of `amount` to `to`. */
export function crowdedChain (miner: Key, to: Uint8Array, n: number, amount = 1000n): CrowdedChain {
  const { blocks, tip, coinbases } = mineChain(genesisTip(), 4, miner)
  const split = spend([coinbases[0]], Array.from({ length: n }, () => ({ address: miner.address, amount })))
  const b5 = mineBlock(tip, [split], miner, { fees: coinbases[0].amount - amount * BigInt(n) })
  const splitId = txid(split)
  const payments = Array.from({ length: n }, (_, i) => spend([{ txid: splitId, index: i, amount, key: miner }], [{ address: to, amount }]))
  const b6 = mineBlock(tipOf(b5, 5), payments, miner)
  return { blocks: [...blocks, b5, b6], payments, tip: tipOf(b6, 6) }
}
