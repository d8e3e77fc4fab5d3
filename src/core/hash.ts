import { hash } from 'node:crypto'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { hash160Key, KEY_BYTES } from './hash160-key.js'
import { sha256OfLatin1Into } from './merkle-hash.js'

// crypto.hash is the one-shot form: about a third faster than createHash for
// the small inputs (headers, Merkle nodes) that dominate here.
function sha256Buffer (data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer') as unknown as Buffer
}

export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(sha256Buffer(data))
}

/**
 * Double SHA-256: the hash of transactions, block headers and Merkle nodes.
 * The first hash is native, its digest taken as a 'binary' (latin1) string,
 * one char a byte: a short string on the heap costs half what a Buffer
 * result does (~0.43 against ~0.88 µs a call here), which is an ArrayBuffer
 * with a backing store, and was the largest garbage of a txid or sighash
 * (BENCHMARKS.md, issue 12 session 8). The second hash (of 32 bytes) in
 * JavaScript: a native call costs more than its one compression.
 */
export function dsha256 (data: Uint8Array): Uint8Array {
  return sha256OfLatin1Into(hash('sha256', data, 'binary'), new Uint8Array(32))
}

// OpenSSL's RIPEMD-160 is ~3x noble's; OpenSSL builds without it (it moved
// to the legacy provider in 3.0.0-3.0.6) keep noble's.
const nativeRipemd = ((): boolean => {
  try {
    return hash('ripemd160', new Uint8Array(0), 'hex') === '9c1185a5c5e9fc54612808977ee8f548b2258d31'
  } catch {
    return false
  }
})()

/** RIPEMD-160(SHA-256(x)): the 20-byte address hash of a public key. */
export function hash160 (data: Uint8Array): Uint8Array {
  // a compressed key, what every input carries: plain JS, ~2x faster than two native calls
  if (data.length === KEY_BYTES) return hash160Key(data)
  if (!nativeRipemd) return ripemd160(sha256(data))
  const out = hash('ripemd160', sha256Buffer(data), 'buffer') as unknown as Buffer
  return new Uint8Array(out.buffer, out.byteOffset, 20)
}
