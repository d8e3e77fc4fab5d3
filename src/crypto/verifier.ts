// Signature verification behind one interface. The node's hot path uses the
// native libsecp256k1 pool (native-verifier.ts); @noble/secp256k1 is the
// reference and the fallback.
import { verifyDigest } from './keys.js'

export interface SignatureCheck {
  digest: Uint8Array // 32 bytes
  signature: Uint8Array // 64 bytes compact
  publicKey: Uint8Array // 33 bytes compressed
}

export interface SignatureVerifier {
  readonly backend: 'native' | 'noble'
  /**
   * One result per check, in order. Malformed input verifies as false; it
   * never throws. `signal`: once aborted, a backend may stop verifying the
   * batch and reject it (a block found invalid by other checks meanwhile).
   */
  verifyBatch: (checks: SignatureCheck[], signal?: AbortSignal) => Promise<boolean[]>
  /**
   * Many signatures are coming (an initial sync): start now what verifying
   * them needs (a lazy pool's worker threads), so that the first batches
   * neither wait for it nor fall to the calling thread meanwhile.
   */
  prepare?: () => void
  close: () => Promise<void>
}

/** A batch's rejection when its `signal` was aborted before every check was verified. */
export class VerifyCancelled extends Error {
  constructor () {
    super('signature verification cancelled')
    this.name = 'VerifyCancelled'
  }
}

export const DIGEST_BYTES = 32
export const SIGNATURE_BYTES = 64
export const PUBLIC_KEY_BYTES = 33

/**
 * The shape rule every backend applies before any curve arithmetic, so that
 * backends agree on malformed input. Without it noble and libsecp256k1 would
 * both accept 65-byte uncompressed (libsecp256k1 even "hybrid") keys and noble
 * would accept digests of other lengths: consensus allows exactly 32/64/33.
 */
export function isWellFormedCheck (check: SignatureCheck | null | undefined): boolean {
  return check != null &&
    check.digest instanceof Uint8Array && check.digest.length === DIGEST_BYTES &&
    check.signature instanceof Uint8Array && check.signature.length === SIGNATURE_BYTES &&
    check.publicKey instanceof Uint8Array && check.publicKey.length === PUBLIC_KEY_BYTES
}

/** In-thread reference verifier. */
export class NobleVerifier implements SignatureVerifier {
  readonly backend = 'noble' as const

  async verifyBatch (checks: SignatureCheck[]): Promise<boolean[]> {
    return checks.map(c => isWellFormedCheck(c) && verifyDigest(c.signature, c.digest, c.publicKey))
  }

  async close (): Promise<void> {}
}
