// Gossip validation of transactions: into the mempool or not relayed.
import { decodeTx } from '../../core/encoding.js'
import type { Transaction } from '../../core/types.js'
import type { Mempool } from '../../mempool/mempool.js'
import type { GossipValidator } from './result.js'

export function txValidator (mempool: Mempool, maxBytes: number, onAccepted?: (tx: Transaction) => void): GossipValidator {
  return async (data) => {
    // [REJECT] larger than the largest valid transaction, malformed or non-canonical bytes
    const tx = decodeTx(data, maxBytes)
    // [REJECT] any stateless or contextual rule (shape, amounts, signatures, spends)
    // [IGNORE] already known, conflicting, missing inputs, fee too low, pool full
    await mempool.accept(tx)
    onAccepted?.(tx)
  }
}
