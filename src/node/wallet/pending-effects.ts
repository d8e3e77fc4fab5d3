// The mempool's effect on the node wallet: what pending transactions add to
// or take from it, and which of them are wholly ours (their outputs are our
// change and may be spent before they confirm).
import { toHex } from '../../core/bytes.js'
import type { Transaction } from '../../core/types.js'
import type { Mempool } from '../../mempool/mempool.js'
import { outpoint, type WalletCoin } from './records.js'

type IsMine = (address: Uint8Array) => boolean

/** Net effect of one pending transaction on the wallet (inputs from our coins or from our outputs in the mempool). */
export function pendingEffect (tx: Transaction, coins: ReadonlyMap<string, WalletCoin>, mempool: Mempool, isMine: IsMine): bigint {
  let delta = 0n
  for (const input of tx.inputs) {
    const c = coins.get(outpoint(input.prevTxid, input.prevIndex))
    if (c !== undefined) delta -= c.amount
    else {
      const parent = mempool.get(toHex(input.prevTxid))
      const out = parent?.tx.outputs[input.prevIndex]
      if (out !== undefined && isMine(out.address)) delta -= out.amount
    }
  }
  for (const o of tx.outputs) if (isMine(o.address)) delta += o.amount
  return delta
}

/**
 * Pending transactions whose every input is ours: a coin of ours or an
 * output of another such transaction. Computed by passes to a fixpoint
 * (no recursion over the mempool's graph).
 */
export function ownPending (coins: ReadonlyMap<string, WalletCoin>, mempool: Mempool, isMine: IsMine): Set<string> {
  const own = new Set<string>()
  let changed = true
  while (changed) {
    changed = false
    for (const e of mempool.entries.values()) {
      if (own.has(e.txidHex) || e.tx.inputs.length === 0) continue
      const allOurs = e.tx.inputs.every(i => {
        if (coins.has(outpoint(i.prevTxid, i.prevIndex))) return true
        const parentHex = toHex(i.prevTxid)
        const out = mempool.get(parentHex)?.tx.outputs[i.prevIndex]
        return out !== undefined && own.has(parentHex) && isMine(out.address)
      })
      if (allOurs) { own.add(e.txidHex); changed = true }
    }
  }
  return own
}
