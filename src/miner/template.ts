// Block templates: a coinbase paying reward + fees to the miner, then pending
// transactions by package fee rate up to the block size limit.
import { computeMerkleRoot } from '../core/block.js'
import { concatBytes, u32le } from '../core/bytes.js'
import { expectedBits, timewarpFloor } from '../core/contextual.js'
import { blockReward } from '../core/params.js'
import { fieldBytes, MAX_HEADER_FIELD_BYTES } from '../core/encoding.js'
import { txSize } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import type { Mempool, MempoolEntry } from '../mempool/mempool.js'

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
  // the block limit counts the block's encoding: the header field at its
  // largest (nonce and time change while mining), the coinbase field with
  // room for its amount varint growing by the fees, then one field per tx
  const room = p.maxBlockSize - MAX_HEADER_FIELD_BYTES - fieldBytes(txSize(provisional) + 8)
  const picked = mempool === undefined ? [] : pickTransactions(mempool, room)
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

/**
 * Transactions whose block fields fit in `room` bytes. The mempool selects by
 * transaction bytes, best package fee rate first; each transaction's field
 * adds its tag and length varint (2 to 4 bytes), so the lowest-rate tail of
 * the selection is dropped until the fields fit. Children always follow their
 * parents, so the tail never holds a parent of what stays; the gap left is
 * less than the last transaction dropped. One selection pass, as before.
 */
function pickTransactions (mempool: Mempool, room: number): MempoolEntry[] {
  const picked = mempool.selectForBlock(room)
  let size = 0
  for (const e of picked) size += fieldBytes(e.size)
  while (size > room && picked.length > 0) size -= fieldBytes(picked.pop()!.size)
  return picked
}
