import { hash } from 'node:crypto'
import { ripemd160 } from '@noble/hashes/legacy.js'

// crypto.hash is the one-shot form: about a third faster than createHash for
// the small inputs (headers, Merkle nodes) that dominate here.
function sha256Buffer (data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer') as unknown as Buffer
}

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(sha256Buffer(data))
}

/** Double SHA-256: the hash of transactions, block headers and Merkle nodes. */
export function dsha256 (data: Uint8Array): Uint8Array {
  const out = sha256Buffer(sha256Buffer(data))
  return new Uint8Array(out.buffer, out.byteOffset, 32)
}

/** RIPEMD-160(SHA-256(x)): the 20-byte address hash of a public key. */
export function hash160 (data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data))
}
