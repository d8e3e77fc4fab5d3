// Read queries over the chain database (layout: db-layout.ts) and the
// in-memory block index: blocks, coins, transactions, undo records, address
// history and headers for peers. Nothing here writes; the Chain delegates
// its public query methods here.
import { equalBytes, fromHex, toHex } from '../core/bytes.js'
import { decodeBlock } from '../core/encoding.js'
import { txid } from '../core/tx.js'
import type { Block, BlockHeader, Transaction } from '../core/types.js'
import type { BlockIndex } from './block-index.js'
import { coinKey, key, Prefix, u32be } from './db-layout.js'
import { type Coin, decodeCoin, decodeTxLocation, type TxLocation } from './records.js'
import type { ChainStore } from './store.js'
import type { CoinCache } from './coin-cache.js'

export interface AddressHistoryItem {
  txid: Uint8Array
  height: number
  blockHash: Uint8Array
  index: number
}

export class ChainQueries {
  constructor (private readonly store: ChainStore, private readonly index: BlockIndex, private readonly coinCache?: CoinCache) {}

  getBlock (hash: Uint8Array | string): Block | undefined {
    const bytes = this.getBlockBytes(hash)
    return bytes === undefined ? undefined : decodeBlock(bytes, Number.MAX_SAFE_INTEGER)
  }

  getBlockBytes (hash: Uint8Array | string): Uint8Array | undefined {
    return this.store.getBlockBytes(typeof hash === 'string' ? fromHex(hash) : hash)
  }

  getCoin (id: Uint8Array, index: number): Coin | undefined {
    if (this.coinCache !== undefined) return this.coinCache.getCoin(id, index)
    const v = this.store.get(coinKey(id, index))
    return v === undefined ? undefined : decodeCoin(v)
  }

  /** The coin at database key `k` (`s`: that key as latin1), encoded (records.ts), not decoded: the mempool's lookup. Read only. */
  getEncodedCoinAt (k: Uint8Array, s: string): Uint8Array | undefined {
    return this.coinCache !== undefined ? this.coinCache.getEncodedAt(k, s) : this.store.get(k)
  }

  getTxLocation (id: Uint8Array): TxLocation | undefined {
    const v = this.store.get(key(Prefix.tx, id))
    return v === undefined ? undefined : decodeTxLocation(v)
  }

  getTx (id: Uint8Array): { tx: Transaction, location: TxLocation } | undefined {
    const location = this.getTxLocation(id)
    if (location === undefined) return undefined
    const block = this.getBlock(location.blockHash)
    const tx = block?.transactions[location.index]
    if (tx === undefined || !equalBytes(txid(tx), id)) return undefined
    return { tx, location }
  }

  /** The undo record of an active-chain block: the coins its inputs spent, 33 bytes each, in input order. */
  getUndoBytes (hash: Uint8Array): Uint8Array | undefined {
    return this.store.get(key(Prefix.undo, hash))
  }

  /** Every coin of the UTXO set (for audits and tests; walks the whole set). */
  async * coins (): AsyncGenerator<{ txid: Uint8Array, index: number, coin: Coin }> {
    for await (const [k, v] of this.store.scan(new Uint8Array([Prefix.coin]))) {
      yield { txid: k.slice(1, 33), index: new DataView(k.buffer, k.byteOffset + 33, 4).getUint32(0), coin: decodeCoin(v) }
    }
  }

  /** Active-chain headers after the first locator hash we know, up to `max` (or through `stop`). */
  headersAfter (locator: Uint8Array[], max: number, stop?: Uint8Array): BlockHeader[] {
    let start = 0
    for (const h of locator) {
      const e = this.index.get(toHex(h))
      if (e !== undefined && this.index.isActive(e)) { start = e.height + 1; break }
    }
    const headers: BlockHeader[] = []
    const stopHex = stop !== undefined && stop.length > 0 ? toHex(stop) : undefined
    for (let h = start; h <= this.index.tip.height && headers.length < max; h++) {
      const e = this.index.active[h]
      headers.push(e.header)
      if (e.hashHex === stopHex) break
    }
    return headers
  }

  /**
   * One page of an address's confirmed history, newest first: the entries
   * strictly before `before` (height, txid) in (height, txid) order, or from
   * the newest when absent. Reads only the index keys it returns.
   */
  async addressHistoryNewestFirst (address: Uint8Array, before: { height: number, txid: Uint8Array } | undefined, max: number): Promise<AddressHistoryItem[]> {
    const lt = before === undefined ? key(Prefix.address, address, u32be(0xffffffff)) : key(Prefix.address, address, u32be(before.height), before.txid)
    return await this.readAddressIndex(address, { gte: key(Prefix.address, address), lt, reverse: true }, max, 'skip')
  }

  /**
   * Confirmed transactions of `address` in (height, txid) order, strictly
   * after `cursor` (or from `cursor.height` when it has no txid), at most
   * `max`. A page can end anywhere, even in the middle of one height: the
   * caller continues from the last item's (height, txid), so nothing is
   * skipped or repeated however many entries share a height. Stops early
   * (never skips) at an entry whose height has no active block, which only
   * a reorg running meanwhile can cause.
   */
  async addressHistoryAfter (address: Uint8Array, cursor: { height: number, txid?: Uint8Array }, max: number): Promise<AddressHistoryItem[]> {
    const start = cursor.txid !== undefined && cursor.txid.length > 0
      ? { gt: key(Prefix.address, address, u32be(cursor.height), cursor.txid) }
      : { gte: key(Prefix.address, address, u32be(cursor.height)) }
    return await this.readAddressIndex(address, { ...start, lt: key(Prefix.address, address, u32be(0xffffffff)) }, max, 'stop')
  }

  /**
   * Reads address-index entries (key: address | height | txid) in `range`,
   * at most `max`. An entry whose height has no active block (only a reorg
   * running meanwhile causes one) is skipped, or ends the page so that a
   * cursor-driven caller never skips past it.
   */
  private async readAddressIndex (address: Uint8Array, range: { gt?: Uint8Array, gte?: Uint8Array, lt: Uint8Array, reverse?: boolean }, max: number, atMissingBlock: 'skip' | 'stop'): Promise<AddressHistoryItem[]> {
    const items: AddressHistoryItem[] = []
    if (max <= 0) return items
    const prefix = key(Prefix.address, address)
    for await (const [k, v] of this.store.range({ ...range, limit: max })) {
      // a longer address sharing this prefix is another address's entry
      if (k.length !== prefix.length + 4 + 32) continue
      const height = new DataView(k.buffer, k.byteOffset + prefix.length, 4).getUint32(0)
      const blockHashBytes = this.store.get(key(Prefix.height, u32be(height)))
      if (blockHashBytes === undefined) {
        if (atMissingBlock === 'stop') break
        continue
      }
      items.push({ txid: k.slice(prefix.length + 4), height, blockHash: blockHashBytes, index: new DataView(v.buffer, v.byteOffset, 4).getUint32(0) })
    }
    return items
  }
}
