// The pool's map keys, made without a Buffer wrapper or a concatenation per
// call: an outpoint is its coin's database key (db-layout.ts) as a latin1
// string, so that one string serves the pool's double-spend index and the
// chain's coin cache (whose map key it is too); a txid for the chain's
// signature cache is its 32 bytes as latin1. Each is built in one scratch
// Buffer, whose own toString makes no wrapper. Hex stays for the entries'
// keys and for what people read (error messages).
import { COIN_KEY_BYTES, coinKey } from '../chain/db-layout.js'

const scratch = Buffer.allocUnsafeSlow(COIN_KEY_BYTES)

/**
 * The outpoint's key. Until the next call of anything in this file,
 * `outpointBytes` holds its bytes (the coin's database key), for a lookup
 * that wants both.
 */
export function outpoint (id: Uint8Array, index: number): string {
  coinKey(id, index, scratch)
  return scratch.toString('latin1', 0, COIN_KEY_BYTES)
}

/** The bytes of the last key `outpoint` made (valid until the next call here). */
export const outpointBytes: Uint8Array = scratch

/** A txid's key (32 bytes as latin1). */
export function txidKey (id: Uint8Array): string {
  scratch.set(id, 0)
  return scratch.toString('latin1', 0, id.length)
}

/** A txid as hex, as toHex makes it, without its Buffer wrapper. */
export function txidHexOf (id: Uint8Array): string {
  if (id.length > scratch.length) return Buffer.from(id).toString('hex')
  scratch.set(id, 0)
  return scratch.toString('hex', 0, id.length)
}

/** A txid's first 30 bits, a small integer (no allocation): the pool's filter of pending txids (PoolStore.mayHold). */
export function txidPrefix (id: Uint8Array): number {
  return (id[0] << 22) | (id[1] << 14) | (id[2] << 6) | (id[3] >>> 2)
}

/** An outpoint key as people read it: `txid:index`. */
export function describeOutpoint (key: string): string {
  if (key.length !== COIN_KEY_BYTES) return JSON.stringify(key)
  const b = Buffer.from(key, 'latin1')
  return `${b.toString('hex', 1, 33)}:${b.readUInt32BE(33)}`
}
