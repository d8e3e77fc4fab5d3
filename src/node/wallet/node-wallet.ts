// The wallet of a full node (and miner): keys from the keystore, coins and
// history kept in step with the chain (WalletState, in its own LevelDB at
// <data-dir>/wallet-db), pending effects read from the mempool.
//
// Confirmations: a payment counts as confirmed at `confirmations` blocks
// deep (config wallet.confirmations). Change of our own transactions (every
// input ours) counts once it is in a block, as Bitcoin Core trusts its own
// change. Only confirmed or own outputs are spent: a third party's
// unconfirmed payment can vanish with a double spend or a reorg, and our
// payment with it.
import type { NetworkParams } from '../../core/params.js'
import type { Chain } from '../../chain/chain.js'
import type { Mempool } from '../../mempool/mempool.js'
import { buildTransaction, type BuiltTransaction, type SpendableOutput } from '../../wallet/builder.js'
import type { Wallet } from '../../wallet/wallet.js'
import { ownPending, pendingEffect } from './pending-effects.js'
import { type WalletBalance, type WalletCoin, type WalletHistoryItem } from './records.js'
import { WalletState, type WalletStateOptions } from './wallet-state.js'

export type { WalletBalance, WalletCoin, WalletHistoryItem } from './records.js'

export interface NodeWalletOptions extends WalletStateOptions {
  mempool: Mempool
  /** Depth at which a payment counts as confirmed (>= 1). */
  confirmations: number
}

export class NodeWallet {
  readonly wallet: Wallet
  readonly confirmations: number
  private readonly chain: Chain
  private readonly mempool: Mempool
  private readonly params: NetworkParams
  private readonly state: WalletState
  private readonly isMine = (address: Uint8Array): boolean => this.wallet.isWatched(address)

  private constructor (opts: NodeWalletOptions, state: WalletState) {
    this.wallet = opts.wallet
    this.chain = opts.chain
    this.mempool = opts.mempool
    this.params = opts.chain.params
    this.confirmations = opts.confirmations
    this.state = state
  }

  /** Opens the state, brings it to the chain's tip (from where it is), then follows the chain. */
  static async open (opts: NodeWalletOptions): Promise<NodeWallet> {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 1) throw new RangeError(`confirmations must be a positive integer, got ${opts.confirmations}`)
    return new NodeWallet(opts, await WalletState.open(opts))
  }

  async close (): Promise<void> {
    await this.state.close()
  }

  /** The block the wallet's state is at. */
  get height (): number {
    return this.state.tip.height
  }

  get tipHash (): string {
    return this.state.tip.hashHex
  }

  /** Resolves once the wallet has followed the chain to its current tip. */
  async synced (): Promise<void> {
    await this.state.synced()
  }

  // ---- balances ----------------------------------------------------------------

  private get coins (): ReadonlyMap<string, WalletCoin> {
    return this.state.coins
  }

  private mature (c: WalletCoin, nextHeight: number): boolean {
    return !c.coinbase || nextHeight - c.height >= this.params.coinbaseMaturity
  }

  /** Confirmations of something in the block at `height` of the active chain. */
  private depth (height: number): number {
    return Math.max(0, this.chain.height - height + 1)
  }

  private counts (c: WalletCoin): boolean {
    return this.depth(c.height) >= this.confirmations || (c.own && this.depth(c.height) >= 1)
  }

  balance (): WalletBalance {
    const next = this.chain.height + 1
    let confirmed = 0n
    let immature = 0n
    let pending = 0n
    for (const c of this.coins.values()) {
      if (!this.mature(c, next)) immature += c.amount
      else if (this.counts(c)) confirmed += c.amount
      else pending += c.amount
    }
    let pendingDelta = 0n
    for (const e of this.mempool.entries.values()) pendingDelta += pendingEffect(e.tx, this.coins, this.mempool, this.isMine)
    return { confirmed, pending: pending + pendingDelta, immature }
  }

  /** What a payment may spend: mature coins that count as confirmed, and own pending change; none spent by anything pending. */
  spendable (): SpendableOutput[] {
    const next = this.chain.height + 1
    const out: SpendableOutput[] = []
    for (const c of this.coins.values()) {
      if (this.mature(c, next) && this.counts(c) && this.mempool.spender(c.txid, c.index) === undefined && this.wallet.privateKeyFor(c.address) !== undefined) {
        out.push({ txid: c.txid, index: c.index, amount: c.amount, address: c.address })
      }
    }
    for (const hex of ownPending(this.coins, this.mempool, this.isMine)) {
      const e = this.mempool.get(hex)
      e?.tx.outputs.forEach((o, index) => {
        if (this.isMine(o.address) && this.mempool.spender(e.txid, index) === undefined) out.push({ txid: e.txid, index, amount: o.amount, address: o.address })
      })
    }
    return out
  }

  /**
   * Builds and signs a payment (change to a fresh internal-chain address,
   * recorded in the keystore before this returns); the caller submits it.
   * Throws BuildError (FeeTooHighError above the cap unless `force`).
   */
  async build (to: string, amount: bigint, fee?: bigint, options: { force?: boolean } = {}): Promise<BuiltTransaction> {
    await this.synced()
    const change = this.wallet.peekChangeAddress()
    const built = buildTransaction({
      utxos: this.spendable(),
      to,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      force: options.force === true,
      changeAddress: change.hash,
      keys: (hash: Uint8Array) => this.wallet.privateKeyFor(hash),
      params: this.params
    })
    if (built.change > 0n) {
      try {
        await this.wallet.commitChangeAddress(change.hash)
      } catch (err) {
        // the keystore could not record the change address: nothing is published, and a failed write stops the node
        this.state.fail(err)
        throw err
      }
    }
    return built
  }

  async newAddress (): Promise<string> {
    return (await this.wallet.newAddress()).address
  }

  addresses (): string[] {
    return this.wallet.addressStrings()
  }

  /** Newest first: pending, then confirmed history read from the wallet's database. */
  async transactions (limit = 100): Promise<WalletHistoryItem[]> {
    const pending: WalletHistoryItem[] = []
    for (const e of this.mempool.entries.values()) {
      const delta = pendingEffect(e.tx, this.coins, this.mempool, this.isMine)
      const touches = delta !== 0n || e.tx.outputs.some(o => this.isMine(o.address))
      if (touches) pending.push({ txid: e.txidHex, delta, time: Math.floor(e.time / 1000), confirmations: 0, confirmed: false })
    }
    pending.sort((a, b) => (b.time ?? 0) - (a.time ?? 0))
    const out = pending.slice(0, limit)
    for (const { height, line } of await this.state.history(limit - out.length)) {
      const confirmations = this.depth(height)
      out.push({ txid: line.txid, delta: BigInt(line.delta), height, time: line.time, confirmations, confirmed: confirmations >= this.confirmations })
    }
    return out
  }
}

