// What connecting or disconnecting one block does to the node wallet: the
// LevelDB ops to write and the changes to its in-memory coins. Pure: the
// caller writes the ops first, then applies the changes, so what the wallet
// shows is what it has stored.
import { fromHex, toHex } from '../../core/bytes.js'
import { isCoinbase, txid } from '../../core/tx.js'
import type { Block } from '../../core/types.js'
import type { IndexEntry } from '../../chain/block-index.js'
import type { BatchOp } from '../../chain/store.js'
import {
  coinKey, decodeCoin, encodeCoin, type HistoryJson, historyKey, json, META_TIP,
  outpoint, parse, tipValue, undoKey, type WalletCoin
} from './records.js'

export interface ConnectEffects {
  ops: BatchOp[]
  /** Outpoints of coins the block spent. */
  spent: string[]
  /** Coins the block created and did not spend itself. */
  created: Map<string, WalletCoin>
  /** Our addresses the block paid. */
  used: Uint8Array[]
}

export function connectEffects (block: Block, entry: IndexEntry, coins: ReadonlyMap<string, WalletCoin>, isWatched: (address: Uint8Array) => boolean): ConnectEffects {
  const ops: BatchOp[] = []
  const undo: Array<[string, string]> = []
  const spent: string[] = []
  const created = new Map<string, WalletCoin>()
  const used: Uint8Array[] = []
  block.transactions.forEach((tx, position) => {
    const id = txid(tx)
    let delta = 0n
    let touches = false
    let allOurs = tx.inputs.length > 0
    for (const input of tx.inputs) {
      // a wallet without coins (a fresh node syncing) has nothing to look up: no outpoint string per input
      if (coins.size === 0 && created.size === 0) { allOurs = false; continue }
      const k = outpoint(input.prevTxid, input.prevIndex)
      const mine = created.get(k) ?? coins.get(k)
      if (mine === undefined) { allOurs = false; continue }
      delta -= mine.amount
      touches = true
      const ck = coinKey(input.prevTxid, input.prevIndex)
      ops.push({ type: 'del', key: ck })
      if (created.delete(k)) continue
      spent.push(k)
      undo.push([toHex(ck), toHex(encodeCoin(mine))])
    }
    tx.outputs.forEach((o, index) => {
      if (!isWatched(o.address)) return
      touches = true
      delta += o.amount
      used.push(o.address)
      const coin: WalletCoin = { txid: id, index, amount: o.amount, address: o.address, height: entry.height, coinbase: isCoinbase(tx), own: allOurs }
      created.set(outpoint(id, index), coin)
      ops.push({ type: 'put', key: coinKey(id, index), value: encodeCoin(coin) })
    })
    if (touches) ops.push({ type: 'put', key: historyKey(entry.height, position), value: json({ txid: toHex(id), delta: delta.toString(), time: block.header.time } satisfies HistoryJson) })
  })
  if (undo.length > 0) ops.push({ type: 'put', key: undoKey(entry.hash), value: json(undo) })
  ops.push({ type: 'put', key: META_TIP, value: tipValue(entry.hash, entry.height) })
  return { ops, spent, created, used }
}

export interface DisconnectEffects {
  ops: BatchOp[]
  /** Outpoints of our coins the block created. */
  removed: string[]
  /** Our coins the block spent, back from its undo record. */
  restored: WalletCoin[]
}

/** `undoRecord` is the block's undo value (absent when it spent none of ours); `historyKeys` the history lines at its height. */
export function disconnectEffects (block: Block, entry: IndexEntry, parent: IndexEntry, coins: ReadonlyMap<string, WalletCoin>, undoRecord: Uint8Array | undefined, historyKeys: Uint8Array[]): DisconnectEffects {
  const ops: BatchOp[] = []
  const removed: string[] = []
  for (const tx of block.transactions) {
    const id = txid(tx)
    tx.outputs.forEach((_, index) => {
      const k = outpoint(id, index)
      if (coins.has(k)) { removed.push(k); ops.push({ type: 'del', key: coinKey(id, index) }) }
    })
  }
  const restored: WalletCoin[] = []
  for (const [k, v] of undoRecord === undefined ? [] : parse<Array<[string, string]>>(undoRecord)) {
    const key = fromHex(k)
    restored.push(decodeCoin(key, fromHex(v)))
    ops.push({ type: 'put', key, value: fromHex(v) })
  }
  ops.push({ type: 'del', key: undoKey(entry.hash) })
  for (const k of historyKeys) ops.push({ type: 'del', key: k })
  ops.push({ type: 'put', key: META_TIP, value: tipValue(parent.hash, parent.height) })
  return { ops, removed, restored }
}
