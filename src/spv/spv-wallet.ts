// The light wallet. It believes only Merkle proofs: its coins are outputs of
// proven transactions paying to its addresses, minus those that proven
// transactions spend. It cannot see the mempool, so "pending" is only what it
// published itself and no proof has confirmed yet.
//
// Balances (base units):
//   confirmed  proven, mature outputs to us that no proven transaction and
//              none of our own pending transactions spends (money we already
//              handed to the network is not shown as still ours)
//   immature   proven coinbase outputs to us still inside the maturity window
//   pending    outputs to us (change) of our own pending transactions
import { EventEmitter } from 'node:events'
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txBytes, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { buildTransaction, type BuiltTransaction, type SpendableOutput } from '../wallet/builder.js'
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
}

export interface SpvWalletEvents {
  /** One of our transactions was published. */
  published: [pending: PendingTx]
  /** A pending transaction left the pending set: proven, conflicting or expired. */
  settled: [pending: PendingTx, reason: 'proven' | 'conflict' | 'expired']
}

const outpoint = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

export class SpvWallet extends EventEmitter<SpvWalletEvents> {
  readonly keys: Wallet
  private readonly proven: ProvenTransactions
  private readonly headers: HeaderChain
  private readonly params: NetworkParams
  private readonly publishBytes: (bytes: Uint8Array) => void
  private readonly pendingExpiryMs: number
  private readonly now: () => number
  private readonly pending = new Map<string, PendingTx>()
  private readonly persistence?: PendingPersistence
  private mine = new Set<string>()

  constructor (opts: SpvWalletOptions) {
    super()
    this.keys = opts.wallet
    this.proven = opts.proven
    this.headers = opts.headers
    this.params = opts.params
    this.publishBytes = opts.publish
    this.pendingExpiryMs = opts.pendingExpiryMs ?? 24 * 3600_000
    this.now = opts.now ?? Date.now
    this.persistence = opts.persistence
    this.refreshAddresses()
    for (const { tx, publishedAt } of this.persistence?.load() ?? []) {
      const id = txid(tx)
      this.pending.set(toHex(id), { tx, txid: id, txidHex: toHex(id), publishedAt })
    }
    this.proven.on('added', () => this.settle())
  }

  private save (): void {
    this.persistence?.save([...this.pending.values()])
  }

  private refreshAddresses (): void {
    this.mine = new Set(this.keys.addressHashes().map(toHex))
  }

  isMine (address: Uint8Array): boolean {
    return this.mine.has(toHex(address))
  }

  addresses (): string[] {
    return this.keys.addressStrings()
  }

  addressHashes (): Uint8Array[] {
    return this.keys.addressHashes()
  }

  async newAddress (): Promise<string> {
    const a = await this.keys.newAddress()
    this.refreshAddresses()
    return a.address
  }

  // ---- coins ---------------------------------------------------------------------

  /** Every output to us of a proven transaction, with its state. */
  coins (): WalletCoin[] {
    const proofs = this.proven.all().filter(p => this.headers.isActive(p.entry))
    const spentProven = new Set<string>()
    for (const p of proofs) for (const i of p.tx.inputs) spentProven.add(outpoint(i.prevTxid, i.prevIndex))
    const spentPending = new Set<string>()
    for (const p of this.pending.values()) for (const i of p.tx.inputs) spentPending.add(outpoint(i.prevTxid, i.prevIndex))
    const nextHeight = this.headers.height + 1
    const coins: WalletCoin[] = []
    for (const p of proofs) {
      const coinbase = isCoinbase(p.tx)
      p.tx.outputs.forEach((o, index) => {
        if (!this.isMine(o.address)) return
        const key = outpoint(p.txidHex, index)
        const coin: WalletCoin = {
          txid: p.txid,
          index,
          amount: o.amount,
          address: o.address,
          height: p.entry.height,
          coinbase,
          // the rule the chain enforces for the next block (chain/tx-verify.ts)
          mature: !coinbase || nextHeight - p.entry.height >= this.params.coinbaseMaturity
        }
        if (spentProven.has(key)) coin.spentBy = 'proven'
        else if (spentPending.has(key)) coin.spentBy = 'pending'
        coins.push(coin)
      })
    }
    return coins
  }

  balance (): SpvBalance {
    let confirmed = 0n
    let immature = 0n
    for (const c of this.coins()) {
      if (c.spentBy !== undefined) continue
      if (c.mature) confirmed += c.amount
      else immature += c.amount
    }
    let pending = 0n
    for (const p of this.pending.values()) for (const o of p.tx.outputs) if (this.isMine(o.address)) pending += o.amount
    return { confirmed, immature, pending }
  }

  /** Proven, mature, unspent: what a new payment may spend. */
  spendable (): SpendableOutput[] {
    return this.coins().filter(c => c.mature && c.spentBy === undefined).map(c => ({ txid: c.txid, index: c.index, amount: c.amount, address: c.address }))
  }

  // ---- sending -----------------------------------------------------------------

