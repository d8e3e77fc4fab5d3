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
// Its parts: which outputs are ours (owned-outputs.ts), its own unconfirmed
// transactions (pending-set.ts), its shapes (spv-wallet-types.ts).
//
// Change goes to a fresh address of BIP44's internal chain, like the node
// wallet's: the keystore records it as handed out before the pending file is
// written, and that before anything is published, so a crash can at worst
// skip a change index, never reuse one.
import { EventEmitter } from 'node:events'
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txBytes, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { buildTransaction, type BuiltTransaction, type SpendableOutput } from '../wallet/builder.js'
import type { Wallet } from '../wallet/wallet.js'
import type { HeaderChain } from './header-chain.js'
import type { VerifiedProof } from './proof-verifier.js'
import { outpointKey as outpoint, type ProvenOutput, type ProvenTransactions } from './proven-txs.js'
import { OwnedOutputs } from './owned-outputs.js'
import { PendingSet } from './pending-set.js'
import {
  PendingStorageError, type PendingTx, type SpvBalance, type SpvWalletEvents, type SpvWalletOptions, type WalletCoin, type WalletHistoryEntry
} from './spv-wallet-types.js'

export type { PendingTx, SpvBalance, SpvWalletEvents, SpvWalletOptions, WalletCoin, WalletHistoryEntry } from './spv-wallet-types.js'
export { PendingStorageError } from './spv-wallet-types.js'

export class SpvWallet extends EventEmitter<SpvWalletEvents> {
  readonly keys: Wallet
  private readonly proven: ProvenTransactions
  private readonly headers: HeaderChain
  private readonly params: NetworkParams
  private readonly publishBytes: (bytes: Uint8Array) => void
  private readonly pending: PendingSet
  private readonly confirmationsWanted: number
  private readonly witnessesWanted: () => number
  private readonly onStorageFailure: (err: Error) => void
  /** Sends run one at a time: each picks its coins and change address after the previous one is pending. */
  private sending: Promise<unknown> = Promise.resolve()
  /** A change address recorded in the keystore by a send that then published nothing: the next send uses it. */
  private unusedChange: Uint8Array | undefined
  private readonly own: OwnedOutputs

  constructor (opts: SpvWalletOptions) {
    super()
    this.keys = opts.wallet
    this.proven = opts.proven
    this.headers = opts.headers
    this.params = opts.params
    this.publishBytes = opts.publish
    this.confirmationsWanted = Math.max(1, opts.confirmations ?? 1)
    this.witnessesWanted = opts.witnessesWanted ?? (() => 1)
    this.onStorageFailure = opts.onStorageFailure ?? (() => {})
    this.own = new OwnedOutputs({ keys: opts.wallet, proven: opts.proven, onAddressesChanged: () => this.emit('addresses'), onStorageFailure: this.onStorageFailure })
    // a damaged file throws here: the node refuses to start rather than forget payments it made
    this.pending = new PendingSet({
      proven: opts.proven,
      ...(opts.persistence !== undefined ? { persistence: opts.persistence } : {}),
      now: opts.now ?? Date.now,
      expiryMs: opts.pendingExpiryMs ?? 24 * 3600_000,
      historyComplete: opts.historyComplete ?? (() => true),
      onAdded: p => this.emit('published', p),
      onSettled: (p, reason) => this.emit('settled', p, reason)
    })
    // after OwnedOutputs' listener: a proof first makes its outputs ours, then settles what it confirms
    this.proven.on('added', () => this.settle())
  }

  isMine (address: Uint8Array): boolean {
    return this.own.isMine(address)
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
    this.own.refresh()
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

  /** Every output to us of a proven transaction, with its state. */
  coins (): WalletCoin[] {
    const spentPending = new Set<string>()
    for (const p of this.pending.values()) for (const i of p.tx.inputs) spentPending.add(outpoint(i.prevTxid, i.prevIndex))
    const nextHeight = this.headers.height + 1
    const coins: WalletCoin[] = []
    const ours = new Map<string, boolean>()
    for (const [key, hex] of this.own.entries()) {
      const p = this.proven.get(hex)
      if (p === undefined || !this.headers.isActive(p.entry)) continue
      const index = Number(key.slice(hex.length + 1))
      const o = p.tx.outputs[index]
      const coinbase = isCoinbase(p.tx)
      let own = ours.get(hex)
      if (own === undefined) ours.set(hex, own = this.own.spendsOnlyOurs(p.tx))
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
    const change = this.unusedChange ?? await this.own.freshChangeAddress()
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
      this.own.changed()
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
   * Publishes a transaction and, when it touches our addresses, tracks it as
   * pending. The pending set is saved before anything goes out: when the
   * save fails this throws PendingStorageError and nothing was published or
   * kept, so a retry cannot pay twice.
   */
  publish (tx: Transaction): PendingTx | undefined {
    const pending = this.own.touches(tx) && !this.proven.has(toHex(txid(tx))) ? this.pending.add(tx) : undefined
    this.publishBytes(txBytes(tx))
    return pending
  }

  /** Sends our pending transactions again (a peer may have missed them). */
  republish (): void {
    this.settle()
    for (const p of this.pending.values()) this.publishBytes(txBytes(p.tx))
  }

  pendingTxs (): PendingTx[] {
    this.settle()
    return [...this.pending.values()].sort((a, b) => b.publishedAt - a.publishedAt)
  }

  getPending (txidHex: string): PendingTx | undefined {
    return this.pending.get(txidHex)
  }

  /** Drops pending transactions that were proven, lost a double spend, or expired (see PendingSet.settle). */
  settle (): void {
    this.pending.settle()
  }

  // ---- history -------------------------------------------------------------------

  /** The output at an outpoint, from a proven or one of our pending transactions (to price inputs). */
  outputAt (outpointKey: string): ProvenOutput | undefined {
    return this.pending.outputAt(outpointKey)
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
