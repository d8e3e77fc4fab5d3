// The key layout of the chain database (and of the light node's header
// database, which uses the index and meta records only), in one place, as
// bcoin's lib/blockchain/layout.js. Every key starts with a one-byte prefix;
// numbers in keys are u32 big-endian so that keys sort by them.
//
//   prefix         key bytes                        value bytes                         written by
//   'h' index      0x68 | block hash (32)           IndexRecord (records.ts)            BlockAcceptance.accept, Chain.processHeaders/markInvalid,
//                                                                                       HeaderChain.commit, index-loader (genesis; deletes unlinked)
//   'f' block file 0x66 | block hash (32)           BlockLocation (block-files.ts):     BlockAcceptance.accept, BlockRuns, index-loader (genesis;
//                                                   file, offset, length, u32 LE each   deletes unlinked); the bytes are in <location>/blocks/blk*.dat
//   'b' block      0x62 | block hash (32)           canonical block bytes: databases    read only (and deleted with unlinked records); blocks are
//                                                   written before the block files      written to the block files since
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
// The block bytes themselves are not in the database but in flat files
// beside it (block-files.ts, `<location>/blocks/`), as Bitcoin Core's
// blk*.dat; the database records where each block is.
//
// The reads live in chain-queries.ts (blocks, coins, txs, undo, address
// history) and index-loader.ts (index records and meta at start-up). A
// connected block's records are built straight into one buffer per block
// (block-batch.ts, with the write* functions below and in records.ts): the
// same keys and values, only without an object per record.
import type { IndexEntry } from './block-index.js'
import { encodeIndexRecord } from './records.js'

/**
 * One write of an atomic batch to the chain database. `text`: the key as
 * latin1, when whoever built the op has it (the coin cache's map key).
 */
export type BatchOp = { type: 'put', key: Uint8Array, value: Uint8Array, text?: string } | { type: 'del', key: Uint8Array, text?: string }

export const Prefix = {
  index: 0x68,
  blockFile: 0x66,
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

export function u32be (n: number, out: Uint8Array = new Uint8Array(4)): Uint8Array {
  setU32be(out, 0, n)
  return out
}

export const COIN_KEY_BYTES = 37

export function setU32be (b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24
  b[at + 1] = (n >>> 16) & 0xff
  b[at + 2] = (n >>> 8) & 0xff
  b[at + 3] = n & 0xff
}

/** `out`: where to build it (a reused scratch key, coin-view.ts); by default its own array. */
export function coinKey (txid: Uint8Array, index: number, out: Uint8Array = new Uint8Array(COIN_KEY_BYTES)): Uint8Array {
  out[0] = Prefix.coin
  out.set(txid, 1)
  setU32be(out, 33, index)
  return out
}

export function addressKeyBytes (address: Uint8Array, id: Uint8Array): number {
  return 1 + address.length + 4 + id.length
}

export function addressKey (address: Uint8Array, height: number, id: Uint8Array, out: Uint8Array = new Uint8Array(addressKeyBytes(address, id))): Uint8Array {
  writeAddressKey(out, 0, address, height, id)
  return out
}

/** addressKey written into `out` at `at` (a block's packed batch, block-batch.ts). */
export function writeAddressKey (out: Uint8Array, at: number, address: Uint8Array, height: number, id: Uint8Array): void {
  out[at] = Prefix.address
  out.set(address, at + 1)
  setU32be(out, at + 1 + address.length, height)
  out.set(id, at + 5 + address.length)
}

/** 0x74 | txid: where a transaction is (records.ts TxLocation). */
export function txKey (id: Uint8Array, out: Uint8Array = new Uint8Array(1 + id.length)): Uint8Array {
  writeTxKey(out, 0, id)
  return out
}

export function writeTxKey (out: Uint8Array, at: number, id: Uint8Array): void {
  out[at] = Prefix.tx
  out.set(id, at + 1)
}

export const META_TIP = key(Prefix.meta, new TextEncoder().encode('tip'))
export const META_NETWORK = key(Prefix.meta, new TextEncoder().encode('network'))

/** Stores an index entry's record (header, height, work, status). */
export function indexRecordOp (entry: IndexEntry): BatchOp {
  return { type: 'put', key: key(Prefix.index, entry.hash), value: encodeIndexRecord({ header: entry.header, height: entry.height, work: entry.work, status: entry.status }) }
}
