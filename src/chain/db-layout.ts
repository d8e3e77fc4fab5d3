// The key layout of the chain database (and of the light node's header
// database, which uses the index and meta records only), in one place, as
// bcoin's lib/blockchain/layout.js. Every key starts with a one-byte prefix;
// numbers in keys are u32 big-endian so that keys sort by them.
//
//   prefix         key bytes                        value bytes                         written by
//   'h' index      0x68 | block hash (32)           IndexRecord (records.ts)            BlockAcceptance.accept, Chain.processHeaders/markInvalid,
//                                                                                       HeaderChain.commit, index-loader (genesis; deletes unlinked)
//   'b' block      0x62 | block hash (32)           canonical block bytes               BlockAcceptance.accept, index-loader (genesis; deletes unlinked)
//   'u' undo       0x75 | block hash (32)           spent coins, 33 bytes each,         block-connector (put on connect, del on disconnect)
//                                                   in input order (active chain)
//   'c' coin       0x63 | txid (32) | index (u32)   Coin (records.ts)                   block-connector (the UTXO set)
//   't' tx         0x74 | txid (32)                 TxLocation (records.ts)             block-connector, genesis (active chain only)
//   'a' address    0x61 | address (20) | height     position of the tx in its block     block-connector (active chain only)
//                  (u32) | txid (32)                (u32)
//   'n' height     0x6e | height (u32)              block hash (32)                     block-connector, genesis (active chain only)
//   'm' meta       0x6d | "tip"                     hash of the active tip (32)         block-connector (full node), HeaderChain.commit, genesis
//                  0x6d | "network"                 genesis hash (32)                   index-loader, once, when the database is created
//
// The reads live in chain-queries.ts (blocks, coins, txs, undo, address
// history) and index-loader.ts (index records and meta at start-up).
import type { IndexEntry } from './block-index.js'
import { encodeIndexRecord } from './records.js'

/** One write of an atomic batch to the chain database. */
export type BatchOp = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

export const Prefix = {
  index: 0x68,
  block: 0x62,
  undo: 0x75,
  coin: 0x63,
  tx: 0x74,
  address: 0x61,
  height: 0x6e,
  meta: 0x6d
} as const

export function key (prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1
  for (const p of parts) length += p.length
  // one allocation: a block's batch builds tens of thousands of keys
  const k = new Uint8Array(length)
  k[0] = prefix
  let at = 1
  for (const p of parts) { k.set(p, at); at += p.length }
  return k
}

export function u32be (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

export function coinKey (txid: Uint8Array, index: number): Uint8Array {
  const k = new Uint8Array(37)
  k[0] = Prefix.coin
  k.set(txid, 1)
  // big-endian, written by hand: a DataView per key costs more than the key (every coin lookup makes one)
  k[33] = index >>> 24
  k[34] = (index >>> 16) & 0xff
  k[35] = (index >>> 8) & 0xff
  k[36] = index & 0xff
  return k
}

export function addressKey (address: Uint8Array, height: number, id: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + address.length + 4 + id.length)
  k[0] = Prefix.address
  k.set(address, 1)
  new DataView(k.buffer).setUint32(1 + address.length, height)
  k.set(id, 5 + address.length)
  return k
}

export const META_TIP = key(Prefix.meta, new TextEncoder().encode('tip'))
export const META_NETWORK = key(Prefix.meta, new TextEncoder().encode('network'))

/** Stores an index entry's record (header, height, work, status). */
export function indexRecordOp (entry: IndexEntry): BatchOp {
  return { type: 'put', key: key(Prefix.index, entry.hash), value: encodeIndexRecord({ header: entry.header, height: entry.height, work: entry.work, status: entry.status }) }
}
