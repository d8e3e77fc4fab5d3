import { encodeTx, knownTxBytes, rememberTxBytes } from './encoding.js'
import { dsha256 } from './hash.js'
import { readU32le, toHex } from './bytes.js'
import type { Transaction } from './types.js'

// Transactions are treated as immutable once built; these caches make txid,
// size and signature hash free to ask for repeatedly.
const idCache = new WeakMap<Transaction, Uint8Array>()

/** Canonical bytes of the transaction (its wire encoding). */
export function txBytes (tx: Transaction): Uint8Array {
  let bytes = knownTxBytes(tx)
  if (bytes === undefined) {
    bytes = encodeTx(tx)
    rememberTxBytes(tx, bytes)
  }
  return bytes
}

export function txSize (tx: Transaction): number {
  return txBytes(tx).length
}

export function txid (tx: Transaction): Uint8Array {
  let id = idCache.get(tx)
  if (id === undefined) {
    id = dsha256(txBytes(tx))
    idCache.set(tx, id)
  }
  return id
}

export function txidHex (tx: Transaction): string {
  return toHex(txid(tx))
}

export function isCoinbase (tx: Transaction): boolean {
  return tx.inputs.length === 0 && tx.coinbase.length > 0
}

/** Height committed in a coinbase (first 4 bytes, little-endian), or -1 if absent. */
export function coinbaseHeight (tx: Transaction): number {
  return tx.coinbase.length >= 4 ? readU32le(tx.coinbase, 0) : -1
}

const SIGHASH_TAG = new TextEncoder().encode('minicoin-sighash-v1:')
const EMPTY = new Uint8Array(0)

/**
 * The digest every input signs: the whole transaction with all signatures
 * blanked, prefixed by a tag and the network id so a signature cannot be
 * replayed on another network.
 */
export function sighash (tx: Transaction, networkId: string): Uint8Array {
  const blank: Transaction = { ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: EMPTY })) }
  const body = encodeTx(blank)
  const net = new TextEncoder().encode(networkId + ':')
  const msg = new Uint8Array(SIGHASH_TAG.length + net.length + body.length)
  msg.set(SIGHASH_TAG, 0)
  msg.set(net, SIGHASH_TAG.length)
  msg.set(body, SIGHASH_TAG.length + net.length)
  return dsha256(msg)
}

export function outputsTotal (tx: Transaction): bigint {
  let total = 0n
  for (const o of tx.outputs) total += o.amount
  return total
}