  /** Builds, signs and publishes a payment from proven coins; throws BuildError. */
  send (to: string, amount: bigint, fee?: bigint, options: { force?: boolean } = {}): BuiltTransaction {
    this.settle()
    const built = buildTransaction({
      utxos: this.spendable(),
      to,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      force: options.force === true,
      changeAddress: this.keys.primaryAddress().hash,
      keys: this.keys.keyLookup,
      params: this.params
    })
    // nothing awaits between choosing coins and marking them pending, so two sends never pick the same coin
    this.publish(built.tx)
    return built
  }

  /** Publishes a transaction and, when it touches our addresses, tracks it as pending. */
  publish (tx: Transaction): PendingTx | undefined {
    const id = txid(tx)
    const hex = toHex(id)
    let pending: PendingTx | undefined
    if (this.touches(tx) && !this.proven.has(hex)) {
      const known = this.pending.get(hex)
      pending = known ?? { tx, txid: id, txidHex: hex, publishedAt: this.now() }
      if (known === undefined) {
        this.pending.set(hex, pending)
        this.save()
        this.emit('published', pending)
      }
    }
    this.publishBytes(txBytes(tx))
    return pending
  }

  /** Sends our pending transactions again (a peer may have missed them). */
  republish (): void {
    this.settle()
    for (const p of this.pending.values()) this.publishBytes(txBytes(p.tx))
  }

  private touches (tx: Transaction): boolean {
    if (tx.outputs.some(o => this.isMine(o.address))) return true
    const ours = new Set(this.coins().map(c => outpoint(c.txid, c.index)))
    return tx.inputs.some(i => ours.has(outpoint(i.prevTxid, i.prevIndex)))
  }

  pendingTxs (): PendingTx[] {
    this.settle()
    return [...this.pending.values()].sort((a, b) => b.publishedAt - a.publishedAt)
  }

  getPending (txidHex: string): PendingTx | undefined {
    return this.pending.get(txidHex)
  }

  /** Drops pending transactions that were proven, lost a double spend to a proven one, or expired. */
  settle (): void {
    if (this.pending.size === 0) return
    const spentBy = new Map<string, string>()
    for (const p of this.proven.all()) if (this.headers.isActive(p.entry)) for (const i of p.tx.inputs) spentBy.set(outpoint(i.prevTxid, i.prevIndex), p.txidHex)
    const cutoff = this.now() - this.pendingExpiryMs
    let changed = false
    for (const [hex, p] of this.pending) {
      let reason: 'proven' | 'conflict' | 'expired' | undefined
      if (this.proven.has(hex)) reason = 'proven'
      else if (p.tx.inputs.some(i => { const by = spentBy.get(outpoint(i.prevTxid, i.prevIndex)); return by !== undefined && by !== hex })) reason = 'conflict'
      else if (p.publishedAt < cutoff) reason = 'expired'
      if (reason !== undefined) {
        this.pending.delete(hex)
        changed = true
        this.emit('settled', p, reason)
      }
    }
    if (changed) this.save()
  }

  // ---- history -------------------------------------------------------------------

  /** Outputs of proven and pending transactions by outpoint (to price inputs). */
  knownOutputs (): Map<string, { address: Uint8Array, amount: bigint }> {
    const out = new Map<string, { address: Uint8Array, amount: bigint }>()
    const add = (hex: string, tx: Transaction): void => tx.outputs.forEach((o, i) => out.set(outpoint(hex, i), o))
    for (const p of this.proven.all()) add(p.txidHex, p.tx)
    for (const p of this.pending.values()) add(p.txidHex, p.tx)
    return out
  }

  private delta (tx: Transaction, known: Map<string, { address: Uint8Array, amount: bigint }>): bigint {
    let delta = 0n
    for (const i of tx.inputs) {
      const spent = known.get(outpoint(i.prevTxid, i.prevIndex))
      if (spent !== undefined && this.isMine(spent.address)) delta -= spent.amount
    }
    for (const o of tx.outputs) if (this.isMine(o.address)) delta += o.amount
    return delta
  }

  /** The history line of one proven transaction. */
  entryOf (proof: VerifiedProof): WalletHistoryEntry {
    return { txid: proof.txidHex, tx: proof.tx, delta: this.delta(proof.tx, this.knownOutputs()), proof }
  }

  /** Pending first (newest first), then proven by height and position, newest first. */
  history (address?: Uint8Array): WalletHistoryEntry[] {
    this.settle()
    const known = this.knownOutputs()
    const involves = (tx: Transaction): boolean => address === undefined ||
      tx.outputs.some(o => equalBytes(o.address, address)) ||
      tx.inputs.some(i => { const s = known.get(outpoint(i.prevTxid, i.prevIndex)); return s !== undefined && equalBytes(s.address, address) })
    const pending: WalletHistoryEntry[] = this.pendingTxs()
      .filter(p => involves(p.tx))
      .map(p => ({ txid: p.txidHex, tx: p.tx, delta: this.delta(p.tx, known), publishedAt: p.publishedAt }))
    const proven: WalletHistoryEntry[] = this.proven.all()
      .filter(p => this.headers.isActive(p.entry) && involves(p.tx))
      .sort((a, b) => (b.entry.height - a.entry.height) || (b.index - a.index))
      .map(p => ({ txid: p.txidHex, tx: p.tx, delta: this.delta(p.tx, known), proof: p }))
    return [...pending, ...proven]
  }
}
