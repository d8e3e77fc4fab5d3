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
  /** One result per check, in order. Malformed input verifies as false; it never throws. */
  verifyBatch: (checks: SignatureCheck[]) => Promise<boolean[]>
  close: () => Promise<void>
}

/** In-thread reference verifier. */
export class NobleVerifier implements SignatureVerifier {
  readonly backend = 'noble' as const

  async verifyBatch (checks: SignatureCheck[]): Promise<boolean[]> {
    return checks.map(c => verifyDigest(c.signature, c.digest, c.publicKey))
  }

  async close (): Promise<void> {}
}
