// Key arithmetic on libsecp256k1 (the `secp256k1` package's binding), for the
// hot spots of a node start: opening a wallet derives ~40 HD keys and their
// public keys, which costs ~0.5 s of CPU in @noble's JS (its first
// multiplications also build precomputed tables). Results are the same bytes;
// without the binding callers use @noble.
import { createRequire } from 'node:module'

// Loaded here, not through native-verifier.ts, which imports keys.ts (by way
// of verifier.ts): `secp256k1/bindings`, never the package's index.js, which
// would fall back to pure-JS elliptic silently.
export interface NativeKeyOps {
  /** Compressed (33-byte) public key; throws for an invalid private key. */
  publicKeyCreate: (privateKey: Uint8Array, compressed?: boolean) => Uint8Array
  /** privateKey += tweak (mod n) in place; throws if tweak >= n or the sum is 0. */
  privateKeyTweakAdd: (privateKey: Uint8Array, tweak: Uint8Array) => Uint8Array
}

let ops: NativeKeyOps | null | undefined

/** The binding, or null when it cannot load (then use @noble). Loaded once. */
export function nativeKeyOps (): NativeKeyOps | null {
  if (ops === undefined) {
    try {
      ops = createRequire(import.meta.url)('secp256k1/bindings') as NativeKeyOps
    } catch {
      ops = null
    }
  }
  return ops
}
