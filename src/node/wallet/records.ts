// The node wallet's LevelDB records (<data-dir>/wallet-db), one place for the
// key layout and the byte codecs:
//
//   'c' + txid(32) + index(u32 BE)      -> coin: amount(u64 BE) address(20) height(u32 BE) flags(1)
//   'h' + height(u32 BE) + position(u32 BE) -> history line, JSON { txid, delta, time }
//   'u' + block hash(32)                -> JSON [[coin key hex, coin hex], ...]: the coins the block spent
//   'mt'                                -> block hash(32) + height(u32 BE): the block the state is at
//   'mo'                                -> fingerprint of the wallet the state belongs to
import { bytesToBigInt, concatBytes, equalBytes, hexOf, toHex } from '../../core/bytes.js'
import { u32be } from '../../chain/store.js'

export interface WalletCoin {
  txid: Uint8Array
  index: number
  amount: bigint
  address: Uint8Array
  height: number
  coinbase: boolean
  /** Created by a transaction whose every input was ours (our change). */
  own: boolean
}

export interface WalletHistoryItem {
  txid: string
  delta: bigint
  height?: number
  time?: number
  /** 0 while pending. */
  confirmations: number
  /** At least the required depth (or own change in a block). */
  confirmed: boolean
}

export interface WalletBalance {
  /** Mature coins at the required depth, and own change in a block. */
  confirmed: bigint
  /** Payments in blocks not deep enough yet, plus the mempool's net effect. */
  pending: bigint
  /** Coinbase outputs before coinbaseMaturity. */
  immature: bigint
}

export interface HistoryJson { txid: string, delta: string, time: number }

export const P_COIN = 0x63
export const P_HISTORY = 0x68
const P_UNDO = 0x75
export const META_TIP = new Uint8Array([0x6d, 0x74])
export const META_OWNER = new Uint8Array([0x6d, 0x6f])

const FLAG_COINBASE = 1
const FLAG_OWN = 2

export const coinKey = (id: Uint8Array, index: number): Uint8Array => concatBytes(new Uint8Array([P_COIN]), id, u32be(index))
export const undoKey = (blockHash: Uint8Array): Uint8Array => concatBytes(new Uint8Array([P_UNDO]), blockHash)
export const tipValue = (blockHash: Uint8Array, height: number): Uint8Array => concatBytes(blockHash, u32be(height))
/** The in-memory key of a coin: txid hex + ':' + index. */
export const outpoint = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

export function historyKey (height: number, position?: number): Uint8Array {
  return concatBytes(new Uint8Array([P_HISTORY]), u32be(height), ...(position === undefined ? [] : [u32be(position)]))
}

/** Height of a history key. */
export function historyHeight (key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset + 1, 4).getUint32(0)
}

export function encodeCoin (c: WalletCoin): Uint8Array {
  const b = new Uint8Array(8 + 20 + 4 + 1)
  const v = new DataView(b.buffer)
  v.setBigUint64(0, c.amount)
  b.set(c.address, 8)
  v.setUint32(28, c.height)
  b[32] = (c.coinbase ? FLAG_COINBASE : 0) | (c.own ? FLAG_OWN : 0)
  return b
}

/** Its txid and address are views into `k` and `b` (records read from the database, not reused): two buffers fewer a coin when a miner's wallet loads thousands. */
export function decodeCoin (k: Uint8Array, b: Uint8Array): WalletCoin {
  // byte reads, not two DataViews a coin: a miner's wallet opens thousands
  return {
    txid: new Uint8Array(k.buffer, k.byteOffset + 1, 32),
    index: u32At(k, 33),
    amount: bytesToBigInt(b, 0, 8),
    address: new Uint8Array(b.buffer, b.byteOffset + 8, 20),
    height: u32At(b, 28),
    coinbase: (b[32] & FLAG_COINBASE) !== 0,
    own: (b[32] & FLAG_OWN) !== 0
  }
}

function u32At (b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0
}

/** outpoint() of the coin whose record key is `k`, read from the key's bytes. */
export function outpointOfKey (k: Uint8Array): string {
  return hexOf(k, 1, 33) + ':' + u32At(k, 33)
}

/** Each address of `coins` once; a miner's thousands of coinbases pay one, so the last one seen is compared first. */
export function distinctAddresses (coins: Iterable<WalletCoin>): Uint8Array[] {
  const seen = new Map<string, Uint8Array>()
  let last: Uint8Array | undefined
  for (const c of coins) {
    if (last !== undefined && equalBytes(last, c.address)) continue
    last = c.address
    seen.set(toHex(c.address), c.address)
  }
  return [...seen.values()]
}

export const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
export const parse = <T>(b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T
