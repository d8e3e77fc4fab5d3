// Gossip validation of transactions: into the mempool or not relayed.
import { decodeTx } from '../../core/encoding.js'
import type { Transaction } from '../../core/types.js'
import type { Mempool } from '../../mempool/mempool.js'
import { accept, outcomeOfError, type GossipValidator } from './result.js'

export function txValidator (mempool: Mempool, maxBytes: number, onAccepted?: (tx: Transaction) => void): GossipValidator {
  return async (data) => {
    try {
      // [REJECT] oversized, malformed or non-canonical bytes
      const tx = decodeTx(data, maxBytes)
      // [REJECT] invalid; [IGNORE] known, conflicting, missing inputs, low fee, pool full
      await mempool.accept(tx)
      onAccepted?.(tx)
      return accept()
    } catch (err) {
      return outcomeOfError(err)
    }
  }
}
