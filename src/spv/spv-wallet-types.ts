// The light wallet's shapes: what it shows (coins, balance, history), its
// options and events, and its one error.
import type { NetworkParams } from '../core/params.js'
import type { Transaction } from '../core/types.js'
import type { SpendableOutput } from '../wallet/builder.js'
import type { Wallet } from '../wallet/wallet.js'
import type { HeaderChain } from './header-chain.js'
import type { PendingPersistence } from './pending-file.js'
import type { VerifiedProof } from './proof-verifier.js'
import type { ProvenTransactions } from './proven-txs.js'

export interface PendingTx {
  tx: Transaction
  txid: Uint8Array
  txidHex: string
  /** Unix ms it was published. */
  publishedAt: number
}

/** An output paying to one of our addresses, from a proven transaction. */
export interface WalletCoin extends SpendableOutput {
  height: number
  coinbase: boolean
  mature: boolean
  /** Blocks on top of the coin's block, itself included. */
  confirmations: number
  /** Deep enough (and cross-checked) to count as confirmed. */
  confirmed: boolean
  /** Spent by a proven transaction, or by one of our pending ones. */
  spentBy?: 'proven' | 'pending'
}

export interface SpvBalance {
  confirmed: bigint
  immature: bigint
  pending: bigint
}

export interface WalletHistoryEntry {
  txid: string
  tx: Transaction
  /** Net effect on the wallet. */
  delta: bigint
  /** Proven transactions only. */
  proof?: VerifiedProof
  /** Pending transactions only (unix ms). */
  publishedAt?: number
}

export interface SpvWalletOptions {
  wallet: Wallet
  proven: ProvenTransactions
  headers: HeaderChain
  params: NetworkParams
  /** Sends a transaction's canonical bytes to the network (the tx gossip topic). */
  publish: (bytes: Uint8Array) => void
  /** Our transactions no proof has confirmed after this long are forgotten (their coins usable again). */
  pendingExpiryMs?: number
  /** Where pending transactions survive a restart (none: memory only). */
  persistence?: PendingPersistence
  now?: () => number
  /** Depth at which a proven payment counts as confirmed (the node passes config `wallet.confirmations`). */
  confirmations?: number
  /** Distinct peers that must have proven a payment before it counts (2 while two serve us). */
  witnessesWanted?: () => number
  /**
   * Whether our addresses' history is known complete through the current
   * tip. A pending transaction only expires then: before, a block we have
   * no proof of yet may hold it, and freeing its coins would spend them twice.
   */
  historyComplete?: () => boolean
  /** Hears of a failed keystore write (recording a change or newly used address); the node stops on it. */
  onStorageFailure?: (err: Error) => void
}

/** A pending-file or keystore write failed: the transaction was neither kept nor published. */
export class PendingStorageError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PendingStorageError'
  }
}

export interface SpvWalletEvents {
  /** One of our transactions was published. */
  published: [pending: PendingTx]
  /** A pending transaction left the pending set: proven, conflicting or expired. */
  settled: [pending: PendingTx, reason: 'proven' | 'conflict' | 'expired']
  /** The set of watched addresses grew (a change address or a used window address was recorded): scan the new ones. */
  addresses: []
}
