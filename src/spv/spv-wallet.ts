// The light wallet. It believes only Merkle proofs: its coins are outputs of
// proven transactions paying to its addresses, minus those that proven
// transactions spend. It cannot see the mempool, so "pending" is only what it
// published itself and no proof has confirmed yet.
//
// Balances (base units):
//   confirmed  proven, mature outputs to us that no proven transaction and
//              none of our own pending transactions spends (money we already
//              handed to the network is not shown as still ours), at least
//              `confirmations` blocks deep (our own change: one block) and,
//              when more than one peer serves us, proven by two of them
//   immature   proven coinbase outputs to us still inside the maturity window
//   pending    outputs to us (change) of our own pending transactions, and
//              proven payments to us not yet deep enough or not cross-checked
//
// Everything per proof is indexed (proven-txs.ts and `own` here), so taking
// in a proof costs the same with 20 or 20,000 proofs held.
//
// Change goes to a fresh address of BIP44's internal chain, like the node
// wallet's: the keystore records it as handed out before the pending file is
// written, and that before anything is published, so a crash can at worst
// skip a change index, never reuse one. "Ours" is every address the keystore
// watches (handed out, and the gap-limit window of each chain): the light
// client scans all of them, so a wallet restored from its phrase finds its
// change, and a payment found in the window moves the window on (markUsed).
import { EventEmitter } from 'node:events'
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txBytes, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { buildTransaction, type BuiltTransaction, type SpendableOutput } from '../wallet/builder.js'
import { GAP_LIMIT } from '../wallet/wallet.js'
import type { Wallet } from '../wallet/wallet.js'
import type { HeaderChain } from './header-chain.js'
import type { PendingPersistence } from './pending-file.js'
import type { VerifiedProof } from './proof-verifier.js'
import { outpointKey as outpoint, type ProvenOutput, type ProvenTransactions } from './proven-txs.js'

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
  private readonly confirmationsWanted: number
  private readonly witnessesWanted: () => number
  private readonly historyComplete: () => boolean
  private readonly onStorageFailure: (err: Error) => void
  /** Sends run one at a time: each picks its coins and change address after the previous one is pending. */
  private sending: Promise<unknown> = Promise.resolve()
  /** A change address recorded in the keystore by a send that then published nothing: the next send uses it. */
  private unusedChange: Uint8Array | undefined
  /** Watched addresses (hex) whose markUsed is under way. */
  private readonly noting = new Set<string>()
  private mine = new Set<string>()
  /** Outpoints of proven outputs to our addresses -> the proving transaction (hex). */
  private readonly own = new Map<string, string>()

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
    this.confirmationsWanted = Math.max(1, opts.confirmations ?? 1)
    this.witnessesWanted = opts.witnessesWanted ?? (() => 1)
    this.historyComplete = opts.historyComplete ?? (() => true)
    this.onStorageFailure = opts.onStorageFailure ?? (() => {})
    this.refreshAddresses()
    // a damaged file throws here: the node refuses to start rather than forget payments it made
    for (const { tx, publishedAt } of this.persistence?.load() ?? []) {
      const id = txid(tx)
      this.pending.set(toHex(id), { tx, txid: id, txidHex: toHex(id), publishedAt })
    }
    this.proven.on('added', proof => {
      this.indexOwn(proof.txidHex)
      this.noteUsed(proof.tx)
      this.settle()
    })
    // proofs of an earlier run to addresses of the window (a crash before markUsed was written)
    for (const hex of new Set(this.own.values())) {
      const p = this.proven.get(hex)
      if (p !== undefined) this.noteUsed(p.tx)
    }
    this.proven.on('dropped', proofs => {
      for (const p of proofs) p.tx.outputs.forEach((_, i) => this.own.delete(outpoint(p.txidHex, i)))
    })
  }

  /** Persists the pending set; throws PendingStorageError. */
  private save (pending: PendingTx[]): void {
    if (this.persistence === undefined) return
    try {
      this.persistence.save(pending)
    } catch (err) {
      throw new PendingStorageError(`cannot save the pending-transaction file: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Records window addresses a proven transaction pays as handed out, so the
   * gap-limit window moves on (and change never goes to an address the chain
   * already shows). Asynchronous: the keystore write runs in the background;
   * the address counts as ours meanwhile, being watched.
   */
  private noteUsed (tx: Transaction): void {
    for (const o of tx.outputs) {
      const hex = toHex(o.address)
      if (!this.isMine(o.address) || this.keys.hasAddress(o.address) || this.noting.has(hex)) continue
      this.noting.add(hex)
      this.keys.markUsed(o.address)
        .then(moved => { if (moved) this.addressesChanged() })
        .catch(err => this.onStorageFailure(err as Error))
        .finally(() => this.noting.delete(hex))
    }
  }

  private addressesChanged (): void {
    this.refreshAddresses()
    this.emit('addresses')
  }

  /** Every address handed out or in the gap-limit window (what outputs to us may pay). */
  private refreshAddresses (): void {
    this.mine = new Set(this.keys.watchedHashes().map(toHex))
    this.own.clear()
    for (const a of this.mine) for (const hex of this.proven.txidsOf(a)) this.indexOwn(hex)
  }

  private indexOwn (txidHex: string): void {
    const p = this.proven.get(txidHex)
    p?.tx.outputs.forEach((o, i) => { if (this.isMine(o.address)) this.own.set(outpoint(txidHex, i), txidHex) })
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

  /** What the light client scans: every address handed out (receiving and change) and the gap-limit window of each chain. */
  watchedHashes (): Uint8Array[] {
    return this.keys.watchedHashes()
  }

  async newAddress (): Promise<string> {
    const a = await this.keys.newAddress()
    this.refreshAddresses()
    return a.address
  }

  // ---- coins ---------------------------------------------------------------------

  /** Enough blocks on top and, while two peers serve us, proven by two of them. */
  private deepEnough (proof: VerifiedProof, own: boolean): boolean {
    const depth = this.headers.confirmations(proof.entry)
    if (depth < (own ? 1 : this.confirmationsWanted)) return false
    const wanted = this.witnessesWanted()
    return own || wanted <= 1 || this.proven.witnesses(proof.txidHex) >= wanted
  }

  /** A transaction that spends only our own proven coins (its change is ours to trust, as Core trusts its own change). */
  private isOurs (tx: Transaction): boolean {
    return tx.inputs.length > 0 && tx.inputs.every(i => this.own.has(outpoint(i.prevTxid, i.prevIndex)))
  }

  /** Every output to us of a proven transaction, with its state. */
  coins (): WalletCoin[] {
    const spentPending = new Set<string>()
    for (const p of this.pending.values()) for (const i of p.tx.inputs) spentPending.add(outpoint(i.prevTxid, i.prevIndex))
    const nextHeight = this.headers.height + 1
    const coins: WalletCoin[] = []
    const ours = new Map<string, boolean>()
    for (const [key, hex] of this.own) {
      const p = this.proven.get(hex)
      if (p === undefined || !this.headers.isActive(p.entry)) continue
      const index = Number(key.slice(hex.length + 1))
      const o = p.tx.outputs[index]
      const coinbase = isCoinbase(p.tx)
      let own = ours.get(hex)
      if (own === undefined) ours.set(hex, own = this.isOurs(p.tx))
      const coin: WalletCoin = {
        txid: p.txid,
        index,
        amount: o.amount,
        address: o.address,
        height: p.entry.height,
        coinbase,
        // the rule the chain enforces for the next block (chain/tx-verify.ts)
        mature: !coinbase || nextHeight - p.entry.height >= this.params.coinbaseMaturity,
        confirmations: this.headers.confirmations(p.entry),
        confirmed: this.deepEnough(p, own)
      }
      if (this.proven.spenderOf(key) !== undefined) coin.spentBy = 'proven'
      else if (spentPending.has(key)) coin.spentBy = 'pending'
      coins.push(coin)
    }
    return coins
  }

  balance (): SpvBalance {
    let confirmed = 0n
    let immature = 0n
    let pending = 0n
    for (const c of this.coins()) {
      if (c.spentBy !== undefined) continue
      if (!c.mature) immature += c.amount
      else if (c.confirmed) confirmed += c.amount
      else pending += c.amount
    }
    for (const p of this.pending.values()) for (const o of p.tx.outputs) if (this.isMine(o.address)) pending += o.amount
    return { confirmed, immature, pending }
  }

  /** Proven, mature, confirmed, unspent (neither by a proof nor by our own pending transactions): what a new payment may spend. */
  spendable (): SpendableOutput[] {
    return this.coins().filter(c => c.mature && c.confirmed && c.spentBy === undefined).map(c => ({ txid: c.txid, index: c.index, amount: c.amount, address: c.address }))
  }

  // ---- sending -----------------------------------------------------------------

  /**
   * Builds, signs and publishes a payment from proven coins, its change to a
   * fresh internal-chain address; throws BuildError, or PendingStorageError
   * when the keystore or the pending file could not be written (then nothing
   * was published). Order: the change address is recorded in the keystore,
   * then the pending file is saved, then the transaction goes out.
   */
  async send (to: string, amount: bigint, fee?: bigint, options: { force?: boolean } = {}): Promise<BuiltTransaction> {
    const run = this.sending.then(async () => await this.sendNow(to, amount, fee, options.force === true))
    this.sending = run.catch(() => {})
    return await run
  }

  private async sendNow (to: string, amount: bigint, fee: bigint | undefined, force: boolean): Promise<BuiltTransaction> {
    this.settle()
    const change = this.unusedChange ?? await this.freshChangeAddress()
    const build = (): BuiltTransaction => buildTransaction({
      utxos: this.spendable(),
      to,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      force,
      changeAddress: change,
      keys: this.keys.keyLookup,
      params: this.params
    })
    // a payment that cannot be built records nothing
    let built = build()
    if (built.change > 0n && this.unusedChange === undefined) {
      try {
        await this.keys.commitChangeAddress(change)
      } catch (err) {
        this.onStorageFailure(err as Error)
        throw new PendingStorageError(`cannot record the change address in the keystore: ${(err as Error).message}`, { cause: err })
      }
      this.unusedChange = change
      this.addressesChanged()
      // coins may have moved while the keystore was written (a proof, a conflicting publish): choose again if so
      this.settle()
      const spendable = new Set(this.spendable().map(c => outpoint(c.txid, c.index)))
      if (!built.tx.inputs.every(i => spendable.has(outpoint(i.prevTxid, i.prevIndex)))) built = build()
    }
    // nothing awaits from here on: the coins chosen are marked pending before anything else runs
    try {
      this.publish(built.tx)
    } finally {
      // kept pending (so it goes out, now or at the next republish): its change address is used
      if (built.change > 0n && this.pending.has(toHex(built.txid))) this.unusedChange = undefined
    }
    return built
  }

  /**
   * The internal chain's next unused address. One a proven transaction
   * already pays (a restored wallet whose markUsed is still being written)
   * is recorded as used and skipped.
   */
  private async freshChangeAddress (): Promise<Uint8Array> {
    let change = this.keys.peekChangeAddress().hash
    for (let i = 0; i <= GAP_LIMIT && this.proven.txidsOf(toHex(change)).size > 0 && !this.keys.hasAddress(change); i++) {
      try {
        await this.keys.markUsed(change)
      } catch (err) {
        this.onStorageFailure(err as Error)
        throw new PendingStorageError(`cannot record a used address in the keystore: ${(err as Error).message}`, { cause: err })
      }
      change = this.keys.peekChangeAddress().hash
    }
    return change
  }

  /**
   * Publishes a transaction and, when it touches our addresses, tracks it as
   * pending. The pending set is saved before anything goes out: when the
   * save fails this throws PendingStorageError and nothing was published or
   * kept, so a retry cannot pay twice.
   */
  publish (tx: Transaction): PendingTx | undefined {
    const id = txid(tx)
    const hex = toHex(id)
    let pending: PendingTx | undefined
    if (this.touches(tx) && !this.proven.has(hex)) {
      const known = this.pending.get(hex)
      pending = known ?? { tx, txid: id, txidHex: hex, publishedAt: this.now() }
      if (known === undefined) {
        this.save([...this.pending.values(), pending])
        this.pending.set(hex, pending)
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
    return tx.inputs.some(i => this.own.has(outpoint(i.prevTxid, i.prevIndex)))
  }

  pendingTxs (): PendingTx[] {
    this.settle()
    return [...this.pending.values()].sort((a, b) => b.publishedAt - a.publishedAt)
  }

  getPending (txidHex: string): PendingTx | undefined {
    return this.pending.get(txidHex)
  }

  /**
   * Drops pending transactions that were proven, lost a double spend to a
   * proven one, or expired. Expiry waits until our history is known
   * complete through the tip (a block may hold the transaction unproven yet).
   * When the file cannot be saved the set stays as it was (and is retried at
   * the next call): forgetting in memory only would free coins that a
   * restart would lock again.
   */
  settle (): void {
    if (this.pending.size === 0) return
    const cutoff = this.now() - this.pendingExpiryMs
    let complete: boolean | undefined
    const settled: Array<[PendingTx, 'proven' | 'conflict' | 'expired']> = []
    for (const [hex, p] of this.pending) {
      let reason: 'proven' | 'conflict' | 'expired' | undefined
      if (this.proven.has(hex)) reason = 'proven'
      else if (p.tx.inputs.some(i => { const by = this.proven.spenderOf(outpoint(i.prevTxid, i.prevIndex)); return by !== undefined && by !== hex })) reason = 'conflict'
      else if (p.publishedAt < cutoff && (complete ??= this.historyComplete())) reason = 'expired'
      if (reason !== undefined) settled.push([p, reason])
    }
    if (settled.length === 0) return
    const left = [...this.pending.values()].filter(p => !settled.some(([s]) => s === p))
    try {
      this.save(left)
    } catch {
      return
    }
    for (const [p, reason] of settled) {
      this.pending.delete(p.txidHex)
      this.emit('settled', p, reason)
    }
  }

  // ---- history -------------------------------------------------------------------

  /** The output at an outpoint, from a proven or one of our pending transactions (to price inputs). */
  outputAt (outpointKey: string): ProvenOutput | undefined {
    const proven = this.proven.outputAt(outpointKey)
    if (proven !== undefined) return proven
    const colon = outpointKey.indexOf(':')
    return this.pending.get(outpointKey.slice(0, colon))?.tx.outputs[Number(outpointKey.slice(colon + 1))]
  }

  private delta (tx: Transaction): bigint {
    let delta = 0n
    for (const i of tx.inputs) {
      const spent = this.outputAt(outpoint(i.prevTxid, i.prevIndex))
      if (spent !== undefined && this.isMine(spent.address)) delta -= spent.amount
    }
    for (const o of tx.outputs) if (this.isMine(o.address)) delta += o.amount
    return delta
  }

  /** The history line of one proven transaction (O(inputs + outputs)). */
  entryOf (proof: VerifiedProof): WalletHistoryEntry {
    return { txid: proof.txidHex, tx: proof.tx, delta: this.delta(proof.tx), proof }
  }

  /** Pending first (newest first), then proven by height and position, newest first. */
  history (address?: Uint8Array): WalletHistoryEntry[] {
    this.settle()
    const involves = (tx: Transaction): boolean => address === undefined ||
      tx.outputs.some(o => equalBytes(o.address, address)) ||
      tx.inputs.some(i => { const s = this.outputAt(outpoint(i.prevTxid, i.prevIndex)); return s !== undefined && equalBytes(s.address, address) })
    const pending: WalletHistoryEntry[] = this.pendingTxs()
      .filter(p => involves(p.tx))
      .map(p => ({ txid: p.txidHex, tx: p.tx, delta: this.delta(p.tx), publishedAt: p.publishedAt }))
    const proven: WalletHistoryEntry[] = this.proven.all()
      .filter(p => this.headers.isActive(p.entry) && involves(p.tx))
      .sort((a, b) => (b.entry.height - a.entry.height) || (b.index - a.index))
      .map(p => ({ txid: p.txidHex, tx: p.tx, delta: this.delta(p.tx), proof: p }))
    return [...pending, ...proven]
  }
}
