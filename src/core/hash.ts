import { createHash } from 'node:crypto'
import { ripemd160 } from '@noble/hashes/legacy.js'

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/** Double SHA-256: the hash of transactions, block headers and Merkle nodes. */
export function dsha256 (data: Uint8Array): Uint8Array {
  const first = createHash('sha256').update(data).digest()
  return new Uint8Array(createHash('sha256').update(first).digest())
}

/** Double SHA-256 of a || b without building the concatenation. */
export function dsha256Pair (a: Uint8Array, b: Uint8Array): Uint8Array {
  const first = createHash('sha256').update(a).update(b).digest()
  return new Uint8Array(createHash('sha256').update(first).digest())
}

/** RIPEMD-160(SHA-256(x)): the 20-byte address hash of a public key. */
export function hash160 (data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data))
}
