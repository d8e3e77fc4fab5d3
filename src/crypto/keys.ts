// secp256k1 keys and ECDSA signatures with @noble/secp256k1: 64-byte compact,
// low-S, deterministic (RFC 6979) signatures over a 32-byte digest.
import * as secp from '@noble/secp256k1'
import { sha256 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'
import { nativeKeyOps } from './native-keys.js'

// Synchronous signing needs these hooks set once.
secp.hashes.sha256 = sha256
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg)

export function generatePrivateKey (): Uint8Array {
  return secp.utils.randomSecretKey()
}

export function isValidPrivateKey (key: Uint8Array): boolean {
  return secp.utils.isValidSecretKey(key)
}

/** 33-byte compressed public key (libsecp256k1 when it loads: same bytes, ~100x less CPU). */
export function publicKeyOf (privateKey: Uint8Array, native = nativeKeyOps()): Uint8Array {
  // an invalid key goes to noble, whose error callers already know
  if (native !== null && secp.utils.isValidSecretKey(privateKey)) return Uint8Array.from(native.publicKeyCreate(privateKey, true))
  return secp.getPublicKey(privateKey, true)
}

/** Signs a 32-byte digest (no further hashing). */
export function signDigest (digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return secp.sign(digest, privateKey, { prehash: false, lowS: true })
}

/** Reference verification: false for anything malformed, high-S or wrong. */
export function verifyDigest (signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return secp.verify(signature, digest, publicKey, { prehash: false, lowS: true })
  } catch {
    return false
  }
}
