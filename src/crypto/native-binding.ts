// Native libsecp256k1 in the calling thread, and the record layout the
// verify workers read (native-verify-worker.mjs).
//
// Consensus rule: 64-byte compact, low-S signatures over a 32-byte digest with
// a 33-byte compressed key. libsecp256k1's ecdsa_verify rejects high-S itself
// (as noble does with lowS: true); the shape rule is isWellFormedCheck().
import { createRequire } from 'node:module'
import { DIGEST_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, isWellFormedCheck, type SignatureCheck } from './verifier.js'

/** The part of the `secp256k1` package's binding this module uses. */
export interface NativeBinding {
  /** true / false, or throws when the signature or key cannot be parsed. */
  ecdsaVerify: (signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array) => boolean
}

/**
 * Loads libsecp256k1 through `secp256k1/bindings`, never the package's
 * index.js: that one silently falls back to pure-JS elliptic (~50x slower),
 * and whether to fall back is the caller's decision. Throws if unavailable.
 */
export function loadNativeBinding (): NativeBinding {
  return createRequire(import.meta.url)('secp256k1/bindings') as NativeBinding
}

/** Verifies one check in the calling thread: false for anything malformed, high-S or wrong. */
export function verifyNative (binding: NativeBinding, check: SignatureCheck): boolean {
  if (!isWellFormedCheck(check)) return false
  try {
    return binding.ecdsaVerify(check.signature, check.digest, check.publicKey) === true
  } catch {
    return false
  }
}

/** Bytes per packed check; the worker (native-verify-worker.mjs) reads the same layout. */
export const CHECK_BYTES = DIGEST_BYTES + SIGNATURE_BYTES + PUBLIC_KEY_BYTES

/** Packs well-formed checks as digest | signature | public key, one record each, into `out` (default: a new buffer). */
export function packChecks (checks: SignatureCheck[], out: Uint8Array = new Uint8Array(checks.length * CHECK_BYTES)): Uint8Array {
  for (let i = 0; i < checks.length; i++) {
    const at = i * CHECK_BYTES
    const c = checks[i]
    out.set(c.digest, at)
    out.set(c.signature, at + DIGEST_BYTES)
    out.set(c.publicKey, at + DIGEST_BYTES + SIGNATURE_BYTES)
  }
  return out
}
