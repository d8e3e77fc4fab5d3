// Block templates: a coinbase paying reward + fees to the miner, then pending
// transactions by package fee rate up to the block size limit.
import { computeMerkleRoot } from '../core/block.js'
import { concatBytes, u32le } from '../core/bytes.js'
import { expectedBits, timewarpFloor } from '../core/contextual.js'
import { blockReward } from '../core/params.js'
import { txSize } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import type { Mempool } from '../mempool/mempool.js'

const COINBASE_TAG = new TextEncoder().encode('/minicoin/')

export interface Template {
  block: Block
  height: number
  fees: bigint
  /** Tip the template builds on, to notice when it is stale. */
  parentHash: string
}

function u64le (n: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n, true)
  return b
}

export function buildTemplate (chain: Chain, mempool: Mempool | undefined, payTo: Uint8Array, extraNonce: bigint, nowSeconds: number): Template {
  const p = chain.params
  const parent = chain.tip
  const height = parent.height + 1
  const coinbaseData = concatBytes(u32le(height), u64le(extraNonce), COINBASE_TAG)
  const provisional: Transaction = { version: 1, inputs: [], outputs: [{ amount: blockReward(height, p), address: payTo }], lockTime: 0, coinbase: coinbaseData }
  // leave room for the coinbase growing with fees (amount varint) and the header
  const room = p.maxBlockSize - 80 - txSize(provisional) - 16
  const picked = mempool?.selectForBlock(room) ?? []
  let fees = 0n
  for (const e of picked) fees += e.fee
  const coinbase: Transaction = { ...provisional, outputs: [{ amount: blockReward(height, p) + fees, address: payTo }] }
  const lookup = { ancestor: (h: number) => chain.index.ancestor(parent, h).header }
  const block: Block = {
    header: {
      version: 1,
      prevHash: parent.hash,
      merkleRoot: new Uint8Array(32),
      // the local clock, unless consensus needs later: after the median time
      // past, and at a retarget boundary no earlier than the timewarp floor
      time: Math.max(nowSeconds, chain.medianTimePast() + 1, timewarpFloor(height, lookup, p)),
      bits: expectedBits(height, lookup, p),
      nonce: 0
    },
    transactions: [coinbase, ...picked.map(e => e.tx)]
  }
  block.header.merkleRoot = computeMerkleRoot(block)
  return { block, height, fees, parentHash: parent.hashHex }
}
