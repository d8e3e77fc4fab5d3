// The wallet of a full node (and miner): keys from the keystore, coins and
// history kept in step with the chain, pending effects read from the mempool.
import { toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txid } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import type { Coin } from '../chain/records.js'
import type { Mempool } from '../mempool/mempool.js'
import { buildTransaction, type BuiltTransaction } from './builder.js'
import type { Wallet } from './wallet.js'

export interface WalletCoin {
  txid: Uint8Array
  index: number
  coin: Coin
}

export interface WalletHistoryItem {
  txid: string
  delta: bigint
  height?: number
  time?: number
}

export interface WalletBalance {
  confirmed: bigint
  pending: bigint
  immature: bigint
}

const key = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

export class NodeWallet {
  readonly wallet: Wallet
  private readonly chain: Chain
  private readonly mempool: Mempool
  private readonly params: NetworkParams
  private readonly coins = new Map<string, WalletCoin>()
  private history: WalletHistoryItem[] = []
  private mine = new Set<string>()
  private reorged = false

  constructor (wallet: Wallet, chain: Chain, mempool: Mempool) {
    this.wallet = wallet
    this.chain = chain
    this.mempool = mempool
    this.params = chain.params
    this.refreshAddresses()
    chain.on('connect', block => { if (!this.reorged) this.apply(block) })
    chain.on('disconnect', () => { this.reorged = true })
    chain.on('tip', () => { if (this.reorged) { this.reorged = false; void this.rescan() } })
  }

  private refreshAddresses (): void {
    this.mine = new Set(this.wallet.addressHashes().map(toHex))
  }

  private isMine (address: Uint8Array): boolean {
    return this.mine.has(toHex(address))
  }

  /** Rebuilds coins and history from the chain's address index. */
  async rescan (): Promise<void> {
    this.refreshAddresses()
    this.coins.clear()
    const seen = new Map<string, number>()
    for (const address of this.wallet.addressHashes()) {
      for (const item of await this.chain.addressHistory(address, 0, 1_000_000)) seen.set(toHex(item.txid), item.height)
    }
    const heights = [...new Set(seen.values())].sort((a, b) => a - b)
    const history: WalletHistoryItem[] = []
    for (const height of heights) {
      const entry = this.chain.entryAt(height)
      const block = entry === undefined ? undefined : this.chain.getBlock(entry.hash)
      if (block === undefined) continue
      for (const tx of block.transactions) if (seen.has(toHex(txid(tx)))) history.push(...this.effect(tx, height, block.header.time))
    }
    this.history = history
  }

  private apply (block: Block): void {
    const height = this.chain.height
    for (const tx of block.transactions) this.history.push(...this.effect(tx, height, block.header.time))
  }

  /** Applies a confirmed transaction to the coin set; returns its history line if it touches us. */
  private effect (tx: Transaction, height: number, time: number): WalletHistoryItem[] {
    let delta = 0n
    let touches = false
    for (const input of tx.inputs) {
      const k = key(input.prevTxid, input.prevIndex)
      const c = this.coins.get(k)
      if (c !== undefined) { delta -= c.coin.amount; touches = true; this.coins.delete(k) }
    }
    const id = txid(tx)
    tx.outputs.forEach((o, index) => {
      if (!this.isMine(o.address)) return
      touches = true
      delta += o.amount
      this.coins.set(key(id, index), { txid: id, index, coin: { amount: o.amount, address: o.address, height, coinbase: isCoinbase(tx) } })
    })
    return touches ? [{ txid: toHex(id), delta, height, time }] : []
  }

  private mature (c: Coin, nextHeight: number): boolean {
    return !c.coinbase || nextHeight - c.height >= this.params.coinbaseMaturity
  }

  balance (): WalletBalance {
    const next = this.chain.height + 1
    let confirmed = 0n
    let immature = 0n
    for (const c of this.coins.values()) {
      if (this.mature(c.coin, next)) confirmed += c.coin.amount
      else immature += c.coin.amount
    }
    return { confirmed, pending: this.pendingDelta(), immature }
  }

  /** Net effect of pending transactions on this wallet. */
  private pendingDelta (): bigint {
    let delta = 0n
    for (const e of this.mempool.entries.values()) delta += this.pendingEffect(e.tx)
    return delta
  }

  private pendingEffect (tx: Transaction): bigint {
    let delta = 0n
    for (const input of tx.inputs) {
      const c = this.coins.get(key(input.prevTxid, input.prevIndex))
      if (c !== undefined) delta -= c.coin.amount
      else {
        const parent = this.mempool.get(toHex(input.prevTxid))
        const out = parent?.tx.outputs[input.prevIndex]
        if (out !== undefined && this.isMine(out.address)) delta -= out.amount
      }
    }
    for (const o of tx.outputs) if (this.isMine(o.address)) delta += o.amount
    return delta
  }

  /** Mature confirmed coins and pending outputs to us, not spent by anything pending. */
  spendable (): Array<{ txid: Uint8Array, index: number, amount: bigint, address: Uint8Array }> {
    const next = this.chain.height + 1
    const out: Array<{ txid: Uint8Array, index: number, amount: bigint, address: Uint8Array }> = []
    for (const c of this.coins.values()) {
      if (this.mature(c.coin, next) && this.mempool.spender(c.txid, c.index) === undefined) out.push({ txid: c.txid, index: c.index, amount: c.coin.amount, address: c.coin.address })
    }
    for (const e of this.mempool.entries.values()) {
      e.tx.outputs.forEach((o, index) => {
        if (this.isMine(o.address) && this.mempool.spender(e.txid, index) === undefined) out.push({ txid: e.txid, index, amount: o.amount, address: o.address })
      })
    }
    return out
  }

  /** Builds and signs a payment; the caller submits it. */
  build (to: string, amount: bigint, fee?: bigint): BuiltTransaction {
    return buildTransaction({
      utxos: this.spendable(),
      to,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      changeAddress: this.wallet.primaryAddress().hash,
      keys: (hash: Uint8Array) => this.wallet.privateKeyFor(hash),
      params: this.params
    })
  }

  async newAddress (): Promise<string> {
    const a = await this.wallet.newAddress()
    this.refreshAddresses()
    return a.address
  }

  addresses (): string[] {
    return this.wallet.addressStrings()
  }

  /** Newest first. */
  transactions (limit = 100): WalletHistoryItem[] {
    const pending: WalletHistoryItem[] = []
    for (const e of this.mempool.entries.values()) {
      const delta = this.pendingEffect(e.tx)
      const touches = delta !== 0n || e.tx.outputs.some(o => this.isMine(o.address))
      if (touches) pending.push({ txid: e.txidHex, delta, time: Math.floor(e.time / 1000) })
    }
    return [...pending, ...this.history.slice(-limit).reverse()].slice(0, limit)
  }
}
